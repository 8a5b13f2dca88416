/**
 * Frames aimed at authentication and integrity. With a shared secret: a valid tag over nonsense
 * (an insider's garbage must still be refused by the decoders), and wrong tags of every kind
 * (flipped tag bit, tampered body, another key, a checksum instead of a tag, a cut tag), which
 * must be refused with `AuthError`. Without a secret: frames claiming authentication (`AuthError`),
 * a valid checksum over nonsense, and a corrupted checksum (`DecodeError`).
 */
import fc from 'fast-check'
import { toBytes } from '../../crdts/codec.js'
import { type FrameKey, TAG_BYTES, createFrameKey } from '../../src/auth.js'
import { beginFrame } from '../../src/frame.js'
import type { Corpus } from './corpus.js'
import { type FuzzFrame, seal, trailerBytes, unseal } from './sealing.js'

const OTHER_KEY = createFrameKey('not-the-cluster-secret')

type AuthCase = 'nonsense' | 'tag-bit' | 'tampered-body' | 'other-key' | 'checksum-instead' | 'cut-tag' | 'claims-auth' | 'checksum-bit'

interface AuthChoice {
  kind: AuthCase
  base: number
  at: number
  bit: number
  random: Uint8Array
}

/** Authentication and integrity cases for replicas with (`key`) or without a secret. */
export function authFrame(corpus: Corpus, key: FrameKey | null): fc.Arbitrary<FuzzFrame> {
  const kinds: AuthCase[] = key
    ? ['nonsense', 'tag-bit', 'tampered-body', 'other-key', 'checksum-instead', 'cut-tag']
    : ['nonsense', 'claims-auth', 'checksum-bit']
  return fc.record({
    kind: fc.constantFrom(...kinds),
    base: fc.nat(),
    at: fc.nat(),
    bit: fc.nat(7),
    random: fc.uint8Array({ maxLength: 256 }),
  }).map((choice) => build(choice, corpus, key))
}

function build(choice: AuthChoice, corpus: Corpus, key: FrameKey | null): FuzzFrame {
  const frame = corpus.frames[choice.base % corpus.frames.length]!
  const body = unseal(frame, key)
  const flip = (bytes: Uint8Array, from: number) => {
    const out = bytes.slice()
    out[from + (choice.at % (out.length - from))]! ^= 1 << choice.bit
    return out
  }
  const result = (bytes: Uint8Array, expect?: FuzzFrame['expect']): FuzzFrame => ({ source: 'auth', recipe: choice.kind, bytes, ...(expect ? { expect } : {}) })
  switch (choice.kind) {
    case 'nonsense': {
      const header = toBytes(beginFrame(corpus.fingerprint, key))
      const bytes = new Uint8Array(header.length + choice.random.length)
      bytes.set(header)
      bytes.set(choice.random, header.length)
      return result(seal(bytes, key))
    }
    // The header's magic, version and flags are checked before the tag: tamper after them.
    case 'tag-bit': return result(flip(frame, frame.length - TAG_BYTES), 'AuthError')
    case 'tampered-body': return result(withTag(flip(body, 3), frame), 'AuthError')
    case 'other-key': return result(seal(body, OTHER_KEY), 'AuthError')
    case 'checksum-instead': {
      const unauthenticated = body.slice()
      unauthenticated[2] = 2
      return result(seal(unauthenticated, null), 'AuthError')
    }
    case 'cut-tag': return result(frame.subarray(0, frame.length - 1 - (choice.at % TAG_BYTES)), 'AuthError')
    case 'claims-auth': {
      const claimed = body.slice()
      claimed[2] = 1
      return result(seal(claimed, OTHER_KEY), 'AuthError')
    }
    case 'checksum-bit': return result(flip(frame, frame.length - trailerBytes(key)), 'DecodeError')
  }
}

/** `body` with the tag of `original` (a body changed after it was signed). */
function withTag(body: Uint8Array, original: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + TAG_BYTES)
  out.set(body)
  out.set(original.subarray(original.length - TAG_BYTES), body.length)
  return out
}
