/**
 * The origins a replica knows, numbered locally, with each origin's version vector entry and
 * its change log: the (version, field, slot) of every change, in version order, so "what of
 * origin O is newer than version n" is a binary search plus a scan (Scuttlebutt reconciliation).
 *
 * A slot that changes again leaves a stale entry behind (its slot now has a newer version);
 * stale entries are skipped when read, and `compact` drops them (the gossip engine calls it each
 * time a log holds half again as many entries as the last compaction kept, so the cost is
 * amortized O(1) per change).
 *
 * A folded origin (docs/compaction.md) is *dropped*: its log is freed, it leaves every frame's
 * origin list, and its key stays in the index as a tombstone, so data naming it that arrives late
 * interns to the dropped number and is ignored. `forget` ends the tombstone after the retention
 * and frees the number: the next new origin reuses it (`onReuse` lets the owner reset what it
 * keeps per origin), so per-origin arrays stay as long as the most origins held at once.
 * Frames list the origins that are not dropped, numbered densely on the wire (`wire`).
 */

export interface OriginLog {
  /**
   * Each entry's version as an offset from `base` (read it with `versionAt`): four bytes while
   * the log spans fewer than 2^32 versions, which is all but always, else eight with `base` 0.
   */
  versions: Uint32Array | Float64Array
  base: number
  /** Whether `versions` holds whole versions (eight bytes each, `base` 0). */
  wide: boolean
  /** Field ids: one byte each when every id of the schema fits (`OriginTable`'s `narrowFields`). */
  fields: Uint8Array | Uint16Array
  slots: Int32Array
  length: number
}

const MAX_OFFSET = 0xffffffff
const EMPTY_BITS = new Int32Array(0)

function createLog(narrowFields: boolean, capacity = 16): OriginLog {
  return { versions: new Uint32Array(capacity), base: 0, wide: false, fields: fieldIds(narrowFields, capacity), slots: new Int32Array(capacity), length: 0 }
}

function fieldIds(narrow: boolean, capacity: number): Uint8Array | Uint16Array {
  return narrow ? new Uint8Array(capacity) : new Uint16Array(capacity)
}

/** The version of entry `i` of `log`. */
export function versionAt(log: OriginLog, i: number): number {
  return log.base + log.versions[i]!
}

export class OriginTable {
  readonly ids: string[] = []
  readonly incarnations: number[] = []
  /** Highest version of each origin whose changes are all held here. */
  readonly known: number[] = []
  /**
   * The highest version of each origin that any frame or store record claimed to hold: a
   * restart folds a former incarnation only once it holds that much (docs/compaction.md).
   */
  readonly advertised: number[] = []
  readonly logs: OriginLog[] = []
  readonly dropped: boolean[] = []
  /** Wire number of each origin that is not dropped (-1 for dropped ones), in local order. */
  readonly wire: number[] = []
  /** Origins that are not dropped, in local order: the frame's origin list. */
  readonly listed: number[] = []
  private readonly index = new Map<string, number>()
  /** Numbers of forgotten origins, free for reuse. */
  private readonly free: number[] = []
  /** Called when a forgotten origin's number is handed to a new origin. */
  onReuse: ((origin: number) => void) | null = null

  /** Scratch of `compact`: a bit per slot of each field id (all clear between compactions), and a mark per entry. */
  private readonly seen: Int32Array[] = []
  private latest = new Uint8Array(0)

  /** Whether the logs keep field ids in a byte each. */
  private readonly narrowFields: boolean

  /** `fieldIdCount`: how many field ids the logs record (ids 0 to count - 1); up to 256 take a byte each. */
  constructor(fieldIdCount = 0x10000) {
    this.narrowFields = fieldIdCount <= 0x100
  }

  /** Local numbers handed out so far, dropped origins included. */
  get size(): number {
    return this.ids.length
  }

  /** Origins held (not dropped): the length of every frame's origin list. */
  get heldCount(): number {
    return this.listed.length
  }

  /** Local number of an origin if known (dropped ones included), else -1. */
  lookup(id: string, incarnation: number): number {
    return this.index.get(`${incarnation}:${id}`) ?? -1
  }

  /** Drops a folded origin: frees its log, takes it off the wire list, keeps its tombstone. */
  drop(origin: number): void {
    if (this.dropped[origin]) return
    this.dropped[origin] = true
    this.known[origin] = 0
    this.logs[origin] = createLog(this.narrowFields, 0)
    this.listed.splice(this.listed.indexOf(origin), 1)
    this.wire[origin] = -1
    for (let i = 0; i < this.listed.length; i++) this.wire[this.listed[i]!] = i
  }

  /** Ends a dropped origin's tombstone: data naming it would intern it anew. */
  forget(origin: number): void {
    if (!this.dropped[origin]) return
    if (this.index.get(`${this.incarnations[origin]!}:${this.ids[origin]!}`) !== origin) return
    this.index.delete(`${this.incarnations[origin]!}:${this.ids[origin]!}`)
    this.ids[origin] = ''
    this.free.push(origin)
  }

