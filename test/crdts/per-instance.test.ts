import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createEncoder, toBytes, writeValue, writeVarUint } from '../../crdts/codec.js'
import { byInstance, createPerInstance, globalValue, localValue, perInstanceOps, set } from '../../crdts/per-instance.js'
import { createTestContext, createWorld } from '../../property-tests/harness/context.js'
import { perInstanceAdapters } from '../../property-tests/harness/types/per-instance.js'
import { checkProperty } from '../../property-tests/harness/runs.js'
import { DecodeError } from '../../src/errors.js'
import { decodeOrReject, decodeSuite, dump, originTable, recordingSink } from './helpers.js'

function world3() {
  return createWorld(3, { ids: ['c', 'a', 'b'] })
}

describe('perInstance', () => {
  it('reduces the live instances\' values with each built-in reduce', () => {
    const world = world3()
    const states = (['sum', 'avg', 'min', 'max', 'latest'] as const).map((reduce) => createPerInstance<number>(reduce, createTestContext(world)))
    for (const state of states) {
      set(state, 0, 4)
      set(state, 1, 1)
      set(state, 2, 10)
    }
    expect(states.map((state) => globalValue(state))).toEqual([15, 5, 1, 10, 10])
    world.live[2] = false
    expect(states.map((state) => globalValue(state))).toEqual([5, 2.5, 1, 4, 1])
    expect([...byInstance(states[0]!)]).toEqual([['a', 1], ['c', 4]])
    expect(localValue(states[0]!, 2)).toBe(10)
  })

  it('with no live value: sum is 0, the others undefined; a function reduce gets values in id order', () => {
    const world = world3()
    expect(globalValue(createPerInstance('sum', createTestContext(world)))).toBe(0)
    expect(globalValue(createPerInstance('avg', createTestContext(world)))).toBeUndefined()
    expect(globalValue(createPerInstance('latest', createTestContext(world)))).toBeUndefined()
    const custom = createPerInstance<string>((values) => values.join(','), createTestContext(world))
    set(custom, 0, 'from c')
    set(custom, 1, 'from a')
    expect(globalValue(custom)).toBe('from a,from c')
  })

  it.each([Number.NaN, Infinity, '3', null, undefined, {}])('a numeric reduce rejects %s with a RangeError and changes nothing', (bad) => {
    const sink = recordingSink()
    const state = createPerInstance<number>('sum', createTestContext(world3()), 0, sink)
    set(state, 0, 1)
    const before = JSON.stringify(dump(state))
    expect(() => set(state, 0, bad as number)).toThrow(RangeError)
    expect(() => set(state, 2, bad as number)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
    expect(sink.calls).toEqual([[0, 0]])
  })

  it('an own value shows in byInstance even when a higher origin arrived first', () => {
    const world = world3()
    const state = createPerInstance<unknown>('sum', createTestContext(world, 0))
    perInstanceOps.applySlot(state, 2, 1, { value: 7, wallMs: 1, logical: 0 }, originTable(3))
    set(state, 0, 1)
    expect([...byInstance(state)]).toEqual([['b', 7], ['c', 1]])
    expect(globalValue(state)).toBe(8)
  })

  it('a numeric reduce accepts only finite numbers from the wire', () => {
    checkProperty(fc.property(fc.anything({ withBigInt: false, withMap: false, withSet: false, withDate: false, withTypedArray: false }), (value) => {
      const state = createPerInstance<unknown>('sum', createTestContext(world3()))
      const encoder = createEncoder()
      writeVarUint(encoder, 5)
      writeVarUint(encoder, 0)
      writeValue(encoder, value)
      const delta = decodeOrReject(toBytes(encoder), (reader) => perInstanceOps.decodeSlot(reader, originTable(3), state))
      const finite = typeof value === 'number' && Number.isFinite(value)
      expect(delta instanceof DecodeError, `decoding ${fc.stringify(value)}`).toBe(!finite)
    }))
  })
})

// Decoding does not depend on the reduce, only on whether it is numeric.
for (const adapter of perInstanceAdapters.filter((adapter) => adapter.name === 'perInstance(sum)' || adapter.name === 'perInstance(latest)')) decodeSuite(adapter)
