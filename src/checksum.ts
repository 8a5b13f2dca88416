/**
 * CRC-32 (IEEE 802.3 polynomial, reflected), the integrity check of frames sent without a
 * secret: a frame corrupted on the way must be refused, not applied, or two corrupted copies
 * of one change could leave replicas disagreeing about what a version holds.
 */
const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
    table[byte] = crc >>> 0
  }
  return table
})()

export const CHECKSUM_BYTES = 4

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** Appends the checksum of `body` (little-endian, like the other u32 fields). */
export function withChecksum(body: Uint8Array): Uint8Array {
  const sealed = new Uint8Array(body.length + CHECKSUM_BYTES)
  sealed.set(body)
  new DataView(sealed.buffer).setUint32(body.length, crc32(body), true)
  return sealed
}

/** Whether the last four bytes are the checksum of the rest. */
export function checksumMatches(frame: Uint8Array): boolean {
  if (frame.length < CHECKSUM_BYTES) return false
  const body = frame.subarray(0, frame.length - CHECKSUM_BYTES)
  const stored = new DataView(frame.buffer, frame.byteOffset + body.length, CHECKSUM_BYTES).getUint32(0, true)
  return stored === crc32(body)
}
