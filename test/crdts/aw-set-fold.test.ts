import { describe, expect, it } from 'vitest'
import { type AWSetState, add, awSetOps, createAWSet, has, localValues, remove, values } from '../../crdts/aw-set.js'
import { joinInto } from '../../crdts/join.js'
import { recordingSink } from './helpers.js'

/** Stamps every dirty cell of `origin` (what a runtime round does); returns the stamped slots. */
function stampAll(state: AWSetState, origin: number, version: number): number[] {
  const stamped: number[] = []
  for (const cell of state.cells) {
    if (cell.origin === origin && cell.dirty) {
      awSetOps.stamp(state, cell.slot, version)
      stamped.push(cell.slot)
    }
  }
  return stamped
}

function origins(state: AWSetState, element: string): number[] {
  return (state.byElement.get(element) ?? []).map((cell) => cell.origin).sort()
}

describe('awSet: folding a departed origin', () => {
  it('the heir takes over the departed origin\'s adds: same elements, one cell per element', () => {
    const departed = createAWSet()
    const heir = createAWSet(0, recordingSink())
    add(departed, 0, 'shared')
    add(departed, 0, 'only-departed')
    add(heir, 1, 'shared')
    stampAll(departed, 0, 1)
    stampAll(heir, 1, 1)
    joinInto(awSetOps, heir, departed)
    const bystander = createAWSet()
    joinInto(awSetOps, bystander, heir)

    awSetOps.absorb!(heir, 0, 1)
    stampAll(heir, 1, 2)
    // Before the drop, the heir's cells already cancel the departed adds they took over.
    joinInto(awSetOps, bystander, heir)
    expect([...values(bystander)].sort()).toEqual(['only-departed', 'shared'])
    expect([...localValues(bystander, 0)]).toEqual([])

    for (const state of [heir, bystander]) {
      awSetOps.dropOrigin!(state, 0)
      expect([...values(state)].sort()).toEqual(['only-departed', 'shared'])
      expect([...localValues(state, 1)].sort()).toEqual(['only-departed', 'shared'])
      expect([origins(state, 'shared'), origins(state, 'only-departed')]).toEqual([[1], [1]])
      for (const cell of state.cells) expect(cell.removed?.has(0) ?? false).toBe(false)
    }
    expect(heir.freeSlots.length).toBe(2)
    expect([...awSetOps.slots(heir)].map((slot) => awSetOps.owner(heir, slot))).toEqual([1, 1])
  })

  it('keeps the departed origin\'s removals, and revives nothing it removed', () => {
    const other = createAWSet()
    const departed = createAWSet()
    const heir = createAWSet()
    add(other, 2, 'x')
    stampAll(other, 2, 1)
    joinInto(awSetOps, departed, other)
    remove(departed, 0, 'x')
    stampAll(departed, 0, 1)
    joinInto(awSetOps, heir, other)
    joinInto(awSetOps, heir, departed)
    expect(has(heir, 'x')).toBe(false)
    awSetOps.absorb!(heir, 0, 1)
    stampAll(heir, 1, 1)
    awSetOps.dropOrigin!(heir, 0)
    expect(has(heir, 'x')).toBe(false)
    expect(heir.byElement.get('x')!.find((cell) => cell.origin === 1)!.removed).toEqual(new Map([[2, 1]]))
  })

  it('reuses freed slots for new cells', () => {
    const heir = createAWSet()
    const departed = createAWSet()
    add(departed, 0, 'x')
    stampAll(departed, 0, 1)
    joinInto(awSetOps, heir, departed)
    remove(heir, 1, 'x')
    stampAll(heir, 1, 1)
    awSetOps.absorb!(heir, 0, 1)
    awSetOps.dropOrigin!(heir, 0)
    expect(heir.freeSlots).toEqual([0])
    add(heir, 1, 'y')
    expect(heir.byElement.get('y')![0]!.slot).toBe(0)
    expect(heir.freeSlots).toEqual([])
  })

  it('refuses to absorb an origin into itself, and to drop an origin with unstamped changes', () => {
    const state = createAWSet()
    add(state, 0, 'x')
    expect(() => awSetOps.absorb!(state, 0, 0)).toThrow(RangeError)
    expect(() => awSetOps.dropOrigin!(state, 0)).toThrow(/unstamped/)
    expect(has(state, 'x')).toBe(true)
  })
})
