import { describe, expect, it } from 'vitest'
import {
  type FlowKey, type FlowTableState, IN_USE, LINKS, LINK_NEXT, LINK_ORIGIN, lifeOf, fieldGlobal, fieldLocal, findCell, flagsOf,
  lookup,
} from '../../crdts/flow-table.js'
import { flowTableOps } from '../../crdts/flow-table-slots.js'
import { runHistory, stamp, type Step, type System } from '../../property-tests/harness/replica-sim.js'
import { deliver, encodeSlots } from '../../property-tests/harness/fold.js'
import {
  type FlowOp, plainFlowTableAdapter, timedFlowTableAdapter,
} from '../../property-tests/harness/types/flow-table.js'
import type { FlowCellDelta } from '../../crdts/flow-table.js'
import type { TypeAdapter } from '../../property-tests/harness/replica-sim.js'

type FlowSystem = System<FlowTableState, FlowCellDelta, FlowOp>

function global(state: FlowTableState, key: FlowKey, name: string): unknown {
  const entry = lookup(state, key)
  return entry < 0 ? 'absent' : fieldGlobal(state, entry, state.fieldByName.get(name)!)
}

function local(state: FlowTableState, key: FlowKey, origin: number, name: string): unknown {
  const entry = lookup(state, key)
  return entry < 0 ? 'absent' : fieldLocal(state, entry, origin, state.fieldByName.get(name)!)
}

/** Origins of the cells in use of `key`'s entry (whether visible or not). */
function cellOrigins(state: FlowTableState, key: FlowKey): number[] {
  const entry = state.keyIndex.get(key)
  if (entry === undefined) return []
  const origins: number[] = []
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) origins.push(state.links[cell * LINKS + LINK_ORIGIN]!)
  return origins.sort()
}

function cellsInUse(state: FlowTableState): number {
  let count = 0
  for (let cell = 0; cell < state.cellCount; cell++) if ((flagsOf(state, cell) & IN_USE) !== 0) count++
  return count
}

/** Folds `departed` into `heir` on the heir's replica: absorb, stamp, drop. Returns the absorbing slots as sent. */
function fold(system: FlowSystem, departed: number, heir: number) {
  const replica = system.replicas[heir]!
  flowTableOps.absorb!(replica.state, departed, heir)
  const dirty = [...replica.dirty]
  stamp(system, heir)
  const absorbing = encodeSlots(plainFlowTableAdapter as TypeAdapter<FlowTableState, FlowCellDelta, unknown>, replica.state, dirty)
  flowTableOps.dropOrigin!(replica.state, departed)
  return absorbing
}

const inc = (origin: number, key: FlowKey, n: number): Step<FlowOp> => ({ kind: 'write', origin, op: { kind: 'increment', key, field: 'packets', n } })
const set = (origin: number, key: FlowKey, value: unknown): Step<FlowOp> => ({ kind: 'write', origin, op: { kind: 'set', key, value } })
const del = (origin: number, key: FlowKey): Step<FlowOp> => ({ kind: 'write', origin, op: { kind: 'delete', key } })
const sync = (from: number, to: number): Step<FlowOp> => ({ kind: 'sync', from, to, stampFirst: true })
const wait = (ms: number): Step<FlowOp> => ({ kind: 'advance', ms })
const three = { ids: ['a', 'b', 'c'], skewMs: [0, 0, 0] }

