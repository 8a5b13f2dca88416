/**
 * The byte encoding a custom type writes its state with, and how a custom slot travels.
 *
 * A user's `encode` gets a `ByteWriter` and its `decode` a `ByteReader`: the same bounded reads
 * the built-in types use (crdts/codec.ts), so a truncated or forged payload fails with a
 * `DecodeError` that says what was wrong. On the wire a custom slot is
 *
 *     customSlot = 0x00 state:varBytes   (the user's encoding of the contribution)
 *                | 0x01 message:string   (the sender's encode threw: receivers reject the frame)
 *
 * The length prefix keeps a decoder that reads too little or too much from desynchronising the
 * rest of the frame: its payload must be consumed exactly.
 */
import * as encoding from 'lib0/encoding'
import { type Encoder, Reader, writeString, writeU8, writeValue, writeVarBytes } from './codec.js'
import { DecodeError } from '../src/errors.js'
import { assertPlainData, describe } from './validate.js'

/**
 * Where a custom type's `encode` writes. Every method checks its argument and throws a
 * `RangeError` naming it, so a bad value is found when it is written, not by a peer.
 * @example
 * ```ts
 * import { custom, defineState, createReplica } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * // Which of four latency buckets saw traffic, at any instance.
 * const buckets = custom({
 *   name: 'latency-buckets',
 *   empty: () => ({ seen: [0, 0, 0, 0] }),
 *   join: (a, b) => ({ seen: a.seen.map((flag, index) => flag | b.seen[index]!) }),
 *   writes: {
 *     observe({ own }, bucket: number) {
 *       if (!(bucket >= 0 && bucket < 4)) throw new RangeError(`no bucket ${bucket}`)
 *       own.seen[bucket] = 1
 *     },
 *   },
 *   encode(writer, state) {
 *     writer.u8(state.seen.length)
 *     for (const flag of state.seen) writer.u8(flag)
 *   },
 *   decode(reader) {
 *     const length = reader.u8('bucket count')
 *     return { seen: Array.from({ length }, () => reader.u8('flag') & 1) }
 *   },
 * })
 * const replica = createReplica(defineState({ buckets }), { id: 'solo' })
 * replica.state.buckets.observe(2)
 * assert.deepEqual(replica.snapshot(), { buckets: { seen: [0, 0, 1, 0] } })
 * ```
 */
export interface ByteWriter {
  /** One byte: an integer from 0 to 255. */
  u8(n: number): void
  /** A non-negative safe integer, 1 to 8 bytes (small numbers take one byte). */
  varUint(n: number): void
  /** A safe integer, negative allowed. */
  varInt(n: number): void
  /** Any number, 8 bytes (NaN and infinities included). */
  float64(n: number): void
  /** A string as UTF-8 with its length. */
  string(text: string): void
  /** Bytes with their length. */
  varBytes(bytes: Uint8Array): void
  /** Plain data (JSON-like values, bigints, `Uint8Array`), self-describing. */
  value(data: unknown): void
}

/**
 * What a custom type's `decode` reads from. Every read checks that the bytes exist and throws a
 * `DecodeError` otherwise; `what` names the value in that error's message.
 * @example
 * ```ts
 * import { custom, DecodeError } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const names = custom({
 *   name: 'names',
 *   empty: () => new Set<string>(),
 *   join: (a, b) => new Set([...a, ...b]),
 *   writes: { add({ own }, name: string) { own.add(name) } },
 *   encode(writer, all) { writer.varUint(all.size); for (const name of all) writer.string(name) },
 *   decode(reader) {
 *     const all = new Set<string>()
 *     // A count bounded by the bytes left: a forged count cannot make decode allocate.
 *     const count = reader.count(reader.remaining, 'name count')
 *     for (let i = 0; i < count; i++) {
 *       const name = reader.string('name', 256)
 *       if (all.has(name)) throw new DecodeError(`name ${JSON.stringify(name)} appears twice`)
 *       all.add(name)
 *     }
 *     return all
 *   },
 * })
 * assert.equal(names.kind, 'custom')
 * ```
 */
