/**
 * Bounds-checked reading on top of lib0's decoder. lib0 trusts its input (reading past the end
 * yields `undefined` for single bytes); frames come from the network, so every read here checks
 * that the bytes exist and that counts are plausible, and fails with a `DecodeError` that says
 * what was wrong. Writing uses lib0's encoder directly.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { DecodeError } from '../src/errors.js'
import { holdShape } from '../src/shapes.js'
import { readPackedFiveTuple, writeKeyAsFiveTuple } from './five-tuple.js'
import { MAX_VALUE_DEPTH } from './validate.js'

export type Encoder = encoding.Encoder

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A cursor over untrusted bytes. */
export class Reader {
  private readonly decoder: decoding.Decoder
  /** Reads `bytes` from offset `start`. */
  constructor(readonly bytes: Uint8Array, start = 0) {
    this.decoder = decoding.createDecoder(bytes)
    this.decoder.pos = start
  }

  get position(): number {
    return this.decoder.pos
  }

  get remaining(): number {
    return this.bytes.length - this.decoder.pos
  }

  private need(byteCount: number, what: string): void {
    if (this.remaining < byteCount) {
      throw new DecodeError(`truncated: ${what} needs ${byteCount} bytes, ${this.remaining} left at offset ${this.decoder.pos}`)
    }
  }

  u8(what = 'byte'): number {
    const decoder = this.decoder
    const pos = decoder.pos
    if (pos >= this.bytes.length) this.need(1, what)
    decoder.pos = pos + 1
    return this.bytes[pos]!
  }

  varUint(what = 'varuint'): number {
    // One byte, the usual case (field numbers, version gaps, small counts), read in place.
    const decoder = this.decoder
    const pos = decoder.pos
    if (pos < this.bytes.length) {
      const byte = this.bytes[pos]!
      if (byte < 0x80) {
        decoder.pos = pos + 1
        return byte
      }
    }
    return this.longVarUint(what)
  }

  private longVarUint(what: string): number {
    // Two to four bytes (below 2^28: ordinals, byte counts), read in place like the one-byte case.
    const bytes = this.bytes
    const pos = this.decoder.pos
    if (pos + 4 <= bytes.length) {
      let byte = bytes[pos + 1]!
      let n = (bytes[pos]! & 0x7f) | ((byte & 0x7f) << 7)
      if (byte < 0x80) {
        this.decoder.pos = pos + 2
        return n
      }
      byte = bytes[pos + 2]!
      n |= (byte & 0x7f) << 14
      if (byte < 0x80) {
        this.decoder.pos = pos + 3
        return n
      }
      byte = bytes[pos + 3]!
      n |= (byte & 0x7f) << 21
      if (byte < 0x80) {
        this.decoder.pos = pos + 4
        return n
      }
    }
    let n: number
    try {
      n = decoding.readVarUint(this.decoder)
    } catch (cause) {
      throw new DecodeError(`bad ${what} at offset ${this.decoder.pos}`, { cause })
    }
    // lib0 reads up to 2^53; above Number.MAX_SAFE_INTEGER integers are no longer exact.
    if (n > Number.MAX_SAFE_INTEGER) throw new DecodeError(`${what} ${n} at offset ${this.decoder.pos} exceeds the largest safe integer`)
    return n
  }

  /** A varuint that must not exceed `max` (used for counts, so a forged length cannot make us allocate). */
  count(max: number, what: string): number {
    const n = this.varUint(what)
    if (n > max) throw new DecodeError(`${what} ${n} exceeds the limit ${max}`)
    return n
  }

  varInt(what = 'varint'): number {
    try {
      return decoding.readVarInt(this.decoder)
    } catch (cause) {
      throw new DecodeError(`bad ${what} at offset ${this.decoder.pos}`, { cause })
    }
  }

  float64(what = 'float64'): number {
    this.need(8, what)
    return decoding.readFloat64(this.decoder)
  }

  u32(what = 'uint32'): number {
    this.need(4, what)
    return decoding.readUint32(this.decoder)
  }

  /** Moves past `length` bytes; returns the offset of the first of them in `bytes`. */
  skip(length: number, what = 'bytes'): number {
    this.need(length, what)
    const start = this.decoder.pos
    this.decoder.pos += length
    return start
  }

  bytesOf(length: number, what = 'bytes'): Uint8Array {
    this.need(length, what)
    return decoding.readUint8Array(this.decoder, length)
  }

  varBytes(what = 'byte array'): Uint8Array {
    // The label names the array: a template here would build a string on every read.
    const length = this.varUint(what)
    return this.bytesOf(length, what)
  }

  string(what = 'string', maxBytes = 1 << 20): string {
    const length = this.varUint(what)
    if (length > maxBytes) throw new DecodeError(`${what} of ${length} bytes exceeds the limit ${maxBytes}`)
    this.need(length, what)
    try {
      return utf8.decode(decoding.readUint8Array(this.decoder, length))
    } catch (cause) {
      throw new DecodeError(`${what} is not valid UTF-8`, { cause })
    }
  }

