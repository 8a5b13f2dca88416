/**
 * The flow table's keys and its index from keys to entry numbers: open addressing with linear
 * probing over an Int32Array, each entry's hash kept beside it. A key is held in one of two forms:
 *
 * - as the key itself, in the table's `entryKey` column (a string or an integer);
 * - *packed*: a canonical IPv4 5-tuple that arrived from a peer in its 13-byte wire form
 *   (crdts/five-tuple.ts) stays in those 13 bytes, in this index's `packed` column, and
 *   `entryKey` holds `null`. No string is made for it (a string of such a key takes 48 to 64
 *   bytes of heap), and a frame's packed key is hashed, compared and stored straight from the
 *   frame's bytes. `keyOf` makes the string when one is asked for.
 *
 * A canonical 5-tuple string and its packed form are the same key: both hash from the packed form
 * (`hashKey`), and a string is compared with packed bytes by packing it. The index allocates
 * nothing per key and holds about 12 to 20 bytes per key (a slot of 4 bytes and its 2-byte hash
 * tag, at most three quarters full, and the hash), plus 13 for a packed key.
 */
import type { FlowKey } from './flow-table.js'
import { PACKED_FIVE_TUPLE_BYTES, packFiveTuple, packedEqual, storePacked, unpackFiveTuple } from './five-tuple.js'

const EMPTY = 0
const MIN_CAPACITY = 16
const PACKED = PACKED_FIVE_TUPLE_BYTES

/** A string packed for a hash or a comparison. */
const scratch = new Uint8Array(PACKED)

/** Hash of the packed 5-tuple at `bytes[at]`: FNV-1a over its 13 bytes, then a final mix. */
export function hashPacked(bytes: Uint8Array, at: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < PACKED; i++) hash = Math.imul(hash ^ bytes[at + i]!, 0x01000193)
  return finish(hash)
}

function finish(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return (hash ^ (hash >>> 16)) | 0
}

/**
 * Hash of a key: a canonical 5-tuple string hashes as its packed form (so both forms of the key
 * meet in the index), any other string by FNV-1a over its UTF-16 code units, an integer by a
 * multiplicative mix.
 */
export function hashKey(key: FlowKey): number {
  if (typeof key === 'number') {
    const mixed = Math.imul((key >>> 0) ^ Math.floor(key / 0x100000000), 0x9e3779b1)
    return (mixed ^ (mixed >>> 15)) | 0
  }
  if (packFiveTuple(key, scratch, 0)) return hashPacked(scratch, 0)
  let hash = 0x811c9dc5 ^ key.length
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return finish(hash)
}

export class KeyIndex {
  /**
   * Entry number + 1 per slot (0: empty); the capacity is a power of two, at most three quarters
   * full (the tags beside make a probe past another key cheap, so a fuller table costs little).
   */
  private slots = new Int32Array(MIN_CAPACITY)
  /**
   * The high 16 bits of each slot's hash, beside it: a probe past another key reads this array,
   * next to the slot it just read, instead of the other entry's hash, a cache miss away (a lookup
   * that misses at the index's usual fill probes about four slots).
   */
  private tags = new Uint16Array(MIN_CAPACITY)
  private mask = MIN_CAPACITY - 1
  /** Hash of each entry's key, by entry. */
  private hashes = new Int32Array(MIN_CAPACITY)
  /** The packed key of each entry whose `keys` element is `null`, 13 bytes per entry (empty until the first). */
  private packed: Uint8Array = new Uint8Array(0)
  size = 0

  /**
   * `keys` is the table's key column: `keys[entry]` is the key indexed under `entry`, or `null`
   * when the entry's key is packed here.
   */
  constructor(private readonly keys: readonly (FlowKey | null | undefined)[]) {}

