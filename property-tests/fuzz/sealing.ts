/**
 * What the fuzzer generates, and how it seals bytes into a frame. Sealing goes through the
 * frame module's own `sealFrame` (a checksum without a secret, an HMAC tag with one), so a
 * generated or mutated body gets past the integrity check and reaches the decoders behind it.
 */
import { createEncoder, writeBytes } from '../../crdts/codec.js'
import { type FrameKey, TAG_BYTES } from '../../src/auth.js'
import { CHECKSUM_BYTES } from '../../src/checksum.js'
import { sealFrame } from '../../src/frame.js'

/** Where a frame came from: the frame grammar, a mutated captured frame, or an authentication case. */
export type FrameSource = 'grammar' | 'mutation' | 'auth'

/** The error classes a frame may be refused with. */
export type RejectionClass = 'DecodeError' | 'AuthError' | 'SchemaMismatchError' | 'ProtocolVersionError'

export interface FuzzFrame {
  readonly source: FrameSource
  /** What the generator did, for reports (e.g. `flip+truncate`, `wrong-tag`). */
  readonly recipe: string
  readonly bytes: Uint8Array
  /** The error the frame must be refused with, when the generator knows it (e.g. a wrong tag). */
  readonly expect?: RejectionClass
}

/** The shared secret of the fuzzed replicas in epochs that use one. */
export const FUZZ_SECRET = 'fuzz-cluster-secret'

/** Appends a checksum (no key) or an authentication tag (key) to `body`. */
export function seal(body: Uint8Array, key: FrameKey | null): Uint8Array {
  const encoder = createEncoder()
  writeBytes(encoder, body)
  return sealFrame(encoder, key)
}

/** Bytes of the trailer `seal` appends. */
export function trailerBytes(key: FrameKey | null): number {
  return key ? TAG_BYTES : CHECKSUM_BYTES
}

/** A frame without its trailer (the bytes the trailer covers). */
export function unseal(frame: Uint8Array, key: FrameKey | null): Uint8Array {
  return frame.subarray(0, Math.max(0, frame.length - trailerBytes(key)))
}
