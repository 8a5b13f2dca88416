/**
 * Byte-level mutations of valid frames captured from real gossip: flipped bits, bytes set to
 * edge values, truncation, extension, huge and overlong varints written over or into the frame,
 * a slice repeated many times, two frames spliced, deeply nested values inserted, slices
 * deleted. Most mutated frames are sealed again (a fresh checksum or, with the key known, a
 * fresh tag), so they get past the integrity check and exercise the decoders; the rest keep
 * their old trailer and must be refused by it.
 */
import fc from 'fast-check'
import type { FrameKey } from '../../src/auth.js'
import type { Corpus } from './corpus.js'
import { nestedValue } from './grammar.js'
import { type FuzzFrame, seal, unseal } from './sealing.js'

/** Varints that overflow, exceed 2^53, or are overlong (lib0 reads up to 2^53). */
const HUGE_VARINTS: readonly number[][] = [
  [0xff, 0xff, 0xff, 0xff, 0x0f],                              // 2^32 - 1
  [0x80, 0x80, 0x80, 0x80, 0x10],                              // 2^32
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],            // 2^53 - 1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10],            // 2^53
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 2^70-ish
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], // overlong zero
  Array.from({ length: 64 }, () => 0xff),                       // never terminates
]

const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x75, 0x76, 0x74]

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'varint'; at: number; which: number; insert: boolean }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'splice'; other: number; at: number; otherAt: number }
  | { kind: 'nest'; at: number; tag: 'array' | 'object'; depth: number }
  | { kind: 'delete'; at: number; length: number }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...EDGE_BYTES), fc.nat(255)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('varint' as const), at: fc.nat(), which: fc.nat(HUGE_VARINTS.length - 1), insert: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 48 }), times: fc.oneof(fc.integer({ min: 2, max: 8 }), fc.constantFrom(200, 2_000)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice' as const), other: fc.nat(), at: fc.nat(), otherAt: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), tag: fc.constantFrom('array' as const, 'object' as const), depth: fc.constantFrom(8, 1_000, 9_000, 20_000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }) },
)

/** Mutated corpus frames: 1 to 4 mutations each; 85% sealed again. */
export function mutatedFrame(corpus: Corpus, key: FrameKey | null): fc.Arbitrary<FuzzFrame> {
  return fc.record({
    base: fc.nat(),
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
    reseal: fc.oneof({ weight: 17, arbitrary: fc.constant(true) }, { weight: 3, arbitrary: fc.constant(false) }),
  }).map(({ base, mutations, reseal }) => {
    const frame = corpus.frames[base % corpus.frames.length]!
    let bytes: Uint8Array = reseal ? unseal(frame, key) : frame
    for (const mutation of mutations) bytes = mutate(bytes, mutation, corpus, key)
    const recipe = `${mutations.map((mutation) => mutation.kind).join('+')}${reseal ? ', resealed' : ''}`
    return { source: 'mutation' as const, recipe, bytes: reseal ? seal(bytes, key) : bytes }
  })
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

function mutate(bytes: Uint8Array, mutation: Mutation, corpus: Corpus, key: FrameKey | null): Uint8Array {
  const at = (position: number) => (bytes.length === 0 ? 0 : position % (bytes.length + 1))
  switch (mutation.kind) {
    case 'flip': {
      if (bytes.length === 0) return bytes
      const out = bytes.slice()
      out[mutation.at % out.length]! ^= 1 << mutation.bit
      return out
    }
    case 'set': {
      if (bytes.length === 0) return bytes
      const out = bytes.slice()
      out[mutation.at % out.length] = mutation.value
      return out
    }
    case 'truncate': return bytes.slice(0, at(mutation.at))
    case 'extend': return concat(bytes, mutation.bytes)
    case 'varint': {
      const varint = Uint8Array.from(HUGE_VARINTS[mutation.which]!)
      const position = at(mutation.at)
      const rest = mutation.insert ? bytes.subarray(position) : bytes.subarray(Math.min(bytes.length, position + varint.length))
      return concat(bytes.subarray(0, position), varint, rest)
    }
    case 'repeat': {
      const position = at(mutation.at)
      const slice = bytes.subarray(position, position + mutation.length)
      return concat(bytes.subarray(0, position), ...Array.from({ length: mutation.times }, () => slice), bytes.subarray(position + slice.length))
    }
    case 'splice': {
      const other = unseal(corpus.frames[mutation.other % corpus.frames.length]!, key)
      return concat(bytes.subarray(0, at(mutation.at)), other.subarray(mutation.otherAt % (other.length + 1)))
    }
    case 'nest': {
      const position = at(mutation.at)
      return concat(bytes.subarray(0, position), nestedValue(mutation.tag, mutation.depth), bytes.subarray(position))
    }
    case 'delete': {
      const position = at(mutation.at)
      return concat(bytes.subarray(0, position), bytes.subarray(position + mutation.length))
    }
  }
}
