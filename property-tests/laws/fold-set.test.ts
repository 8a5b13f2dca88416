/**
 * Folding a departed origin into an heir, for the add-wins set (crdts/aw-set.ts): the folding
 * suite (harness/fold.ts), on the usual element universe and on two elements only, so adds and
 * removes of one element by several origins meet often.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { type AWSetDelta, type AWSetState, type SetElement, has, size, values } from '../../crdts/aw-set.js'
import { type FoldAdapter, foldProperties } from '../harness/fold.js'
import { compareKeys } from '../harness/replica-sim.js'
import { type AWSetOp, awSetAdapter, setUniverse } from '../harness/types/aw-set.js'

function globalViews(universe: readonly SetElement[]) {
  return (state: AWSetState): unknown => ({
    values: [...values(state)].sort(compareKeys),
    size: size(state),
    has: universe.map((element) => has(state, element)),
  })
}

export function setMentions(state: AWSetState, origin: number): string[] {
  const found: string[] = []
  for (const [element, cells] of state.byElement) {
    for (const cell of cells) {
      if (cell.origin === origin) found.push(`the cell of element ${String(element)}`)
      if (cell.removed?.has(origin)) found.push(`a removal in the cell of origin ${cell.origin} for element ${String(element)}`)
    }
  }
  for (const cell of state.cells) if (cell.origin === origin) found.push(`slot ${cell.slot}`)
  return found
}

export function setBookkeeping(state: AWSetState): string[] {
  const problems: string[] = []
  const listed = new Set<number>()
  for (const [element, cells] of state.byElement) {
    if (cells.length === 0) problems.push(`element ${String(element)} has an empty cell list`)
    for (const cell of cells) {
      if (state.cells[cell.slot] !== cell) problems.push(`element ${String(element)}: cell of origin ${cell.origin} is not at its slot ${cell.slot}`)
      if (cell.element !== element) problems.push(`element ${String(element)} lists a cell of ${String(cell.element)}`)
      if (cell.removed?.size === 0) problems.push(`element ${String(element)}: an empty removed map`)
      listed.add(cell.slot)
    }
  }
  const free = new Set(state.freeSlots)
  if (free.size !== state.freeSlots.length) problems.push('a slot is twice on the free list')
  state.cells.forEach((cell, slot) => {
    const isFree = cell.origin === -1 && cell.version === 0
    if (isFree !== free.has(slot)) problems.push(`slot ${slot}: free ${isFree}, on the free list ${free.has(slot)}`)
    if (!isFree && !listed.has(slot)) problems.push(`slot ${slot} is in use but no element lists it`)
  })
  return problems
}

export function setCellsInUse(state: AWSetState): number {
  return state.cells.length - state.freeSlots.length
}

function foldingSetAdapter(name: string, universe: readonly SetElement[]): FoldAdapter<AWSetState, AWSetDelta, AWSetOp> {
  return {
    ...awSetAdapter,
    name,
    write: fc.record({ kind: fc.constantFrom('add' as const, 'remove' as const), element: fc.constantFrom(...universe) }),
    globalViews: globalViews(universe),
    mentions: setMentions,
    bookkeeping: setBookkeeping,
    cellsInUse: setCellsInUse,
  }
}

for (const adapter of [foldingSetAdapter('awSet', setUniverse), foldingSetAdapter('awSet(two elements)', ['a', 7])]) {
  describe(`${adapter.name}: folding a departed origin into its heir`, () => {
    for (const [name, property] of Object.entries(foldProperties(adapter))) it(name, property)
  })
}
