import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Reader, createEncoder, readKey, toBytes, writeKey } from '../../crdts/codec.js'
import { PACKED_FIVE_TUPLE_BYTES, parseFiveTuple } from '../../crdts/five-tuple.js'
import { flowKey } from '../../src/flow-key.js'
import { DecodeError } from '../../src/errors.js'

function roundTrip(key: string | number): { back: string | number; bytes: number } {
  const encoder = createEncoder()
  writeKey(encoder, key)
  const bytes = toBytes(encoder)
  const reader = new Reader(bytes)
  const back = readKey(reader)
  reader.end('key')
  return { back, bytes: bytes.length }
}

const octet = fc.integer({ min: 0, max: 255 })
const address = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'))
const port = fc.integer({ min: 0, max: 65535 })
const tuple = fc.record({ src: address, sport: port, dst: address, dport: port, proto: fc.integer({ min: 0, max: 255 }) })

describe('flow keys on the wire', () => {
  it('packs every canonical IPv4 5-tuple into 14 bytes and reads it back exactly', () => {
    fc.assert(fc.property(tuple, (parts) => {
      const key = flowKey(parts)
      const { back, bytes } = roundTrip(key)
      expect(back).toBe(key)
      expect(bytes).toBe(1 + PACKED_FIVE_TUPLE_BYTES)
    }), { numRuns: 2000 })
  })

  it('reads any other string or integer back exactly (near misses stay strings)', () => {
    const nearMisses = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.tuple(tuple, fc.constantFrom('0', ' ', 'x', '/6', ':', '.')).map(([parts, extra]) => flowKey(parts) + extra),
      fc.tuple(tuple, fc.nat(30)).map(([parts, at]) => { const key = flowKey(parts); return key.slice(0, at % key.length) + '0' + key.slice(at % key.length) }),
      fc.constantFrom('256.0.0.1:1>1.1.1.1:1/6', '1.1.1.1:65536>1.1.1.1:1/6', '1.1.1.1:1>1.1.1.1:1/256', '01.1.1.1:1>1.1.1.1:1/6', '1.1.1.1:01>1.1.1.1:1/6', '1.1.1.1:1>1.1.1.1:1/tcp', '::1:1>::1:2/6'),
    )
    fc.assert(fc.property(fc.oneof(nearMisses, fc.maxSafeNat()), (key) => {
      expect(roundTrip(key).back).toBe(key)
    }), { numRuns: 3000 })
  })

  it('packs only keys that read back as they are', () => {
    expect(parseFiveTuple('10.0.3.7:51234>10.1.0.2:443/6')).toEqual([10, 0, 3, 7, 51234, 10, 1, 0, 2, 443, 6])
    for (const key of ['010.0.3.7:51234>10.1.0.2:443/6', '10.0.3.7:051234>10.1.0.2:443/6', '10.0.3.7:51234>10.1.0.2:443/06', '10.0.3.7:51234>10.1.0.2:443/udp', '10.0.3.7:70000>10.1.0.2:443/6']) {
      expect(parseFiveTuple(key), key).toBeNull()
    }
  })

  it('a packed key reads back as its string, and a truncated one is refused', () => {
    const keys = ['10.0.3.7:51234>10.1.0.2:443/6', 'not-a-tuple', 42, '192.168.0.1:1>192.168.0.2:2/17']
    const encoder = createEncoder()
    for (const key of keys) writeKey(encoder, key)
    const bytes = toBytes(encoder)
    const reader = new Reader(bytes)
    expect(keys.map(() => readKey(reader))).toEqual(keys)
    reader.end('keys')
    const truncated = new Reader(bytes.subarray(0, 1 + PACKED_FIVE_TUPLE_BYTES - 1))
    expect(() => readKey(truncated)).toThrow(DecodeError)
  })
})
