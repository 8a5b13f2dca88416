import { describe, expect, it } from 'vitest'
import { Reader, createEncoder, toBytes, writeString, writeU8, writeVarBytes } from '../../crdts/codec.js'
import { type CustomDefinitionShape, applyWrite, createCustom, customOps, globalValue, localValue, merged, writeContext } from '../../crdts/custom.js'
import { decodeState, encodeState } from '../../crdts/custom-codec.js'
import { DecodeError } from '../../src/errors.js'
import { createTestContext, createWorld } from '../../property-tests/harness/context.js'
import { gCounterAdapter, lwwRegisterAdapter } from '../../property-tests/harness/types/custom.js'
import { gCounter } from '../testing/types/g-counter.js'
import { decodeSuite, originTable, recordingSink } from './helpers.js'

const definition = gCounter.definition as CustomDefinitionShape<unknown>
const world = createWorld(3, { ids: ['a', 'b', 'c'] })

function counterState(sink = recordingSink()) {
  const state = createCustom(definition, createTestContext(world, 0), 4, sink)
  return { state, sink, context: writeContext(state, 0) }
}

function encodeSlot(state: ReturnType<typeof counterState>['state'], slot: number): Uint8Array {
  const encoder = createEncoder()
  customOps.encodeSlot(encoder, state, slot, originTable(3))
  return toBytes(encoder)
}

function decodeSlot(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes)
  const delta = customOps.decodeSlot(reader, originTable(3), counterState().state)
  reader.end('slot')
  return delta
}

describe('custom type state', () => {
  it('writes change the own contribution; views read it and the join of all', () => {
    const { state, context } = counterState()
    applyWrite(state, 0, context, 'increment', [3])
    applyWrite(state, 0, context, 'increment', [])
    expect(localValue(state, 0)).toBe(4)
    expect(globalValue(state)).toBe(4)
    expect(customOps.applySlot(state, 2, 1, new Map([['c', 10]]), originTable(3))).toBe(2)
    expect(globalValue(state)).toBe(14)
    expect(localValue(state, 0)).toBe(4)
    expect(localValue(state, 2)).toBe(10)
    expect(localValue(state, 1)).toBe(0)
  })

  it('marks the own slot dirty once per stamp, unless the write returned false', () => {
    const { state, sink, context } = counterState()
    applyWrite(state, 0, context, 'increment', [0])
    expect(sink.calls).toEqual([])
    applyWrite(state, 0, context, 'increment', [1])
    applyWrite(state, 0, context, 'increment', [1])
    expect(sink.calls).toEqual([[4, 0]])
    customOps.stamp(state, 0, 1)
    expect([...customOps.slots(state)]).toEqual([0])
    applyWrite(state, 0, context, 'increment', [2])
    expect(sink.calls).toEqual([[4, 0], [4, 0]])
  })

  it('marks the slot dirty and rethrows when a write throws', () => {
    const { state, sink, context } = counterState()
    expect(() => applyWrite(state, 0, context, 'increment', [-1])).toThrow(RangeError)
    expect(sink.calls).toEqual([[4, 0]])
    expect(globalValue(state)).toBe(0)
  })

  it('applies a remote contribution only when its version is newer', () => {
    const { state } = counterState()
    expect(customOps.applySlot(state, 1, 2, new Map([['b', 5]]), originTable(3))).toBe(1)
    expect(customOps.applySlot(state, 1, 2, new Map([['b', 50]]), originTable(3))).toBe(-1)
    expect(customOps.applySlot(state, 1, 1, new Map([['b', 1]]), originTable(3))).toBe(-1)
    expect(globalValue(state)).toBe(5)
    expect(customOps.applySlot(state, 1, 3, new Map([['b', 7]]), originTable(3))).toBe(1)
    expect(globalValue(state)).toBe(7)
  })

  it('gives writes the own contribution, the merged state, a per-origin key, the id and the clock', () => {
    const { state, context } = counterState()
    customOps.applySlot(state, 1, 1, new Map([['b', 5]]), originTable(3))
    applyWrite(state, 0, context, 'increment', [2])
    expect(context.own).toEqual(new Map([['a', 2]]))
    expect(context.merged).toEqual(new Map([['a', 2], ['b', 5]]))
    expect(merged(state)).toBe(context.merged)
    expect(context.origin).toBe('a')
    expect(context.id).toBe('a')
    expect(context.now()).toBe(world.nowMs)
  })

  it('round-trips a contribution through its slot encoding', () => {
    const { state, context } = counterState()
    applyWrite(state, 0, context, 'increment', [9])
    customOps.stamp(state, 0, 1)
    expect(decodeSlot(encodeSlot(state, 0))).toEqual(new Map([['a', 9]]))
  })
})

describe('custom type decoding', () => {
  it('turns anything the user decode throws into a DecodeError naming the type', () => {
    const throwing: CustomDefinitionShape<unknown> = { ...definition, decode: () => { throw new TypeError('boom') } }
    expect(() => decodeState(throwing, new Uint8Array([1]))).toThrow(DecodeError)
    expect(() => decodeState(throwing, new Uint8Array([1]))).toThrow('custom type "test/g-counter": decode threw TypeError: boom')
  })

  it('rejects bytes the decode left unread', () => {
    const bytes = encodeState(definition, new Map([['a', 1]]))
    const longer = new Uint8Array([...bytes, 0])
    expect(() => decodeState(definition, longer)).toThrow(`decode left 1 of ${longer.length} bytes unread`)
  })

  it('carries an encode that throws as an error the receiver rejects', () => {
    const failing: CustomDefinitionShape<unknown> = { ...definition, encode: () => { throw new Error('cannot encode') } }
    const state = createCustom(failing, createTestContext(world, 0))
    applyWrite(state, 0, writeContext(state, 0), 'increment', [1])
    customOps.stamp(state, 0, 1)
    const encoder = createEncoder()
    expect(() => customOps.encodeSlot(encoder, state, 0, originTable(1))).not.toThrow()
    const reader = new Reader(toBytes(encoder))
    expect(() => customOps.decodeSlot(reader, originTable(1), state)).toThrow('the sender could not encode its state (Error: cannot encode)')
  })

  it('rejects an unknown slot tag and a forged length', () => {
    const unknownTag = createEncoder()
    writeU8(unknownTag, 7)
    expect(() => decodeSlot(toBytes(unknownTag))).toThrow('custom slot has unknown tag 7')
    const forged = createEncoder()
    writeU8(forged, 0)
    writeVarBytes(forged, new Uint8Array([1, 1]))
    writeString(forged, 'x')
    expect(() => decodeSlot(toBytes(forged).subarray(0, 3))).toThrow(DecodeError)
  })

  it('checks what encode writes, naming the bad value', () => {
    const writes = (write: (writer: Parameters<typeof definition.encode>[0]) => void) => () => encodeState({ ...definition, encode: write }, null)
    expect(writes((writer) => writer.varUint(-1))).toThrow('ByteWriter.varUint takes a non-negative safe integer, got -1')
    expect(writes((writer) => writer.u8(256))).toThrow(RangeError)
    expect(writes((writer) => writer.varInt(1.5))).toThrow(RangeError)
    expect(writes((writer) => writer.string(1 as unknown as string))).toThrow(RangeError)
    expect(writes((writer) => writer.varBytes([1] as unknown as Uint8Array))).toThrow(RangeError)
    expect(writes((writer) => writer.value(new Date()))).toThrow(RangeError)
  })
})

decodeSuite(gCounterAdapter)
decodeSuite(lwwRegisterAdapter)