describe('flowTable: folding a departed origin', () => {
  it('moves a departed origin\'s counts into the heir: sums unchanged, one cell per entry', () => {
    const system = runHistory(plainFlowTableAdapter, { ...three, steps: [
      inc(0, 'flow', 3), inc(1, 'flow', 4), inc(0, 'other', 5),
      sync(0, 1), sync(1, 0), sync(0, 2), sync(1, 2),
    ] })
    const heir = system.replicas[1]!.state
    const bystander = system.replicas[2]!.state
    expect([global(heir, 'flow', 'packets'), global(heir, 'other', 'packets')]).toEqual([7, 5])
    const cellsBefore = cellsInUse(heir)

    const absorbing = fold(system, 0, 1)
    expect([global(heir, 'flow', 'packets'), global(heir, 'other', 'packets')]).toEqual([7, 5])
    expect([local(heir, 'flow', 1, 'packets'), local(heir, 'other', 1, 'packets')]).toEqual([7, 5])
    expect([cellOrigins(heir, 'flow'), cellOrigins(heir, 'other')]).toEqual([[1], [1]])
    expect(cellsInUse(heir)).toBe(cellsBefore - 1) // two cells of the departed origin freed, one heir cell created
    expect(heir.freeCells.length).toBe(2)

    // A bystander applies the absorbing slots (nothing counted twice meanwhile), then drops the origin.
    for (const message of absorbing) {
      deliver(plainFlowTableAdapter as TypeAdapter<FlowTableState, FlowCellDelta, unknown>, bystander, message)
      expect([global(bystander, 'flow', 'packets'), global(bystander, 'other', 'packets')]).toEqual([7, 5])
    }
    flowTableOps.dropOrigin!(bystander, 0)
    expect([global(bystander, 'flow', 'packets'), global(bystander, 'other', 'packets')]).toEqual([7, 5])
    expect([cellOrigins(bystander, 'flow'), cellOrigins(bystander, 'other')]).toEqual([[1], [1]])
  })

  it('writes nothing for a departed origin whose cell is deleted, and does not revive the entry', () => {
    const system = runHistory(plainFlowTableAdapter, { ...three, steps: [
      inc(0, 'flow', 3), sync(0, 1), del(1, 'flow'), sync(1, 0),
    ] })
    const heir = system.replicas[1]!
    const cellBefore = [...heir.state.numbers]
    flowTableOps.absorb!(heir.state, 0, 1)
    expect(heir.dirty.size).toBe(0)
    expect([...heir.state.numbers]).toEqual(cellBefore)
    flowTableOps.dropOrigin!(heir.state, 0)
    expect(global(heir.state, 'flow', 'packets')).toBe('absent')
    expect(cellOrigins(heir.state, 'flow')).toEqual([1])
  })

  it('writes nothing for an expired entry, does not revive it, and drops it with its last cell', () => {
    const system = runHistory(timedFlowTableAdapter, { ...three, steps: [inc(0, 'flow', 3), sync(0, 1), wait(100)] })
    const heir = system.replicas[1]!
    const dropped: FlowKey[] = []
    heir.state.onDrop = (key) => { dropped.push(key) }
    expect(global(heir.state, 'flow', 'packets')).toBe('absent')
    flowTableOps.absorb!(heir.state, 0, 1)
    expect(heir.dirty.size).toBe(0)
    flowTableOps.dropOrigin!(heir.state, 0)
    expect(global(heir.state, 'flow', 'packets')).toBe('absent')
    expect(heir.state.keyIndex.has('flow')).toBe(false)
    expect(dropped).toEqual(['flow'])
  })

  it('does not reset idle expiry: the absorbed entry expires when it would have', () => {
    const system = runHistory(timedFlowTableAdapter, { ...three, steps: [inc(0, 'flow', 3), wait(60), inc(1, 'other', 1), sync(0, 1)] })
    const heir = system.replicas[1]!
    fold(system, 0, 1)
    expect(global(heir.state, 'flow', 'packets')).toBe(3)
    expect(global(heir.state, 'flow', 'lastSeen')).toBe(1000)
    system.world.nowMs = 1099
    expect(global(heir.state, 'flow', 'packets')).toBe(3)
    system.world.nowMs = 1100
    expect(global(heir.state, 'flow', 'packets')).toBe('absent')
  })

  it('keeps a deletion the departed origin made of the heir\'s cell: the heir restarts with what stayed visible', () => {
    const system = runHistory(plainFlowTableAdapter, { ...three, steps: [
      inc(1, 'flow', 5), sync(1, 0),
      del(0, 'flow'), // the departed origin deletes the 5 it saw
      inc(1, 'flow', 2), // concurrent with the delete
      sync(0, 1),
    ] })
    const heir = system.replicas[1]!.state
    expect([global(heir, 'flow', 'packets'), local(heir, 'flow', 1, 'packets')]).toEqual([2, 2])
    const lifeBefore = lifeOf(heir, heir.entryOwn[lookup(heir, 'flow')]!)
    fold(system, 0, 1)
    expect([global(heir, 'flow', 'packets'), local(heir, 'flow', 1, 'packets')]).toEqual([2, 2])
    expect(cellOrigins(heir, 'flow')).toEqual([1])
    const own = heir.entryOwn[lookup(heir, 'flow')]!
    expect(lifeOf(heir, own)).toBeGreaterThan(lifeBefore)
    expect(heir.removals.get(own)).toBeUndefined()
  })

  it('keeps deletions the departed origin made of a third origin\'s cell', () => {
    const system = runHistory(plainFlowTableAdapter, { ...three, steps: [
      inc(2, 'flow', 5), inc(1, 'flow', 1), sync(2, 0), del(0, 'flow'), sync(0, 1), sync(2, 1),
    ] })
    const heir = system.replicas[1]!.state
    expect(global(heir, 'flow', 'packets')).toBe(1)
    fold(system, 0, 1)
    expect(global(heir, 'flow', 'packets')).toBe(1)
    const base = heir.removals.get(heir.entryOwn[lookup(heir, 'flow')]!)?.get(2)
    expect(base?.counters[heir.fieldByName.get('packets')!.offset]).toBe(5)
  })

  it('a register takes the departed origin\'s later value with its timestamp', () => {
    const system = runHistory(plainFlowTableAdapter, { ...three, steps: [
      set(1, 'flow', 'old'), wait(5), set(0, 'flow', 'new'), sync(0, 1),
    ] })
    const heir = system.replicas[1]!.state
    const departedCell = findCell(heir, lookup(heir, 'flow'), 0)
    const label = heir.fieldByName.get('label')!
    const timestamp = [heir.numbers[departedCell * heir.stride + label.offset], heir.numbers[departedCell * heir.stride + label.offset + 1]]
    fold(system, 0, 1)
    const own = heir.entryOwn[lookup(heir, 'flow')]!
    expect(global(heir, 'flow', 'label')).toBe('new')
    expect([heir.numbers[own * heir.stride + label.offset], heir.numbers[own * heir.stride + label.offset + 1]]).toEqual(timestamp)
  })

  it('refuses to absorb an origin into itself, and to drop an origin with unstamped writes', () => {
    const system = runHistory(plainFlowTableAdapter, { ...three, steps: [inc(0, 'flow', 1)] }, { finish: false })
    const state = system.replicas[0]!.state
    expect(() => flowTableOps.absorb!(state, 1, 1)).toThrow(RangeError)
    expect(() => flowTableOps.dropOrigin!(state, 0)).toThrow(/unstamped/)
    expect(cellOrigins(state, 'flow')).toEqual([0])
    expect(global(state, 'flow', 'packets')).toBe(1)
  })
})
