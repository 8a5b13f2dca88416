/** CRC-32 against zlib's (the reference implementation of the same polynomial). */
import fc from 'fast-check'
import { crc32 as zlibCrc32 } from 'node:zlib'
import { expect, test } from 'vitest'
import { checksumMatches, crc32, withChecksum } from '../src/checksum.js'

test('crc32 of the standard check string', () => {
  expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
})

test('crc32 equals zlib for any bytes, and a sealed frame verifies until a bit flips', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, bit) => {
    if (typeof zlibCrc32 === 'function') expect(crc32(bytes)).toBe(zlibCrc32(bytes) >>> 0)
    const sealed = withChecksum(bytes)
    expect(checksumMatches(sealed)).toBe(true)
    const flipped = sealed.slice()
    flipped[(bit >>> 3) % flipped.length]! ^= 1 << (bit & 7)
    expect(checksumMatches(flipped)).toBe(false)
  }))
})
