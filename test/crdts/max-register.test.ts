import { describe, expect, it } from 'vitest'
import { Reader, createEncoder, toBytes, writeFloat64 } from '../../crdts/codec.js'
import { createMaxRegister, globalValue, localValue, maxRegisterOps, set } from '../../crdts/max-register.js'
import { DecodeError } from '../../src/errors.js'
import { maxRegisterAdapter } from '../../property-tests/harness/types/max-register.js'
import { decodeSuite, dump, originTable, recordingSink } from './helpers.js'

describe('maxRegister', () => {
  it('is undefined before any set, then keeps the largest value per origin and overall', () => {
    const state = createMaxRegister()
    expect(globalValue(state)).toBeUndefined()
    expect(localValue(state, 0)).toBeUndefined()
    set(state, 0, 5)
    set(state, 0, 3)
    set(state, 1, -2.5)
    expect(localValue(state, 0)).toBe(5)
    expect(localValue(state, 1)).toBe(-2.5)
    expect(globalValue(state)).toBe(5)
  })

  it('marks dirty only when the value rises', () => {
    const sink = recordingSink()
    const state = createMaxRegister(1, sink)
    set(state, 0, 5)
    maxRegisterOps.stamp(state, 0, 1)
    set(state, 0, 4)
    set(state, 0, 5)
    expect(sink.calls).toEqual([[1, 0]])
    set(state, 0, 6)
    expect(sink.calls).toEqual([[1, 0], [1, 0]])
  })

  it.each([Number.NaN, Infinity, -Infinity, '3', null, undefined, 1n])('rejects set(%s) with a RangeError and changes nothing', (bad) => {
    const sink = recordingSink()
    const state = createMaxRegister(0, sink)
    set(state, 0, 1)
    const before = JSON.stringify(dump(state))
    expect(() => set(state, 0, bad as number)).toThrow(RangeError)
    expect(() => set(state, 3, bad as number)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
    expect(sink.calls.length).toBe(1)
  })

  it.each([Number.NaN, Infinity, -Infinity])('refuses to decode %s', (value) => {
    const encoder = createEncoder()
    writeFloat64(encoder, value)
    expect(() => maxRegisterOps.decodeSlot(new Reader(toBytes(encoder)), originTable(1), createMaxRegister())).toThrow(DecodeError)
  })
})

decodeSuite(maxRegisterAdapter)
