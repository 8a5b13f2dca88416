import { describe, expect, it } from 'vitest'
import { counterOps, createCounter, globalValue, increment, localValue } from '../../crdts/counter.js'
import { counterAdapter } from '../../property-tests/harness/types/counter.js'
import { badCounts, decodeSuite, dump, originTable, recordingSink } from './helpers.js'

describe('counter', () => {
  it('sums own increments locally and every origin globally', () => {
    const state = createCounter()
    increment(state, 0)
    increment(state, 0, 4)
    increment(state, 2, 10)
    increment(state, 0, 0)
    expect(localValue(state, 0)).toBe(5)
    expect(localValue(state, 1)).toBe(0)
    expect(localValue(state, 2)).toBe(10)
    expect(localValue(state, 9)).toBe(0)
    expect(globalValue(state)).toBe(15)
  })

  it.each(badCounts)('rejects increment(%s) with a RangeError and changes nothing', (bad) => {
    const sink = recordingSink()
    const state = createCounter(2, sink)
    increment(state, 0, 3)
    const before = JSON.stringify(dump(state))
    const calls = sink.calls.length
    expect(() => increment(state, 0, bad as number)).toThrow(RangeError)
    expect(() => increment(state, 5, bad as number)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
    expect(sink.calls.length).toBe(calls)
  })

  it('marks the own slot dirty once per stamp, with its field index', () => {
    const sink = recordingSink()
    const state = createCounter(7, sink)
    increment(state, 1)
    increment(state, 1)
    expect(sink.calls).toEqual([[7, 1]])
    expect([...counterOps.slots(state)]).toEqual([])
    counterOps.stamp(state, 1, 1)
    expect(counterOps.version(state, 1)).toBe(1)
    expect([...counterOps.slots(state)]).toEqual([1])
    increment(state, 1)
    expect(sink.calls).toEqual([[7, 1], [7, 1]])
  })

  it('gossips an own slot whose origin is below an origin already received', () => {
    const state = createCounter()
    counterOps.applySlot(state, 3, 1, 4, originTable(4))
    increment(state, 0, 2)
    counterOps.stamp(state, 0, 1)
    expect([...counterOps.slots(state)].sort()).toEqual([0, 3])
  })

  it('applies a remote slot only when its version is newer, keeping the sum right', () => {
    const state = createCounter()
    increment(state, 0, 1)
    expect(counterOps.applySlot(state, 2, 3, 10, originTable(4))).toBe(2)
    expect(counterOps.applySlot(state, 2, 3, 99, originTable(4))).toBe(-1)
    expect(counterOps.applySlot(state, 2, 2, 5, originTable(4))).toBe(-1)
    expect(counterOps.applySlot(state, 2, 4, 12, originTable(4))).toBe(2)
    expect(localValue(state, 2)).toBe(12)
    expect(globalValue(state)).toBe(13)
  })
})

decodeSuite(counterAdapter)
