/**
 * Where the flow-table handle layer finds each key it was asked for, so that `entry(key)` is one
 * `Map` lookup and a write then touches only the cell's row. Per key it keeps a small integer,
 * stored in the `Map` itself (no object per key): the entry's own cell when later writes may go
 * to it directly (`directCell` in crdts/flow-table.ts), else the entry as `-(entry + 1)`.
 *
 * A key's value keeps only the entry when the entry changes so that its own cell may no longer
 * be written directly (a deletion, a restart: the table's `onEntryChange`), and is forgotten when
 * the entry is dropped (`onDrop`). Folding an origin away may change many entries at once: it
 * moves the table's fold epoch instead. `current` holds the values noted at fold epoch `epoch`;
 * when the fold epoch moves on, they move to `older`, whose values the handle layer checks when
 * it next uses them (the cell still its entry's own cell, the entry still the key's) and then
 * notes again. A move writes the smaller map into the larger: at most one `Map` write per key
 * noted since the move before. A key is in one map at most.
 */
import type { FlowKey } from '../crdts/flow-table.js'

export class EntryRefs {
  /** Values noted at `epoch`. */
  current = new Map<FlowKey, number>()
  /** Values noted at an earlier fold epoch: to be checked before use. */
  older = new Map<FlowKey, number>()

  constructor(public epoch: number) {}

  /** The value to keep for `key`: its direct own cell when there is one, else its entry. */
  static valueOf(entry: number, cell: number): number {
    return cell >= 0 ? cell : -(entry + 1)
  }

  /** Moves the values noted so far to `older`: the table is at fold epoch `epoch` now. */
  age(epoch: number): void {
    const [smaller, larger] = this.current.size <= this.older.size ? [this.current, this.older] : [this.older, this.current]
    for (const [key, value] of smaller) larger.set(key, value)
    smaller.clear()
    this.older = larger
    this.current = smaller
    this.epoch = epoch
  }

  /** Takes `key`'s value noted at an earlier fold epoch out of `older` (undefined when there is none). */
  takeOlder(key: FlowKey): number | undefined {
    const value = this.older.get(key)
    if (value !== undefined) this.older.delete(key)
    return value
  }

  /** Notes where `key` is at the table's fold epoch `epoch`. */
  note(key: FlowKey, entry: number, cell: number, epoch: number): void {
    if (epoch !== this.epoch) this.age(epoch)
    if (this.older.size > 0) this.older.delete(key)
    this.current.set(key, EntryRefs.valueOf(entry, cell))
  }

  /** `key`'s entry changed so that its own cell may no longer be written directly: keeps the entry only. */
  demote(key: FlowKey, entry: number): void {
    const value = EntryRefs.valueOf(entry, -1)
    if (this.current.has(key)) this.current.set(key, value)
    else if (this.older.has(key)) this.older.set(key, value)
  }

  /** The key's entry was dropped: it is looked up again when next asked for. */
  forget(key: FlowKey): void {
    this.current.delete(key)
    this.older.delete(key)
  }
}
