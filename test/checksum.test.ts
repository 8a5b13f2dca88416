/** The frame checksum: MurmurHash3 x86_32 against published vectors, and bit flips always caught. */
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { checksumMatches, murmur3, withChecksum } from '../src/checksum.js'

const text = (value: string) => new TextEncoder().encode(value)

test('murmur3 matches the reference implementation on known inputs', () => {
  expect(murmur3(new Uint8Array(0))).toBe(0)
  expect(murmur3(text('hello'))).toBe(0x248bfa47)
  expect(murmur3(text('The quick brown fox jumps over the lazy dog'))).toBe(0x2e4ff723)
  expect(murmur3(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe(0x76293b50)
})

test('aligned and unaligned views of the same bytes hash alike', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const shifted = new Uint8Array(bytes.length + 1)
    shifted.set(bytes, 1)
    expect(murmur3(shifted.subarray(1))).toBe(murmur3(bytes))
  }))
})

test('a sealed frame verifies, and any single flipped bit is caught', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, bit) => {
    const sealed = withChecksum(bytes)
    expect(checksumMatches(sealed)).toBe(true)
    const flipped = sealed.slice()
    flipped[(bit >>> 3) % flipped.length]! ^= 1 << (bit & 7)
    expect(checksumMatches(flipped)).toBe(false)
  }))
})