  /** The entry of `key`; `hash` is `hashKey(key)` when the caller has it already (a miss is then followed by `set`). */
  get(key: FlowKey, hash = hashKey(key)): number | undefined {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const value = this.slots[slot]!
      if (value === EMPTY) return undefined
      if (this.tags[slot] !== hash >>> 16) continue
      const entry = value - 1
      if (this.hashes[entry] === hash && this.holds(entry, key)) return entry
    }
  }

  /** The entry of the packed key at `bytes[at]`; `hash` is `hashPacked(bytes, at)`. */
  getPacked(bytes: Uint8Array, at: number, hash: number): number | undefined {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const value = this.slots[slot]!
      if (value === EMPTY) return undefined
      if (this.tags[slot] !== hash >>> 16) continue
      const entry = value - 1
      if (this.hashes[entry] === hash && this.holdsPacked(entry, bytes, at)) return entry
    }
  }

  has(key: FlowKey): boolean {
    return this.get(key) !== undefined
  }

  /** Whether `entry` holds `key`, in either form. */
  holds(entry: number, key: FlowKey): boolean {
    const own = this.keys[entry]
    if (own === key) return true
    return own === null && typeof key === 'string' && packFiveTuple(key, scratch, 0) && packedEqual(this.packed, entry * PACKED, scratch, 0)
  }

  private holdsPacked(entry: number, bytes: Uint8Array, at: number): boolean {
    const own = this.keys[entry]
    if (own === null) return packedEqual(this.packed, entry * PACKED, bytes, at)
    return typeof own === 'string' && packFiveTuple(own, scratch, 0) && packedEqual(scratch, 0, bytes, at)
  }

  /** The key of `entry` (a packed one as its string, made on each call), or undefined for a free entry. */
  keyOf(entry: number): FlowKey | undefined {
    const key = this.keys[entry]
    return key === null ? unpackFiveTuple(this.packed, entry * PACKED) : key
  }

  /** The packed bytes of an entry whose key is packed (`keys[entry]` is null): at `packedAt(entry)`. */
  get packedKeys(): Uint8Array {
    return this.packed
  }

  packedAt(entry: number): number {
    return entry * PACKED
  }

  /** Indexes `key` (which `keys[entry]` already holds) under `entry`; the key must not be indexed yet. */
  set(key: FlowKey, entry: number, hash = hashKey(key)): void {
    this.insert(entry, hash)
  }

  /** Indexes the packed key at `bytes[at]` under `entry` (whose `keys` element is null) and keeps its bytes. */
  setPacked(bytes: Uint8Array, at: number, entry: number, hash: number): void {
    this.packed = storePacked(this.packed, entry, this.hashes.length, bytes, at)
    this.insert(entry, hash)
  }

  private insert(entry: number, hash: number): void {
    if (entry >= this.hashes.length) {
      // Grown like the table's entry columns it runs beside.
      let capacity = this.hashes.length + Math.max(16, this.hashes.length >>> 1)
      while (capacity <= entry) capacity += Math.max(16, capacity >>> 1)
      this.growHashes(capacity)
    }
    if (4 * (this.size + 1) > 3 * this.slots.length) this.grow(this.slots.length * 2)
    let slot = hash & this.mask
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask
    this.hashes[entry] = hash
    this.slots[slot] = entry + 1
    this.tags[slot] = hash >>> 16
    this.size++
  }

  /** Removes `entry` (call it before clearing the entry's key). Returns whether it was indexed. */
  deleteEntry(entry: number): boolean {
    if (entry >= this.hashes.length) return false
    let hole = this.hashes[entry]! & this.mask
    for (; ; hole = (hole + 1) & this.mask) {
      const value = this.slots[hole]!
      if (value === EMPTY) return false
      if (value === entry + 1) break
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
        this.tags[hole] = this.tags[slot]!
        this.slots[slot] = EMPTY
        hole = slot
      }
    }
  }

  /** Every indexed (key, entry) pair, in slot order (packed keys as strings). */
  *[Symbol.iterator](): IterableIterator<[FlowKey, number]> {
    for (const value of this.slots) if (value !== EMPTY) yield [this.keyOf(value - 1)!, value - 1]
  }

  /**
   * Room for entries below `entries` (and as many keys), each array grown at most once, before a
   * large batch of inserts: the slots grow to the power of two that keeps them three quarters full.
   */
  reserve(entries: number): void {
    if (entries > this.hashes.length) this.growHashes(entries)
    if (4 * entries > 3 * this.slots.length) {
      let capacity = this.slots.length
      while (4 * entries > 3 * capacity) capacity *= 2
      this.grow(capacity)
    }
  }

  private growHashes(capacity: number): void {
    const hashes = new Int32Array(capacity)
    hashes.set(this.hashes)
    this.hashes = hashes
  }

  private grow(capacity: number): void {
    const old = this.slots
    this.slots = new Int32Array(capacity)
    this.tags = new Uint16Array(capacity)
    this.mask = this.slots.length - 1
    for (const value of old) {
      if (value === EMPTY) continue
      const hash = this.hashes[value - 1]!
      let slot = hash & this.mask
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask
      this.slots[slot] = value
      this.tags[slot] = hash >>> 16
    }
  }
}
