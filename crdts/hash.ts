/** FNV-1a, 32 bits: a fast, stable fingerprint for schemas and digests (not for security). */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

export function fnv1a32String(text: string): number {
  return fnv1a32(new TextEncoder().encode(text))
}
