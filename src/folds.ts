/**
 * What a replica knows of folds (docs/compaction.md): for every departed origin folded into an
 * heir, the heir and the heir's versions that carry the departed contributions. A record is
 *
 * - *applied* once this replica holds the heir's changes through `to`: the departed origin is
 *   dropped then (never earlier, so its contribution is counted exactly once at every moment);
 * - *forwarded* in the heir's entry of every frame's origin list while it is recent: until every
 *   live peer reported the heir through `to`, and for at least `gossipWindowMs`;
 * - a *tombstone* until `retentionMs` after it was learnt: data naming the departed origin is
 *   ignored, so a late or stale copy cannot bring its contributions back a second time.
 */
import type { FrameFold } from './frame.js'

export interface FoldRecord extends FrameFold {
  /** Local origin of the heir. */
  heir: number
  /** Local time the record was learnt (or made). */
  learnedAt: number
  /** Still passed on in frames. */
  forwarding: boolean
}

/** Origin id of an instance's heir origin: what it took over from folded instances (docs/compaction.md). */
export function heirIdOf(id: string): string {
  return `${id}${HEIR_SUFFIX}`
}

/** What ends an heir origin's id. */
export const HEIR_SUFFIX = '\u0000heir'

function foldKey(id: string, incarnation: number): string {
  return `${incarnation}:${id}`
}

export class FoldRegistry {
  private readonly byKey = new Map<string, FoldRecord>()
  private readonly byHeir = new Map<number, FoldRecord[]>()

  get size(): number {
    return this.byKey.size
  }

  /** The record folding `(id, incarnation)`, if any. */
  of(id: string, incarnation: number): FoldRecord | undefined {
    return this.byKey.get(foldKey(id, incarnation))
  }

  /** Folds performed by `heir`. */
  ofHeir(heir: number): readonly FoldRecord[] {
    return this.byHeir.get(heir) ?? []
  }

  /** Registers a record; returns false when one for that origin is known already (the first one stays). */
  add(record: FoldRecord): boolean {
    const key = foldKey(record.id, record.incarnation)
    if (this.byKey.has(key)) return false
    this.byKey.set(key, record)
    const list = this.byHeir.get(record.heir)
    if (list) list.push(record)
    else this.byHeir.set(record.heir, [record])
    return true
  }

  /**
   * Moves the records of a heir that was folded itself to its own heir: the departed origins'
   * contributions travelled on inside the heir's, so holding the new heir through `from`..`to`
   * is what drops them now.
   */
  reassign(from: number, to: FrameFold & { heir: number }, now: number): void {
    const list = this.byHeir.get(from)
    if (!list) return
    this.byHeir.delete(from)
    for (const record of list) {
      record.heir = to.heir
      record.from = to.from
      record.to = to.to
      record.learnedAt = now
    }
    const target = this.byHeir.get(to.heir)
    if (target) target.push(...list)
    else this.byHeir.set(to.heir, list)
  }

  /** Every record, in no particular order. */
  all(): IterableIterator<FoldRecord> {
    return this.byKey.values()
  }

  /** Removes a record whose tombstone expired. */
  remove(record: FoldRecord): void {
    this.byKey.delete(foldKey(record.id, record.incarnation))
    const list = this.byHeir.get(record.heir)
    if (!list) return
    const at = list.indexOf(record)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.byHeir.delete(record.heir)
  }
}
