import { describe, expect, it } from 'vitest'
import { createPNCounter, decrement, globalValue, increment, localValue, pnCounterOps } from '../../crdts/pn-counter.js'
import { pnCounterAdapter } from '../../property-tests/harness/types/pn-counter.js'
import { badCounts, decodeSuite, dump, originTable, recordingSink } from './helpers.js'

describe('pnCounter', () => {
  it('keeps increments and decrements per origin; views are their differences', () => {
    const state = createPNCounter()
    increment(state, 0, 5)
    decrement(state, 0)
    decrement(state, 1, 7)
    increment(state, 1, 0)
    expect(localValue(state, 0)).toBe(4)
    expect(localValue(state, 1)).toBe(-7)
    expect(localValue(state, 3)).toBe(0)
    expect(globalValue(state)).toBe(-3)
  })

  it.each(badCounts)('rejects increment(%s) and decrement(%s) with a RangeError and changes nothing', (bad) => {
    const sink = recordingSink()
    const state = createPNCounter(0, sink)
    increment(state, 0, 2)
    const before = JSON.stringify(dump(state))
    expect(() => increment(state, 0, bad as number)).toThrow(RangeError)
    expect(() => decrement(state, 0, bad as number)).toThrow(RangeError)
    expect(() => decrement(state, 4, bad as number)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
    expect(sink.calls).toEqual([[0, 0]])
  })

  it('applies a newer remote slot and adjusts the global view by the difference', () => {
    const state = createPNCounter()
    increment(state, 0, 10)
    expect(pnCounterOps.applySlot(state, 1, 1, { increments: 3, decrements: 5 }, originTable(2))).toBe(1)
    expect(globalValue(state)).toBe(8)
    expect(pnCounterOps.applySlot(state, 1, 1, { increments: 100, decrements: 0 }, originTable(2))).toBe(-1)
    expect(pnCounterOps.applySlot(state, 1, 2, { increments: 4, decrements: 9 }, originTable(2))).toBe(1)
    expect(globalValue(state)).toBe(5)
    expect(localValue(state, 1)).toBe(-5)
  })
})

decodeSuite(pnCounterAdapter)