  /** A value written with `writeValue` (lib0's `any` encoding: JSON-like data and byte arrays). */
  value(what = 'value'): unknown {
    const start = this.decoder.pos
    try {
      const value = readAnyValue(this.decoder)
      if (this.decoder.pos > this.bytes.length) throw new Error('read past the end')
      return value
    } catch (cause) {
      throw new DecodeError(`bad ${what} at offset ${start}`, { cause })
    }
  }

  /** Fails unless every byte was consumed: trailing garbage means a malformed frame. */
  end(what = 'frame'): void {
    if (this.remaining !== 0) throw new DecodeError(`${what} has ${this.remaining} trailing bytes`)
  }
}

/** lib0 `any` tags of the two container kinds. */
const ANY_OBJECT = 118
const ANY_ARRAY = 117

/**
 * lib0's `readAny`, except that object keys become own properties: lib0 assigns them, so a key
 * `__proto__` (which `JSON.parse` produces as an own key) set the object's prototype instead, and
 * a peer saw a different value than its writer. Leaves are read by lib0 itself.
 *
 * Nesting is limited as writes limit it (`MAX_VALUE_DEPTH`): a peer's value nested thousands of
 * levels deep, which no write can make, decoded and then broke recursive code that reads it
 * (`JSON.stringify` threw RangeError; found by the fuzzer, property-tests/fuzz/).
 */
function readAnyValue(decoder: decoding.Decoder, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new DecodeError(`value nests deeper than ${MAX_VALUE_DEPTH} levels`)
  const tag = decoding.readUint8(decoder)
  if (tag === ANY_OBJECT) {
    const length = decoding.readVarUint(decoder)
    const object: Record<string, unknown> = {}
    for (let i = 0; i < length; i++) {
      const key = decoding.readVarString(decoder)
      Object.defineProperty(object, key, { value: readAnyValue(decoder, depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return object
  }
  if (tag === ANY_ARRAY) {
    const length = decoding.readVarUint(decoder)
    const array: unknown[] = []
    for (let i = 0; i < length; i++) array.push(readAnyValue(decoder, depth + 1))
    return array
  }
  decoder.pos -= 1
  return decoding.readAny(decoder)
}

export const createEncoder = encoding.createEncoder
export const toBytes = encoding.toUint8Array

/** Copies what `encoder` holds into `into` at `at`; returns the offset after it. */
export function copyEncoded(encoder: Encoder, into: Uint8Array, at: number): number {
  for (const buffer of encoder.bufs) {
    into.set(buffer, at)
    at += buffer.length
  }
  into.set(encoder.cbuf.subarray(0, encoder.cpos), at)
  return at + encoder.cpos
}

/** Empties `encoder` for reuse, keeping its current buffer (the largest it grew). */
export function resetEncoder(encoder: Encoder): void {
  encoder.bufs.length = 0
  encoder.cpos = 0
}

/** lib0's `writeUint8`, with the byte stored in place while the current buffer has room. */
export function writeU8(encoder: Encoder, byte: number): void {
  if (encoder.cpos < encoder.cbuf.length) encoder.cbuf[encoder.cpos++] = byte
  else encoding.writeUint8(encoder, byte)
}

/** lib0's `writeVarUint`, with a one-byte value (the usual case) stored in place while the current buffer has room. */
export function writeVarUint(encoder: Encoder, n: number): void {
  if (n < 0x80 && n >= 0 && encoder.cpos < encoder.cbuf.length) encoder.cbuf[encoder.cpos++] = n
  else encoding.writeVarUint(encoder, n)
}
export const writeVarInt = encoding.writeVarInt
export const writeFloat64 = encoding.writeFloat64
export const writeU32 = encoding.writeUint32
export const writeString = encoding.writeVarString
export const writeVarBytes = encoding.writeVarUint8Array
export const writeBytes = encoding.writeUint8Array

/** Writes a JSON-like value (numbers, strings, booleans, null, undefined, arrays, plain objects, Uint8Array). */
export function writeValue(encoder: Encoder, value: unknown): void {
  encoding.writeAny(encoder, value as Parameters<typeof encoding.writeAny>[1])
}

/**
 * A flow key or set element: a string or a non-negative safe integer. Tag byte 0 = integer,
 * 1 = string, 2 = a string in the canonical IPv4 5-tuple form, packed (crdts/five-tuple.ts), so
 * `7` and `'7'` stay distinct.
 */
/** `writeKey`'s tag of a packed 5-tuple. */
export const PACKED_KEY_TAG = 2

export function writeKey(encoder: Encoder, key: string | number): void {
  if (typeof key === 'number') {
    encoding.writeUint8(encoder, 0)
    encoding.writeVarUint(encoder, key)
    return
  }
  if (writeKeyAsFiveTuple(encoder, key, PACKED_KEY_TAG)) return
  encoding.writeUint8(encoder, 1)
  encoding.writeVarString(encoder, key)
}

export function readKey(reader: Reader, what = 'key'): string | number {
  const tag = reader.u8(what)
  if (tag === 0) return reader.varUint(what)
  if (tag === 1) return reader.string(what, 64 * 1024)
  if (tag === PACKED_KEY_TAG) return readPackedFiveTuple(reader, what)
  throw new DecodeError(`${what} has unknown tag ${tag}`)
}

// The classes every frame makes instances of, held for their hidden class (src/shapes.ts).
holdShape(new Reader(new Uint8Array(0)))
holdShape(encoding.createEncoder())
