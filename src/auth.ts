/**
 * Frame authentication: HMAC-SHA-256 (RFC 2104) over the frame bytes, truncated to 128 bits
 * (RFC 2104 section 5 allows truncation to half the hash length).
 *
 * Computed synchronously with lib0's SHA-256 rather than with Web Crypto: Web Crypto only
 * offers an asynchronous API, and an asynchronous receive path would let frames be applied
 * outside the simulator's virtual time, breaking replay from a seed. lib0's hash runs the same in
 * Node and browsers. See docs/protocol.md.
 */
import { digest } from 'lib0/hash/sha256'

export const TAG_BYTES = 16
const BLOCK_BYTES = 64

export interface FrameKey {
  readonly inner: Uint8Array
  readonly outer: Uint8Array
}

/** Derives the padded inner and outer keys once per secret. */
export function createFrameKey(secret: string | Uint8Array): FrameKey {
  let key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (key.length > BLOCK_BYTES) key = digest(key)
  const inner = new Uint8Array(BLOCK_BYTES)
  const outer = new Uint8Array(BLOCK_BYTES)
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = key[i] ?? 0
    inner[i] = byte ^ 0x36
    outer[i] = byte ^ 0x5c
  }
  return { inner, outer }
}

/** Full 32-byte HMAC-SHA-256 of `message`. */
export function hmac(key: FrameKey, message: Uint8Array): Uint8Array {
  const innerInput = new Uint8Array(BLOCK_BYTES + message.length)
  innerInput.set(key.inner)
  innerInput.set(message, BLOCK_BYTES)
  const innerHash = digest(innerInput)
  const outerInput = new Uint8Array(BLOCK_BYTES + innerHash.length)
  outerInput.set(key.outer)
  outerInput.set(innerHash, BLOCK_BYTES)
  return digest(outerInput)
}

/** Truncated tag of `message`. */
export function tag(key: FrameKey, message: Uint8Array): Uint8Array {
  return hmac(key, message).subarray(0, TAG_BYTES)
}

/** Constant-time comparison of a received tag with the expected one. */
export function verify(key: FrameKey, message: Uint8Array, received: Uint8Array): boolean {
  const expected = tag(key, message)
  if (received.length !== expected.length) return false
  let difference = 0
  for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ received[i]!
  return difference === 0
}
