/**
 * Where the flow-table handle layer finds each key it was asked for, so that `entry(key)` is one
 * `Map` lookup and a write then touches only the cell's row. Per key it keeps a small integer,
 * stored in the `Map` itself (no object per key): the entry's own cell when later writes may go
 * to it directly (`directCell` in crdts/flow-table.ts), else the entry as `-(entry + 1)`.
 *
 * A cell holds only while the table's epoch is the one it was noted at. `current` holds the
 * values noted at `epoch`; when the table's epoch moves on, they move to `older`, whose values
 * the handle layer checks when it next uses them (the cell still its entry's own cell, the entry
 * still the key's) and then notes again. A move costs a `Map` write per key noted since the one
 * before (the smaller map goes into the larger), so it is paid once per key used between moves,
 * however often the epoch moves. A key is in one map at most.
 */
import type { FlowKey } from '../crdts/flow-table.js'

export class EntryRefs {
  /** Values noted at `epoch`. */
  current = new Map<FlowKey, number>()
  /** Values noted at an earlier epoch: to be checked before use. */
  older = new Map<FlowKey, number>()

  constructor(public epoch: number) {}

  /** The value to keep for `key`: its direct own cell when there is one, else its entry. */
  static valueOf(entry: number, cell: number): number {
    return cell >= 0 ? cell : -(entry + 1)
  }

  /** Moves the values noted so far to `older`: the table is at `epoch` now. */
  age(epoch: number): void {
    const [smaller, larger] = this.current.size <= this.older.size ? [this.current, this.older] : [this.older, this.current]
    for (const [key, value] of smaller) larger.set(key, value)
    smaller.clear()
    this.older = larger
    this.current = smaller
    this.epoch = epoch
  }

  /** Takes `key`'s value noted at an earlier epoch out of `older` (undefined when there is none). */
  takeOlder(key: FlowKey): number | undefined {
    const value = this.older.get(key)
    if (value !== undefined) this.older.delete(key)
    return value
  }

  /** Notes where `key` is at the table's `epoch`. */
  note(key: FlowKey, entry: number, cell: number, epoch: number): void {
    if (epoch !== this.epoch) this.age(epoch)
    if (this.older.size > 0) this.older.delete(key)
    this.current.set(key, EntryRefs.valueOf(entry, cell))
  }

  /** The key's entry was dropped. */
  forget(key: FlowKey): void {
    this.current.delete(key)
    this.older.delete(key)
  }
}
