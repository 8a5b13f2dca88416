/**
 * Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its hash tag (the part between the
 * first `{` and the next `}` when non-empty), modulo 16384.
 */

export const SLOTS = 16384

const TABLE = (() => {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[byte] = crc
  }
  return table
})()

const encoder = new TextEncoder()

function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ byte) & 0xff]!
  return crc
}

/** The CRC of an ASCII string's bytes without encoding it, or -1 if it is not ASCII. */
function crc16Ascii(text: string): number {
  let crc = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7f) return -1
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ code) & 0xff]!
  }
  return crc
}

export function keySlot(key: string): number {
  const open = key.indexOf('{')
  if (open >= 0) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) key = key.slice(open + 1, close)
  }
  const ascii = crc16Ascii(key)
  return (ascii >= 0 ? ascii : crc16(encoder.encode(key))) % SLOTS
}
