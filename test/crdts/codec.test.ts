import fc from 'fast-check'
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
