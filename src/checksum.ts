/**
 * The integrity check of frames sent without a secret: MurmurHash3 (x86, 32 bits, seed 0;
 * Appleby, 2011) of the frame. A frame corrupted on the way must be refused, not applied: two
 * corrupted copies of one change could carry different content for one version, or a corrupted
 * vector entry could claim changes the replica never got, and replicas would disagree for good.
 *
 * Not CRC-32: that needs a table lookup per byte, five times slower in JavaScript, and every
 * frame is checked twice. MurmurHash3's block mix is a bijection, so an error confined to one
 * 4-byte block is always detected; any other error escapes with probability about 2^-32.
 */
export const CHECKSUM_BYTES = 4

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

function mixBlock(hash: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  hash ^= k
  hash = (hash << 13) | (hash >>> 19)
  return (Math.imul(hash, 5) + 0xe6546b64) | 0
}

export function murmur3(bytes: Uint8Array): number {
  let hash = 0
  const blocks = bytes.length >>> 2
  if (LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0) {
    // Aligned: read whole words (the common case: frames are fresh buffers).
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, blocks)
    for (let i = 0; i < blocks; i++) hash = mixBlock(hash, words[i]!)
  } else {
    for (let i = 0; i < blocks; i++) {
      const at = i << 2
      hash = mixBlock(hash, bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24))
    }
  }
  const tail = blocks << 2
  const rest = bytes.length & 3
  if (rest > 0) {
    let k = 0
    if (rest === 3) k ^= bytes[tail + 2]! << 16
    if (rest >= 2) k ^= bytes[tail + 1]! << 8
    k ^= bytes[tail]!
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    hash ^= Math.imul(k, 0x1b873593)
  }
  hash ^= bytes.length
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

/** Appends the checksum of `body` (little-endian, like the other u32 fields). */
export function withChecksum(body: Uint8Array): Uint8Array {
  const sealed = new Uint8Array(body.length + CHECKSUM_BYTES)
  sealed.set(body)
  writeChecksum(sealed, body.length)
  return sealed
}

/** Writes the checksum of `frame`'s first `bodyLength` bytes into the four bytes after them. */
export function writeChecksum(frame: Uint8Array, bodyLength: number): void {
  new DataView(frame.buffer, frame.byteOffset).setUint32(bodyLength, murmur3(frame.subarray(0, bodyLength)), true)
}

/** Whether the last four bytes are the checksum of the rest. */
export function checksumMatches(frame: Uint8Array): boolean {
  if (frame.length < CHECKSUM_BYTES) return false
  const body = frame.subarray(0, frame.length - CHECKSUM_BYTES)
  const stored = new DataView(frame.buffer, frame.byteOffset + body.length, CHECKSUM_BYTES).getUint32(0, true)
  return stored === murmur3(body)
}
