/**
 * CRC-32 (IEEE 802.3 polynomial, reflected), the integrity check of frames sent without a
 * secret: a frame corrupted on the way must be refused, not applied, or two corrupted copies
 * of one change could leave replicas disagreeing about what a version holds. Computed four
 * bytes at a time ("slicing-by-4", Intel 2006) since every frame is checked twice.
 */
const TABLES = (() => {
  const tables = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)] as const
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
    tables[0][byte] = crc >>> 0
  }
  for (let byte = 0; byte < 256; byte++) {
    for (let table = 1; table < 4; table++) {
      const previous = tables[table - 1][byte]!
      tables[table][byte] = (tables[0][previous & 0xff]! ^ (previous >>> 8)) >>> 0
    }
  }
  return tables
})()

export const CHECKSUM_BYTES = 4

export function crc32(bytes: Uint8Array): number {
  const [t0, t1, t2, t3] = TABLES
  let crc = 0xffffffff
  let i = 0
  for (const end = bytes.length - 3; i < end; i += 4) {
    crc ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    crc = t3[crc & 0xff]! ^ t2[(crc >>> 8) & 0xff]! ^ t1[(crc >>> 16) & 0xff]! ^ t0[crc >>> 24]!
  }
  for (; i < bytes.length; i++) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
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
