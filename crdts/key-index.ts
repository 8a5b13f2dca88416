/**
 * The flow table's index from keys to entry numbers: open addressing with linear probing over an
 * Int32Array, the keys themselves left in the table's `entryKey` column and each entry's hash
 * kept beside it. It allocates nothing per key, and holds about 9 to 15 bytes per key (a slot of 4
 * bytes at most three quarters full, and the hash); on the nf-monitor workload it measured as fast
 * as a `Map`. Unlike a `Map` it hashes the key on every lookup (a string caches its hash for a Map).
 */
import type { FlowKey } from './flow-table.js'

const EMPTY = 0
const MIN_CAPACITY = 16

/** FNV-1a over the UTF-16 code units of a string; integers get a multiplicative mix. */
export function hashKey(key: FlowKey): number {
  if (typeof key === 'number') {
    const mixed = Math.imul((key >>> 0) ^ Math.floor(key / 0x100000000), 0x9e3779b1)
    return (mixed ^ (mixed >>> 15)) | 0
  }
  let hash = 0x811c9dc5 ^ key.length
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return (hash ^ (hash >>> 13)) | 0
}

export class KeyIndex {
  /**
   * Entry number + 1 per slot (0: empty); the capacity is a power of two, at most three quarters
   * full (the hashes beside make a probe past another key cheap, so a fuller table costs little).
   */
  private slots = new Int32Array(MIN_CAPACITY)
  private mask = MIN_CAPACITY - 1
  /** Hash of each entry's key, by entry. */
  private hashes = new Int32Array(MIN_CAPACITY)
  size = 0

  /** `keys` is the table's key column: `keys[entry]` is the key indexed under `entry`. */
  constructor(private readonly keys: readonly (FlowKey | undefined)[]) {}

  /** The entry of `key`; `hash` is `hashKey(key)` when the caller has it already (a miss is then followed by `set`). */
  get(key: FlowKey, hash = hashKey(key)): number | undefined {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const value = this.slots[slot]!
      if (value === EMPTY) return undefined
      const entry = value - 1
      if (this.hashes[entry] === hash && this.keys[entry] === key) return entry
    }
  }

  has(key: FlowKey): boolean {
    return this.get(key) !== undefined
  }

  /** Indexes `key` (which `keys[entry]` already holds) under `entry`; replaces an entry indexed under the same key. */
  set(key: FlowKey, entry: number, hash = hashKey(key)): void {
    if (entry >= this.hashes.length) {
      // Grown like the table's entry columns it runs beside.
      let capacity = this.hashes.length + Math.max(16, this.hashes.length >>> 1)
      while (capacity <= entry) capacity += Math.max(16, capacity >>> 1)
      const hashes = new Int32Array(capacity)
      hashes.set(this.hashes)
      this.hashes = hashes
    }
    if (4 * (this.size + 1) > 3 * this.slots.length) this.grow()
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const value = this.slots[slot]!
      if (value !== EMPTY && (this.hashes[value - 1] !== hash || this.keys[value - 1] !== key)) continue
      if (value === EMPTY) this.size++
      this.hashes[entry] = hash
      this.slots[slot] = entry + 1
      return
    }
  }

  /** Removes `key` (call it before clearing the entry's key). Returns whether it was indexed. */
  delete(key: FlowKey): boolean {
    const hash = hashKey(key)
    let hole = hash & this.mask
    for (; ; hole = (hole + 1) & this.mask) {
      const value = this.slots[hole]!
      if (value === EMPTY) return false
      if (this.hashes[value - 1] === hash && this.keys[value - 1] === key) break
    }
    this.slots[hole] = EMPTY
    this.size--
    // Backward shift: move later keys of the run into the hole when their home slot allows it.
    for (let slot = (hole + 1) & this.mask; ; slot = (slot + 1) & this.mask) {
      const value = this.slots[slot]!
      if (value === EMPTY) return true
      const home = this.hashes[value - 1]! & this.mask
      if (((slot - home) & this.mask) >= ((slot - hole) & this.mask)) {
        this.slots[hole] = value
        this.slots[slot] = EMPTY
        hole = slot
      }
    }
  }

  /** Every indexed (key, entry) pair, in slot order. */
  *[Symbol.iterator](): IterableIterator<[FlowKey, number]> {
    for (const value of this.slots) if (value !== EMPTY) yield [this.keys[value - 1]!, value - 1]
  }

  private grow(): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2)
    this.mask = this.slots.length - 1
    for (const value of old) {
      if (value === EMPTY) continue
      let slot = this.hashes[value - 1]! & this.mask
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask
      this.slots[slot] = value
    }
  }
}
