/**
 * A replica's increments since its last sync, for systems that write once per sync (Yjs, Redis
 * aggregated): global packets and matches, and per changed flow its packets, bytes and matches.
 * The same flat layout as the floor: Map of key to slot, typed-array counters, a dirty list.
 */

export class IncrementBuffer {
  private readonly slotOf = new Map<string, number>()
  private keys: string[] = []
  private counts = new Float64Array(3 * 1024)
  private dirty = new Int32Array(1024)
  private dirtyCount = 0
  packets = 0
  matches = 0

  add(key: string, sizeBytes: number, matches: boolean): void {
    let slot = this.slotOf.get(key)
    if (slot === undefined) slot = this.addKey(key)
    const base = slot * 3
    const counts = this.counts
    if (counts[base] === 0) this.dirty[this.dirtyCount++] = slot
    counts[base] += 1
    counts[base + 1] += sizeBytes
    this.packets++
    if (matches) {
      counts[base + 2] += 1
      this.matches++
    }
  }

  private addKey(key: string): number {
    const slot = this.keys.length
    if (slot === this.dirty.length) {
      const counts = new Float64Array(this.counts.length * 2)
      counts.set(this.counts)
      this.counts = counts
      const dirty = new Int32Array(this.dirty.length * 2)
      dirty.set(this.dirty)
      this.dirty = dirty
    }
    this.slotOf.set(key, slot)
    this.keys.push(key)
    return slot
  }

  /** Calls `write` for every changed flow with its increments, then empties the buffer. */
  drain(write: (key: string, packets: number, bytes: number, matches: number) => void): void {
    const { counts, dirty, keys } = this
    for (let i = 0; i < this.dirtyCount; i++) {
      const slot = dirty[i]!
      const base = slot * 3
      write(keys[slot]!, counts[base]!, counts[base + 1]!, counts[base + 2]!)
      counts[base] = 0
      counts[base + 1] = 0
      counts[base + 2] = 0
    }
    this.dirtyCount = 0
    this.packets = 0
    this.matches = 0
  }
}
