/**
 * Derivation of PRNG seeds for the simulation. `lib0/prng` seeds its generator from one
 * unsigned 32-bit number and degenerates on 0 (it then returns 0 forever), so every seed is
 * derived here: the parts are hashed (FNV-1a, then a murmur3 finalizer for avalanche) and a
 * zero result is replaced.
 */

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const ZERO_REPLACEMENT = 0x9e3779b9

/**
 * A non-zero unsigned 32-bit seed that depends on every part and on their order. Equal parts
 * give equal seeds on every platform; `('a', 1)` and `('a1')` give different seeds.
 */
export function deriveSeed(...parts: ReadonlyArray<string | number>): number {
  let hash = FNV_OFFSET
  for (const part of parts) {
    // Tag each part with its type and end it with a separator so that concatenations differ.
    const text = `${typeof part === 'number' ? 'n' : 's'}${String(part)}\u0000`
    for (let index = 0; index < text.length; index++) {
      hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME)
    }
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  hash >>>= 0
  return hash === 0 ? ZERO_REPLACEMENT : hash
}
