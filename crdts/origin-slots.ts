/**
 * Bookkeeping shared by the types that hold exactly one slot per origin (counter, pnCounter,
 * register, maxRegister, perInstance): the slot ref *is* the origin number.
 */
import type { DirtySink } from './slot-type.js'

export interface OriginSlots {
  readonly fieldIndex: number
  readonly sink: DirtySink | null
  /** Version of each origin's slot; 0 = this origin never wrote (or its write is unstamped). */
  readonly versions: number[]
  /** Own slots written since the last stamp. */
  readonly dirty: boolean[]
  /** Origins that hold a slot (written locally or received), in arrival order. */
  readonly present: number[]
}

export function createOriginSlots(fieldIndex: number, sink: DirtySink | null): OriginSlots {
  return { fieldIndex, sink, versions: [], dirty: [], present: [] }
}

/** Makes room for `origin`; returns true when the origin is new to this state. */
export function ensureOrigin(slots: OriginSlots, origin: number): boolean {
  if (!Number.isInteger(origin) || origin < 0) throw new RangeError(`origin must be a non-negative integer, got ${origin}`)
  while (slots.versions.length <= origin) {
    slots.versions.push(0)
    slots.dirty.push(false)
  }
  if (slots.present.includes(origin)) return false
  slots.present.push(origin)
  return true
}

/** Marks an own slot for stamping at the next round. */
export function markDirty(slots: OriginSlots, origin: number): void {
  if (!slots.dirty[origin]) {
    slots.dirty[origin] = true
    // Writers skip `ensureOrigin` when the arrays already reach `origin` (a received slot of a
    // higher origin grew them), so an own origin may not be listed yet: without this its slot is
    // never yielded by `stampedOrigins` (never gossiped) and `perInstance` views miss it.
    if (!slots.present.includes(origin)) slots.present.push(origin)
    slots.sink?.markDirty(slots.fieldIndex, origin)
  }
}

export function stampOrigin(slots: OriginSlots, origin: number, version: number): void {
  slots.versions[origin] = version
  slots.dirty[origin] = false
}

/** Origins with a stamped slot. */
export function* stampedOrigins(slots: OriginSlots): Iterable<number> {
  for (const origin of slots.present) if (slots.versions[origin]! > 0) yield origin
}

/**
 * Forgets the slot of a folded origin (docs/compaction.md): its version, its dirty mark and its
 * place in `present`. The type clears its own columns.
 */
export function forgetOrigin(slots: OriginSlots, origin: number): void {
  if (origin >= slots.versions.length) return
  slots.versions[origin] = 0
  slots.dirty[origin] = false
  const at = slots.present.indexOf(origin)
  if (at >= 0) slots.present.splice(at, 1)
}

/** Whether an incoming slot of `origin` at `version` is newer than what we hold. */
export function isNewer(slots: OriginSlots, origin: number, version: number): boolean {
  return origin >= slots.versions.length || version > slots.versions[origin]!
}