export interface ByteReader {
  /** Bytes not read yet. */
  readonly remaining: number
  u8(what?: string): number
  varUint(what?: string): number
  /** A varuint that must not exceed `max`: use it for counts, so a forged count cannot make you allocate. */
  count(max: number, what: string): number
  varInt(what?: string): number
  float64(what?: string): number
  /** A string of at most `maxBytes` UTF-8 bytes (default 1 MiB). */
  string(what?: string, maxBytes?: number): string
  varBytes(what?: string): Uint8Array
  value(what?: string): unknown
}

class CheckedWriter implements ByteWriter {
  constructor(private readonly encoder: Encoder) {}

  u8(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`ByteWriter.u8 takes an integer from 0 to 255, got ${describe(n)}`)
    encoding.writeUint8(this.encoder, n)
  }

  varUint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`ByteWriter.varUint takes a non-negative safe integer, got ${describe(n)}`)
    encoding.writeVarUint(this.encoder, n)
  }

  varInt(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`ByteWriter.varInt takes a safe integer, got ${describe(n)}`)
    encoding.writeVarInt(this.encoder, n)
  }

  float64(n: number): void {
    if (typeof n !== 'number') throw new RangeError(`ByteWriter.float64 takes a number, got ${describe(n)}`)
    encoding.writeFloat64(this.encoder, n)
  }

  string(text: string): void {
    if (typeof text !== 'string') throw new RangeError(`ByteWriter.string takes a string, got ${describe(text)}`)
    writeString(this.encoder, text)
  }

  varBytes(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new RangeError(`ByteWriter.varBytes takes a Uint8Array, got ${describe(bytes)}`)
    writeVarBytes(this.encoder, bytes)
  }

  value(data: unknown): void {
    assertPlainData(data, 'ByteWriter.value')
    writeValue(this.encoder, data)
  }
}

/** What the codec needs of a custom type. */
export interface CustomCodec<S> {
  readonly name: string
  encode(writer: ByteWriter, state: S): void
  decode(reader: ByteReader): S
}

const STATE = 0
const ENCODE_FAILED = 1

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** The user's encoding of `state`, alone. @throws whatever the user's `encode` throws. */
export function encodeState<S>(codec: CustomCodec<S>, state: S): Uint8Array {
  const encoder = encoding.createEncoder()
  codec.encode(new CheckedWriter(encoder), state)
  return encoding.toUint8Array(encoder)
}

/**
 * Decodes a whole payload with the user's `decode`. Anything it throws becomes a `DecodeError`
 * naming the type, and so do bytes left unread.
 */
export function decodeState<S>(codec: CustomCodec<S>, bytes: Uint8Array): S {
  const reader = new Reader(bytes)
  let state: S
  try {
    state = codec.decode(reader)
  } catch (error) {
    const what = error instanceof DecodeError ? error.message : `decode threw ${messageOf(error)}`
    throw new DecodeError(`custom type ${JSON.stringify(codec.name)}: ${what}`, { cause: error })
  }
  if (reader.remaining !== 0) {
    throw new DecodeError(`custom type ${JSON.stringify(codec.name)}: decode left ${reader.remaining} of ${bytes.length} bytes unread`)
  }
  return state
}

/**
 * Writes one slot. An `encode` that throws cannot stop the gossip round: the slot then carries
 * the error, and peers reject the frame with a `DecodeError` that names the type and the error.
 */
export function writeCustomSlot<S>(encoder: Encoder, codec: CustomCodec<S>, state: S): void {
  let bytes: Uint8Array
  try {
    bytes = encodeState(codec, state)
  } catch (error) {
    writeU8(encoder, ENCODE_FAILED)
    writeString(encoder, messageOf(error).slice(0, 512))
    return
  }
  writeU8(encoder, STATE)
  writeVarBytes(encoder, bytes)
}

/** Reads one slot written by `writeCustomSlot`. @throws DecodeError for anything malformed. */
export function readCustomSlot<S>(reader: Reader, codec: CustomCodec<S>): S {
  const tag = reader.u8('custom slot tag')
  if (tag === ENCODE_FAILED) {
    const message = reader.string('custom encode error', 4096)
    throw new DecodeError(`custom type ${JSON.stringify(codec.name)}: the sender could not encode its state (${message})`)
  }
  if (tag !== STATE) throw new DecodeError(`custom slot has unknown tag ${tag}`)
  // A copy: the decoded state may keep byte arrays read from it, and frame buffers are not ours.
  return decodeState(codec, reader.varBytes('custom state').slice())
}
