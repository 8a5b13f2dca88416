/**
 * A compact wire form for flow keys in the canonical IPv4 5-tuple form `flowKey()` makes
 * (`10.0.3.7:51234>10.1.0.2:443/6`, protocol as a number): 13 bytes (two addresses, two ports,
 * the protocol) instead of the string's length byte and 20 to 45 characters. Only a string that
 * reads back exactly as it was is packed; any other key travels as a string.
 */
import type { Encoder, Reader } from './codec.js'
import * as encoding from 'lib0/encoding'

/** Bytes of a packed 5-tuple. */
export const PACKED_FIVE_TUPLE_BYTES = 13

/** Byte width of each of the 11 numbers: 4 octets, a port, 4 octets, a port, the protocol. */
const WIDTHS = [1, 1, 1, 1, 2, 1, 1, 1, 1, 2, 1]
/** What follows each number in the string (the last: nothing). */
const SEPARATORS = [46, 46, 46, 58, 62, 46, 46, 46, 58, 47, -1] // . . . : > . . . : /
const MAX_DIGITS = [3, 3, 3, 3, 5, 3, 3, 3, 3, 5, 3]
const LIMITS = WIDTHS.map((width) => 2 ** (8 * width))

/**
 * The key's 11 numbers if it is a canonical IPv4 5-tuple (it reads back exactly: decimal digits
 * without leading zeros, each within its byte width), else null. One pass over the characters.
 */
export function parseFiveTuple(key: string): number[] | null {
  return scan(key) ? scanned.slice() : null
}

const scanned: number[] = new Array<number>(11).fill(0)

/** Scans `key` into `scanned`; true when the whole key is a canonical 5-tuple. */
function scan(key: string): boolean {
  const length = key.length
  if (length < 19 || length > 47) return false
  let at = 0
  for (let part = 0; part < 11; part++) {
    const start = at
    let value = 0
    while (at < length) {
      const code = key.charCodeAt(at)
      if (code < 48 || code > 57) break
      value = value * 10 + (code - 48)
      at++
    }
    const digits = at - start
    if (digits === 0 || digits > MAX_DIGITS[part]! || (digits > 1 && key.charCodeAt(start) === 48) || value >= LIMITS[part]!) return false
    scanned[part] = value
    const separator = SEPARATORS[part]!
    if (separator < 0) return at === length
    if (key.charCodeAt(at) !== separator) return false
    at++
  }
  return false
}

/** Where `writeKeyAsFiveTuple` packs a key before writing it. */
const packing = new Uint8Array(PACKED_FIVE_TUPLE_BYTES)

/** Writes `key` packed and returns true when it is a canonical IPv4 5-tuple; else writes nothing. */
export function writeKeyAsFiveTuple(encoder: Encoder, key: string, tag: number): boolean {
  if (!packFiveTuple(key, packing, 0)) return false
  writePackedKey(encoder, packing, 0, tag)
  return true
}

/**
 * Packs `key` into `out` at `at` (the 13 bytes of its wire form) and returns true when it is a
 * canonical IPv4 5-tuple; else writes nothing and returns false.
 */
export function packFiveTuple(key: string, out: Uint8Array, at: number): boolean {
  if (!scan(key)) return false
  for (let i = 0; i < 11; i++) {
    const value = scanned[i]!
    out[at++] = value & 0xff
    if (WIDTHS[i] === 2) out[at++] = value >>> 8
  }
  return true
}

/** Whether the packed 5-tuples at `a[aAt]` and `b[bAt]` are the same. */
export function packedEqual(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): boolean {
  for (let i = 0; i < PACKED_FIVE_TUPLE_BYTES; i++) if (a[aAt + i] !== b[bAt + i]) return false
  return true
}

/**
 * Stores the packed 5-tuple at `from[fromAt]` as item `index` of `column` (13 bytes per item),
 * growing the column to at least `capacity` items when it is too short; returns the column.
 */
export function storePacked(column: Uint8Array, index: number, capacity: number, from: Uint8Array, fromAt: number): Uint8Array {
  if ((index + 1) * PACKED_FIVE_TUPLE_BYTES > column.length) {
    const grown = new Uint8Array(Math.max(capacity, index + 1) * PACKED_FIVE_TUPLE_BYTES)
    grown.set(column)
    column = grown
  }
  const to = index * PACKED_FIVE_TUPLE_BYTES
  for (let i = 0; i < PACKED_FIVE_TUPLE_BYTES; i++) column[to + i] = from[fromAt + i]!
  return column
}

/** Writes a packed 5-tuple key as `writeKey` would write its string (tag `tag`, then the 13 bytes). */
export function writePackedKey(encoder: Encoder, bytes: Uint8Array, at: number, tag: number): void {
  const pos = encoder.cpos
  const buffer = encoder.cbuf
  if (pos + 1 + PACKED_FIVE_TUPLE_BYTES <= buffer.length) {
    // In place while the current buffer has room (byte by byte: a subarray to copy from would
    // allocate a view per key).
    buffer[pos] = tag
    for (let i = 0; i < PACKED_FIVE_TUPLE_BYTES; i++) buffer[pos + 1 + i] = bytes[at + i]!
    encoder.cpos = pos + 1 + PACKED_FIVE_TUPLE_BYTES
    return
  }
  encoding.writeUint8(encoder, tag)
  for (let i = 0; i < PACKED_FIVE_TUPLE_BYTES; i++) encoding.writeUint8(encoder, bytes[at + i]!)
}

const codes = new Uint16Array(48)

function putDecimal(at: number, value: number): number {
  if (value >= 10000) codes[at++] = 48 + Math.floor(value / 10000)
  if (value >= 1000) codes[at++] = 48 + (Math.floor(value / 1000) % 10)
  if (value >= 100) codes[at++] = 48 + (Math.floor(value / 100) % 10)
  if (value >= 10) codes[at++] = 48 + (Math.floor(value / 10) % 10)
  codes[at++] = 48 + (value % 10)
  return at
}

/** The string of the packed 5-tuple at `bytes[at]` (a flat string: hashing it later needs no flattening). */
export function unpackFiveTuple(bytes: Uint8Array, at: number): string {
  let length = 0
  let read = at
  for (let part = 0; part < 11; part++) {
    const value = WIDTHS[part] === 2 ? bytes[read]! | (bytes[read + 1]! << 8) : bytes[read]!
    read += WIDTHS[part]!
    length = putDecimal(length, value)
    if (SEPARATORS[part]! >= 0) codes[length++] = SEPARATORS[part]!
  }
  return String.fromCharCode.apply(null, codes.subarray(0, length) as unknown as number[])
}

/** Reads a packed 5-tuple back into its string. */
export function readPackedFiveTuple(reader: Reader, what: string): string {
  const start = reader.skip(PACKED_FIVE_TUPLE_BYTES, what)
  return unpackFiveTuple(reader.bytes, start)
}
