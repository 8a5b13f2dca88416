/**
 * Shared pieces of the crdts unit tests: a recording dirty sink, a structural dump of a state (to
 * check that a rejected write changed nothing), and the decoding conformance suite every state
 * type passes: arbitrary bytes, mutated and truncated real encodings throw nothing but
 * `DecodeError`, and a decoded slot is applied without throwing.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Reader, createEncoder, toBytes } from '../../crdts/codec.js'
import type { DirtySink, OriginCodec } from '../../crdts/slot-type.js'
import { DecodeError } from '../../src/errors.js'
import { type TypeAdapter, createSystem, freshState, historyArbitrary, runHistory } from '../../property-tests/harness/replica-sim.js'
import { checkProperty } from '../../property-tests/harness/runs.js'

export interface RecordingSink extends DirtySink {
  readonly calls: [fieldIndex: number, slot: number][]
}

export function recordingSink(): RecordingSink {
  const calls: [number, number][] = []
  return { calls, markDirty: (fieldIndex, slot) => { calls.push([fieldIndex, slot]) } }
}

/** An origin table of `size` origins numbered as on the wire. */
export function originTable(size: number): OriginCodec {
  return { size, toWire: (origin) => origin, toLocal: (wireRef) => wireRef }
}

/** Plain data of every field of a state, except the sink, the context and callbacks. */
export function dump(value: unknown): unknown {
  if (value instanceof Map) return { map: [...value].map(dump) }
  if (ArrayBuffer.isView(value)) return { typed: Array.from(value as unknown as ArrayLike<number>) }
  if (Array.isArray(value)) return value.map(dump)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'sink' || key === 'context' || typeof inner === 'function') continue
      out[key] = dump(inner)
    }
    return out
  }
  return value
}

/** Values that are not non-negative safe integers (`undefined` is not here: it means the default, 1). */
export const badCounts: unknown[] = [-1, -0.5, 1.5, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, 2 ** 64, '1', null, 1n, {}]

/** Values that are neither strings nor non-negative safe integers. */
export const badKeys: unknown[] = [-1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, null, undefined, true, {}, [], 1n, Symbol('k')]

/** Bytes as they arrive inside a frame: a view on part of a larger buffer. */
export const untrustedBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.uint8Array({ maxLength: 48 }), fc.uint8Array({ minLength: 1, maxLength: 16 }))
  .map(([bytes, tail]) => {
    const buffer = new Uint8Array(bytes.length + tail.length)
    buffer.set(bytes)
    buffer.set(tail, bytes.length)
    return buffer.subarray(0, bytes.length)
  })

/** Runs `decode` over `bytes` and requires every byte consumed; any error but `DecodeError` fails. */
export function decodeOrReject<T>(bytes: Uint8Array, decode: (reader: Reader) => T): T | DecodeError {
  const reader = new Reader(bytes)
  try {
    const value = decode(reader)
    reader.end('slot')
    return value
  } catch (error) {
    if (error instanceof DecodeError) return error
    throw new Error(`decoding ${Buffer.from(bytes).toString('hex')} threw ${String(error)} instead of a DecodeError`, { cause: error })
  }
}

/** Every slot of a random reachable state of `adapter`, encoded. */
function slotEncodings<State, Delta, Op>(adapter: TypeAdapter<State, Delta, Op>): fc.Arbitrary<Uint8Array[]> {
  return historyArbitrary(adapter, { maxSteps: 25 }).map((history) => {
    const system = runHistory(adapter, history)
    const encodings: Uint8Array[] = []
    for (const replica of system.replicas) {
      for (const slot of adapter.ops.slots(replica.state)) {
        const encoder = createEncoder()
        adapter.ops.encodeSlot(encoder, replica.state, slot, originTable(system.replicas.length))
        encodings.push(toBytes(encoder))
      }
    }
    return encodings
  }).filter((encodings) => encodings.length > 0)
}

/** The decoding conformance suite for one state type. */
export function decodeSuite<State, Delta, Op>(adapter: TypeAdapter<State, Delta, Op>): void {
  const origins = originTable(4)
  const { ops } = adapter
  const system = createSystem(adapter, { ids: ['a', 'b', 'c', 'd'], skewMs: [0, 0, 0, 0] })

  /** Decodes into a fresh state and applies what decoded: nothing may throw but DecodeError. */
  function decodeAndApply(bytes: Uint8Array): Delta | DecodeError {
    const state = freshState(system)
    const before = JSON.stringify(dump(state))
    const delta = decodeOrReject(bytes, (reader) => ops.decodeSlot(reader, origins, state))
    expect(JSON.stringify(dump(state)), 'decoding changed the state').toBe(before)
    if (!(delta instanceof DecodeError)) ops.applySlot(state, 1, 1, delta, origins)
    return delta
  }

  describe(`${adapter.name}: decoding untrusted bytes`, () => {
    it('arbitrary bytes decode or throw DecodeError, and never change the state', () => {
      checkProperty(fc.property(untrustedBytes, (bytes) => { decodeAndApply(bytes) }))
    })

    it('real encodings with a byte changed decode or throw DecodeError', () => {
      checkProperty(fc.property(slotEncodings(adapter), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (encodings, which, at, byte) => {
        const bytes = encodings[which % encodings.length]!.slice()
        bytes[at % bytes.length] = byte
        decodeAndApply(bytes)
      }))
    })

    it('every strict prefix of a real encoding throws DecodeError', () => {
      checkProperty(fc.property(slotEncodings(adapter), (encodings) => {
        for (const encoding of encodings) {
          expect(decodeAndApply(encoding), 'the whole encoding decodes').not.toBeInstanceOf(DecodeError)
          for (let length = 0; length < encoding.length; length++) {
            expect(decodeAndApply(encoding.subarray(0, length)), `prefix of ${length} of ${encoding.length} bytes`).toBeInstanceOf(DecodeError)
          }
        }
      }))
    })
  })
}
