/**
 * The origins a replica knows, numbered locally, with each origin's version vector entry and
 * its change log: the (version, field, slot) of every change, in version order, so "what of
 * origin O is newer than version n" is a binary search plus a scan (Scuttlebutt reconciliation).
 *
 * A slot that changes again leaves a stale entry behind (its slot now has a newer version);
 * stale entries are skipped when read, and `compact` drops them (the gossip engine calls it each
 * time a log doubles, so the cost is amortized O(1) per change).
 */

export interface OriginLog {
  versions: Float64Array
  fields: Uint16Array
  slots: Int32Array
  length: number
}

function createLog(): OriginLog {
  return { versions: new Float64Array(16), fields: new Uint16Array(16), slots: new Int32Array(16), length: 0 }
}

export class OriginTable {
  readonly ids: string[] = []
  readonly incarnations: number[] = []
  /** Highest version of each origin whose changes are all held here. */
  readonly known: number[] = []
  readonly logs: OriginLog[] = []
  private readonly index = new Map<string, number>()

  get size(): number {
    return this.ids.length
  }

  /** Local number of an origin, registering it when new. */
  intern(id: string, incarnation: number): number {
    const key = `${incarnation}:${id}`
    let origin = this.index.get(key)
    if (origin === undefined) {
      origin = this.ids.length
      this.index.set(key, origin)
      this.ids.push(id)
      this.incarnations.push(incarnation)
      this.known.push(0)
      this.logs.push(createLog())
    }
    return origin
  }

  /** Records that a slot of `origin` now has `version` (versions arrive in increasing order). */
  append(origin: number, version: number, field: number, slot: number): void {
    let log = this.logs[origin]!
    if (log.length === log.versions.length) log = this.grow(origin, log)
    log.versions[log.length] = version
    log.fields[log.length] = field
    log.slots[log.length] = slot
    log.length++
  }

  /** Index of the first log entry with a version above `since`. */
  firstAfter(origin: number, since: number): number {
    const log = this.logs[origin]!
    let low = 0
    let high = log.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (log.versions[mid]! <= since) low = mid + 1
      else high = mid
    }
    return low
  }

  /** Drops stale entries. `isCurrent` tells whether an entry's slot still has that entry's version. */
  compact(origin: number, isCurrent: (field: number, slot: number, version: number) => boolean): void {
    const log = this.logs[origin]!
    let kept = 0
    for (let i = 0; i < log.length; i++) {
      if (!isCurrent(log.fields[i]!, log.slots[i]!, log.versions[i]!)) continue
      log.versions[kept] = log.versions[i]!
      log.fields[kept] = log.fields[i]!
      log.slots[kept] = log.slots[i]!
      kept++
    }
    log.length = kept
  }

  private grow(origin: number, log: OriginLog): OriginLog {
    const capacity = log.versions.length * 2
    const versions = new Float64Array(capacity)
    versions.set(log.versions)
    const fields = new Uint16Array(capacity)
    fields.set(log.fields)
    const slots = new Int32Array(capacity)
    slots.set(log.slots)
    const grown: OriginLog = { versions, fields, slots, length: log.length }
    this.logs[origin] = grown
    return grown
  }
}

/** A growable list of (field, slot) pairs: the own slots written since the last round. */
export class DirtyList {
  fields = new Uint16Array(64)
  slots = new Int32Array(64)
  length = 0

  markDirty(field: number, slot: number): void {
    if (this.length === this.fields.length) {
      const fields = new Uint16Array(this.length * 2)
      fields.set(this.fields)
      this.fields = fields
      const slots = new Int32Array(this.length * 2)
      slots.set(this.slots)
      this.slots = slots
    }
    this.fields[this.length] = field
    this.slots[this.length] = slot
    this.length++
  }
}
