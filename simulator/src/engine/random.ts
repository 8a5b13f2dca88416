/** Seeded randomness and string hashing for the simulator's own choices (traffic, balancing). */

/** FNV-1a, 32 bits, over the UTF-16 code units of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * A generator of uniform numbers in [0, 1) (mulberry32), seeded from the run's seed and a
 * stream name, so independent streams of one run do not shift each other.
 */
export function createRandom(seed: number, stream: string): () => number {
  let state = fnv1a32(`${stream}:${seed}`)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let mixed = Math.imul(state ^ (state >>> 15), state | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}
