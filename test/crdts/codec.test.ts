import fc from 'fast-check'
import * as decoding from 'lib0/decoding'
import { describe, expect, it } from 'vitest'
import { Reader, createEncoder, readKey, toBytes, writeKey, writeString, writeValue, writeVarUint } from '../../crdts/codec.js'
import { DecodeError } from '../../src/errors.js'
import { checkProperty } from '../../property-tests/harness/runs.js'
import { decodeOrReject, untrustedBytes } from './helpers.js'

function bytesOf(write: (encoder: ReturnType<typeof createEncoder>) => void): Uint8Array {
  const encoder = createEncoder()
  write(encoder)
  return toBytes(encoder)
}

describe('Reader', () => {
  it('every read of untrusted bytes returns or throws DecodeError', () => {
    const reads: ((reader: Reader) => unknown)[] = [
      (reader) => reader.u8(), (reader) => reader.varUint(), (reader) => reader.varInt(), (reader) => reader.float64(),
      (reader) => reader.u32(), (reader) => reader.varBytes(), (reader) => reader.string('s', 16), (reader) => reader.value(),
      (reader) => reader.count(3, 'count'), (reader) => readKey(reader),
    ]
    checkProperty(fc.property(untrustedBytes, fc.nat(reads.length - 1), (bytes, which) => {
      decodeOrReject(bytes, reads[which]!)
    }))
  })

  it('keys round-trip, and 7 stays distinct from "7"', () => {
    checkProperty(fc.property(fc.oneof(fc.string(), fc.maxSafeNat()), (key) => {
      expect(decodeOrReject(bytesOf((encoder) => writeKey(encoder, key)), (reader) => readKey(reader))).toBe(key)
    }))
  })

  it('refuses counts over their limit, over-long strings and invalid UTF-8', () => {
    expect(() => new Reader(bytesOf((encoder) => writeVarUint(encoder, 4))).count(3, 'count')).toThrow(DecodeError)
    expect(() => new Reader(bytesOf((encoder) => writeString(encoder, 'abcdef'))).string('s', 4)).toThrow(DecodeError)
    expect(() => new Reader(new Uint8Array([2, 0xc3, 0x28])).string()).toThrow(DecodeError)
    expect(() => new Reader(new Uint8Array([1])).end()).toThrow(DecodeError)
  })

  it('a value nested too deeply for the stack is a DecodeError', () => {
    const depth = 200_000
    const bytes = new Uint8Array(depth * 2 + 1)
    for (let i = 0; i < depth; i++) {
      bytes[i * 2] = 117 // array
      bytes[i * 2 + 1] = 1 // of one element
    }
    bytes[depth * 2] = 126 // null
    expect(() => new Reader(bytes).value()).toThrow(DecodeError)
  })

  it('JSON-like values round-trip', () => {
    checkProperty(fc.property(fc.jsonValue(), (value) => {
      const bytes = bytesOf((encoder) => writeValue(encoder, value))
      expect(decodeOrReject(bytes, (reader) => reader.value())).toEqual(value)
    }))
  })
})

describe('Reader.varUint above the safe integers', () => {
  it('rejects 2^53 with a DecodeError instead of returning an inexact integer', () => {
    const bytes = new Uint8Array([128, 128, 128, 128, 128, 128, 128, 16])
    expect(() => new Reader(bytes).varUint('value')).toThrow(DecodeError)
    const largest = new Uint8Array([255, 255, 255, 255, 255, 255, 255, 15])
    expect(new Reader(largest).varUint('value')).toBe(Number.MAX_SAFE_INTEGER)
  })
})

describe('Reader.varUint against lib0', () => {
  it('reads what lib0 reads from any bytes (non-minimal forms and truncations included), or throws DecodeError where lib0 fails', () => {
    // Byte values biased to the continuation bit, so multi-byte and truncated forms are common.
    const byte = fc.oneof(fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0, max: 0xff }), fc.constantFrom(0x80, 0x00, 0x7f))
    checkProperty(fc.property(fc.array(byte, { maxLength: 12 }), fc.nat(3), (values, offset) => {
      const bytes = new Uint8Array(values)
      const start = Math.min(offset, bytes.length)
      const reference = decoding.createDecoder(bytes)
      reference.pos = start
      let expected: number | undefined
      try {
        expected = decoding.readVarUint(reference)
      } catch {
        expected = undefined
      }
      const reader = new Reader(bytes, start)
      if (expected === undefined || expected > Number.MAX_SAFE_INTEGER) {
        expect(() => reader.varUint('value')).toThrow(DecodeError)
        return
      }
      expect(reader.varUint('value')).toBe(expected)
      expect(reader.position).toBe(reference.pos)
    }))
  })

  it('reads every length of varint its writer makes', () => {
    for (const value of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 35 + 5, Number.MAX_SAFE_INTEGER]) {
      const bytes = bytesOf((encoder) => writeVarUint(encoder, value))
      // Alone (the reader near the end of its bytes) and followed by more bytes.
      expect(new Reader(bytes).varUint()).toBe(value)
      const padded = new Uint8Array(bytes.length + 5)
      padded.set(bytes)
      const reader = new Reader(padded)
      expect(reader.varUint()).toBe(value)
      expect(reader.position).toBe(bytes.length)
    }
  })
})
