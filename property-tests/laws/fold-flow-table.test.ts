/**
 * Folding a departed origin into an heir, for the flow table (crdts/flow-table-fold.ts): the
 * folding suite (harness/fold.ts) on plain and idle-expiring tables, and with two keys only, so
 * writes, deletes, expiry and sweeps of one entry by several origins meet often.
 */
import { describe, it } from 'vitest'
import {
  type FlowTableState, IN_USE, LINKS, LINK_ENTRY, LINK_NEXT, LINK_ORIGIN, fieldGlobal, flagsOf, keyOf, keys, lastSeen, lookup, removalCountOf, size,
} from '../../crdts/flow-table.js'
import { type FoldAdapter, foldProperties } from '../harness/fold.js'
import { compareKeys } from '../harness/replica-sim.js'
import {
  type FlowOp, flowAdapter, plainFlowConfig, timedFlowConfig,
} from '../harness/types/flow-table.js'
import type { FlowCellDelta } from '../../crdts/flow-table.js'

/**
 * Entry presence, every field's global value and the entry's last-seen time: no per-origin view.
 * A `lastSeen` field is left to `flowRisingViews`.
 */
export function flowGlobalViews(state: FlowTableState): unknown {
  const visible = [...keys(state)].sort(compareKeys)
  return {
    size: size(state),
    entries: visible.map((key) => {
      const entry = lookup(state, key)
      const fields = state.fields.filter((field) => !field.isLastSeen)
      return { key, lastSeen: lastSeen(state, entry), fields: fields.map((field) => [field.name, fieldGlobal(state, entry, field)]) }
    }),
  }
}

/**
 * A `lastSeen` field of every visible entry: a fold may raise it to the heir's own last write
 * time when the heir's cell was covered (cell write times never decrease), never above the
 * entry's last-seen time.
 */
export function flowRisingViews(state: FlowTableState): Record<string, { value: number | undefined; bound: number | undefined }> {
  const views: Record<string, { value: number | undefined; bound: number | undefined }> = {}
  for (const field of state.fields) {
    if (!field.isLastSeen) continue
    for (const key of keys(state)) {
      const entry = lookup(state, key)
      views[`${typeof key}:${String(key)}.${field.name}`] = { value: fieldGlobal(state, entry, field) as number | undefined, bound: lastSeen(state, entry) }
    }
  }
  return views
}

function inUse(state: FlowTableState, cell: number): boolean {
  return (flagsOf(state, cell) & IN_USE) !== 0
}

export function flowMentions(state: FlowTableState, origin: number): string[] {
  const found: string[] = []
  for (let cell = 0; cell < state.cellCount; cell++) {
    if (!inUse(state, cell)) continue
    const key = String(keyOf(state, state.links[cell * LINKS + LINK_ENTRY]!))
    if (state.links[cell * LINKS + LINK_ORIGIN] === origin) found.push(`cell ${cell} of flow ${key}`)
    if (state.removals.get(cell)?.has(origin)) found.push(`a base in cell ${cell} (origin ${state.links[cell * LINKS + LINK_ORIGIN]}) of flow ${key}`)
  }
  return found
}

export function flowBookkeeping(state: FlowTableState): string[] {
  const problems: string[] = []
  const free = new Set(state.freeCells)
  if (free.size !== state.freeCells.length) problems.push('a cell is twice on the free list')
  let used = 0
  for (let cell = 0; cell < state.cellCount; cell++) {
    if (inUse(state, cell)) {
      used++
      if (free.has(cell)) problems.push(`cell ${cell} is in use and free`)
      if (state.entryKey[state.links[cell * LINKS + LINK_ENTRY]!] === undefined) problems.push(`cell ${cell} belongs to a dropped entry`)
    } else if (!free.has(cell)) {
      problems.push(`cell ${cell} is neither in use nor free`)
    } else if (state.removals.get(cell) !== undefined) {
      problems.push(`free cell ${cell} keeps removals`)
    }
  }
  if (used + free.size !== state.cellCount) problems.push(`${used} cells in use + ${free.size} free != ${state.cellCount}`)
  for (const [key, entry] of state.keyIndex) {
    let cells = 0
    let withRemovals = 0
    for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
      cells++
      if (!inUse(state, cell) || state.links[cell * LINKS + LINK_ENTRY] !== entry) problems.push(`flow ${String(key)} lists cell ${cell}, not its own`)
      if (state.removals.get(cell) !== undefined) withRemovals++
      if (state.removals.get(cell)?.size === 0) problems.push(`flow ${String(key)}: cell ${cell} has an empty removals map`)
      if (cells > state.cellCount) { problems.push(`flow ${String(key)}: cell list loops`); break }
    }
    if (withRemovals !== removalCountOf(state, entry)) problems.push(`flow ${String(key)}: removal count ${removalCountOf(state, entry)} but ${withRemovals} cells hold removals`)
    if (keyOf(state, entry) !== key) problems.push(`flow ${String(key)}: index and entry key disagree`)
    const own = state.entryOwn[entry]!
    if (own >= 0 && (!inUse(state, own) || state.links[own * LINKS + LINK_ENTRY] !== entry)) problems.push(`flow ${String(key)}: entryOwn names cell ${own}, not its own`)
  }
  return problems
}

export function flowCellsInUse(state: FlowTableState): number {
  let count = 0
  for (let cell = 0; cell < state.cellCount; cell++) if (inUse(state, cell)) count++
  return count
}

export function foldingFlowAdapter(adapter: ReturnType<typeof flowAdapter>): FoldAdapter<FlowTableState, FlowCellDelta, FlowOp> {
  return { ...adapter, globalViews: flowGlobalViews, risingViews: flowRisingViews, mentions: flowMentions, bookkeeping: flowBookkeeping, cellsInUse: flowCellsInUse }
}

const adapters = [
  flowAdapter('flowTable', plainFlowConfig),
  flowAdapter('flowTable(idle 100 ms)', timedFlowConfig),
  flowAdapter('flowTable(idle 100 ms, two keys)', timedFlowConfig, [1, 'x']),
  flowAdapter('flowTable(one key)', plainFlowConfig, ['k']),
]

for (const adapter of adapters) {
  describe(`${adapter.name}: folding a departed origin into its heir`, () => {
    for (const [name, property] of Object.entries(foldProperties(foldingFlowAdapter(adapter)))) it(name, property)
  })
}