  /** Local number of an origin, registering it when new. */
  intern(id: string, incarnation: number): number {
    const key = `${incarnation}:${id}`
    let origin = this.index.get(key)
    if (origin === undefined && this.free.length > 0) {
      origin = this.free.pop()!
      this.index.set(key, origin)
      this.ids[origin] = id
      this.incarnations[origin] = incarnation
      this.known[origin] = 0
      this.advertised[origin] = 0
      this.logs[origin] = createLog(this.narrowFields)
      this.dropped[origin] = false
      this.wire[origin] = this.listed.length
      this.listed.push(origin)
      this.onReuse?.(origin)
    } else if (origin === undefined) {
      origin = this.ids.length
      this.index.set(key, origin)
      this.ids.push(id)
      this.incarnations.push(incarnation)
      this.known.push(0)
      this.advertised.push(0)
      this.logs.push(createLog(this.narrowFields))
      this.dropped.push(false)
      this.wire.push(this.listed.length)
      this.listed.push(origin)
    }
    return origin
  }

  /** Records that a slot of `origin` now has `version` (versions arrive in increasing order). */
  append(origin: number, version: number, field: number, slot: number): void {
    let log = this.logs[origin]!
    if (log.length === log.versions.length) log = this.grow(origin, log)
    if (log.length === 0) log.base = log.wide ? 0 : version
    else if (!log.wide && version - log.base > MAX_OFFSET) log = this.grow(origin, log, log.versions.length, version)
    log.versions[log.length] = version - log.base
    log.fields[log.length] = field
    log.slots[log.length] = slot
    log.length++
  }

  /** Index of the first log entry with a version above `since`. */
  firstAfter(origin: number, since: number): number {
    const log = this.logs[origin]!
    const offset = since - log.base
    let low = 0
    let high = log.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (log.versions[mid]! <= offset) low = mid + 1
      else high = mid
    }
    return low
  }

  /**
   * Drops stale entries. An entry that a later entry of the same (field, slot) supersedes is
   * stale and goes without a look at its slot: one backward pass over the log, with a bit per
   * slot, finds those. `isCurrent`, when given, is asked about every other entry (whether its
   * slot still has that entry's version: a slot that was dropped or passed to another origin
   * since has no later entry here); without it those stay until a compaction that asks. Returns
   * how many entries `isCurrent` dropped.
   */
  compact(origin: number, isCurrent: ((field: number, slot: number, version: number) => boolean) | null): number {
    const log = this.logs[origin]!
    const { versions, fields, slots, length } = log
    const seen = this.seen
    if (this.latest.length < length) this.latest = new Uint8Array(versions.length)
    const latest = this.latest
    // Backward, so the first entry met of a (field, slot) is its latest.
    let lastField = -1
    let bits: Int32Array = EMPTY_BITS
    for (let i = length - 1; i >= 0; i--) {
      const field = fields[i]!
      const slot = slots[i]!
      if (field !== lastField) {
        lastField = field
        bits = seen[field] ?? EMPTY_BITS
      }
      const word = slot >>> 5
      if (word >= bits.length) {
        const grown = new Int32Array(Math.max(64, word + 1, bits.length * 2))
        grown.set(bits)
        seen[field] = bits = grown
      }
      const bit = 1 << (slot & 31)
      const held = bits[word]!
      latest[i] = (held & bit) === 0 ? 1 : 0
      bits[word] = held | bit
    }
    // Forward: keep the latest entries (that `isCurrent` keeps), and clear each one's bit, which
    // clears every bit the pass above set.
    let kept = 0
    let stale = 0
    for (let i = 0; i < length; i++) {
      if (latest[i] === 0) continue
      const field = fields[i]!
      const slot = slots[i]!
      seen[field]![slot >>> 5] = 0
      if (isCurrent !== null && !isCurrent(field, slot, versionAt(log, i))) {
        stale++
        continue
      }
      versions[kept] = versions[i]!
      fields[kept] = field
      slots[kept] = slot
      kept++
    }
    log.length = kept
    return stale
  }

  /**
   * Gives the log room for exactly `capacity` entries (at least its length): after a compaction
   * the gossip engine sizes it to the length that triggers the next one, so a log holds no more
   * than that, not the next power of two above it.
   */
  resize(origin: number, capacity: number): void {
    const log = this.logs[origin]!
    // A wide log is moved even to the same room: the compaction before may have narrowed its span.
    if ((capacity !== log.versions.length || log.wide) && capacity >= log.length) this.grow(origin, log, capacity)
  }

  /**
   * Moves the log to arrays of `capacity` entries. Offsets are taken from the first entry again,
   * in four bytes each when the entries and `next` (a version about to be appended) span fewer
   * than 2^32 versions, else as whole versions in eight.
   */
  private grow(origin: number, log: OriginLog, capacity = Math.max(16, log.versions.length * 2), next = -1): OriginLog {
    const first = log.length > 0 ? versionAt(log, 0) : Math.max(next, 0)
    const last = Math.max(log.length > 0 ? versionAt(log, log.length - 1) : first, next)
    const narrow = last - first <= MAX_OFFSET
    const base = narrow ? first : 0
    const versions = narrow ? new Uint32Array(capacity) : new Float64Array(capacity)
    for (let i = 0; i < log.length; i++) versions[i] = versionAt(log, i) - base
    const fields = fieldIds(this.narrowFields, capacity)
    fields.set(log.fields.subarray(0, log.length))
    const slots = new Int32Array(capacity)
    slots.set(log.slots.subarray(0, log.length))
    const grown: OriginLog = { versions, base, wide: !narrow, fields, slots, length: log.length }
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
