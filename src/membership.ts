/**
 * Membership by heartbeat gossip (as in Scuttlebutt and Cassandra's gossiper): every member
 * bumps its own heartbeat each round and gossips the member list; a member whose heartbeat has
 * not moved for `failureTimeoutMs` (by the local clock) is considered failed. A graceful leave
 * is announced with status `left`, which is final for that incarnation. A restarted instance
 * comes back with a higher incarnation and replaces its old record.
 *
 * Failure is a local judgement, not gossiped: only records this replica believes live (and
 * `left` records) are passed on, so a failed member fades out instead of being kept alive by
 * stale copies.
 */

export const STATUS_ALIVE = 0
export const STATUS_LEFT = 1

export interface MemberRecord {
  id: string
  incarnation: number
  heartbeat: number
  status: number
  address: string
  /**
   * A graceful leave names an heir, a live peer that confirmed holding every own change, and the
   * last own version: the heir folds this member into itself (docs/compaction.md). '' for none.
   */
  heir?: string
  heirIncarnation?: number
  final?: number
  /** Last version of the member's heir origin (what it had taken over itself). */
  heirFinal?: number
  /**
   * Read from a frame that left the address out (its receiver knows it: docs/protocol.md,
   * "Frame format"); `address` is then ''. Such a record only updates a member known already.
   */
  addressOmitted?: true
}

interface LocalMember extends MemberRecord {
  /** Local time the heartbeat last moved (or the record was first seen). */
  progressAt: number
  live: boolean
  /** A peer read back from a store and not heard of since: forgotten at this local time. */
  restoredUntil?: number
}

export type MembershipEvent = { type: 'join' | 'leave'; id: string; reason?: 'left' | 'failed' }

export class Membership {
  private readonly members = new Map<string, LocalMember>()
  readonly self: LocalMember
  /**
   * Graceful leaves that named an heir, by incarnation and id, kept apart from the member table
   * (where a restart of the same id replaces them) until the retention ends: an heir still folds
   * an instance that left and restarted at once.
   */
  private readonly departures = new Map<string, { record: MemberRecord; at: number }>()

  constructor(id: string, incarnation: number, private readonly failureTimeoutMs: number, private readonly emit: (event: MembershipEvent) => void) {
    this.self = { id, incarnation, heartbeat: 0, status: STATUS_ALIVE, address: id, progressAt: 0, live: true }
    this.members.set(id, this.self)
  }

  /** Own heartbeat for this round. */
  beat(): void {
    this.self.heartbeat++
  }

  /** Merges a gossiped record; returns true when it told us something new. */
  merge(record: MemberRecord, now: number): boolean {
    if (record.status === STATUS_LEFT && record.heir) this.noteDeparture(record, now)
    if (record.id === this.self.id) return false
    const current = this.members.get(record.id)
    if (current) {
      if (record.incarnation < current.incarnation) return false
      if (record.incarnation === current.incarnation) {
        if (current.status === STATUS_LEFT) return false
        if (record.status !== STATUS_LEFT && record.heartbeat <= current.heartbeat) return false
      }
    }
    // Without its address, a record of a member not known at this incarnation cannot be used:
    // a frame that carries it whole comes along (its sender did not see this replica list it).
    if (record.addressOmitted && (current === undefined || current.incarnation !== record.incarnation)) return false
    const wasLive = current?.live ?? false
    const { addressOmitted, ...fields } = record
    const next: LocalMember = { ...fields, address: addressOmitted ? current!.address : record.address, progressAt: now, live: record.status === STATUS_ALIVE }
    this.members.set(record.id, next)
    if (next.live && !wasLive) this.emit({ type: 'join', id: record.id })
    if (!next.live && wasLive) this.emit({ type: 'leave', id: record.id, reason: 'left' })
    return true
  }

  /**
   * A peer read back from the store of a former incarnation: kept as believed failed (contacted
   * now and then, counted among the peers a restart's folds wait for) until gossip brings news
   * of it (live, or left), or for `forMs` otherwise: one that left or crashed while this
   * instance was down may never be gossiped again. Known members are left as they are.
   */
  restorePeer(record: MemberRecord, now: number, forMs: number): void {
    if (record.id === this.self.id || this.members.has(record.id) || record.status !== STATUS_ALIVE) return
    this.members.set(record.id, { ...record, progressAt: now, live: false, restoredUntil: now + forMs })
  }

  /**
   * How long a leave (and a fold record) is still gossiped: 10 failure time-outs. A restart
   * waits as long for news of its former peers (docs/compaction.md).
   */
  get gossipWindowMs(): number {
    return 10 * this.failureTimeoutMs
  }

  /** Marks members whose heartbeat stalled as failed (and back as live when it moves again). */
  detectFailures(now: number): void {
    for (const member of this.members.values()) {
      if (member === this.self || member.status !== STATUS_ALIVE || !member.live) continue
      if (now - member.progressAt >= this.failureTimeoutMs) {
        member.live = false
        this.emit({ type: 'leave', id: member.id, reason: 'failed' })
      }
    }
  }

  private noteDeparture(record: MemberRecord, now: number): void {
    // This incarnation (or a later one of this id) has not left, whatever a frame says.
    if (record.id === this.self.id && record.incarnation >= this.self.incarnation) return
    const key = `${record.incarnation}:${record.id}`
    if (!this.departures.has(key)) this.departures.set(key, { record: { ...record }, at: now })
  }

  /** Whether `(id, incarnation)` is known to have left gracefully (within the retention). */
  departed(id: string, incarnation: number): boolean {
    return this.departures.has(`${incarnation}:${id}`)
  }

  /**
   * Graceful leaves whose heir is `(id, incarnation)`, directly or through heirs that left in
   * turn before folding them (two instances leaving at once may name each other's).
   */
  leftTo(id: string, incarnation: number): MemberRecord[] {
    const left = [...this.departures.values()].map((departure) => departure.record)
    const byKey = new Map(left.map((member) => [`${member.incarnation}:${member.id}`, member]))
    const found: MemberRecord[] = []
    for (const member of left) {
      let heir: MemberRecord | undefined = member
      for (let depth = 0; heir && depth < 16; depth++) {
        if (heir.heir === id && heir.heirIncarnation === incarnation) {
          found.push(member)
          break
        }
        heir = byKey.get(`${heir.heirIncarnation}:${heir.heir}`)
      }
    }
    return found
  }

  /**
   * Forgets members that left or failed longer than `retentionMs` ago, so the member list does
   * not grow with every instance that ever lived. By then no peer gossips them any more.
   */
  prune(now: number, retentionMs: number): void {
    for (const [key, departure] of this.departures) if (now - departure.at >= retentionMs) this.departures.delete(key)
    for (const [id, member] of this.members) {
      if (member === this.self || member.live) continue
      if (now - member.progressAt >= retentionMs || (member.restoredUntil !== undefined && now >= member.restoredUntil)) this.members.delete(id)
    }
  }

  /** Ids of live members, self included, sorted. */
  liveIds(): string[] {
    return [...this.members.values()].filter((member) => member.live).map((member) => member.id).sort()
  }

  /** Whether the instance `id` at `incarnation` is a live member. */
  isLive(id: string, incarnation: number): boolean {
    const member = this.members.get(id)
    return member !== undefined && member.live && member.incarnation === incarnation
  }

  /** Whether the instance `id` at `incarnation` is a member believed failed (not left). */
  isSuspected(id: string, incarnation: number): boolean {
    const member = this.members.get(id)
    return member !== undefined && !member.live && member.status === STATUS_ALIVE && member.incarnation === incarnation
  }

  /** Live peers (not self). */
  livePeers(): MemberRecord[] {
    return [...this.members.values()].filter((member) => member.live && member !== this.self)
  }

  /** Peers not known to have left, live or believed failed: who may still hold or send anything. */
  alivePeers(): MemberRecord[] {
    return [...this.members.values()].filter((member) => member !== this.self && member.status === STATUS_ALIVE)
  }

  /** Peers believed failed (not left): still contacted now and then, so partitions heal. */
  suspectedPeers(): MemberRecord[] {
    return [...this.members.values()].filter((member) => !member.live && member.status === STATUS_ALIVE)
  }

  /**
   * Records worth gossiping: live ones, and graceful-leave tombstones for a while after we
   * learnt of them (ten failure time-outs), long enough to reach everyone who saw the member
   * live. A tombstone is kept locally for good (it stops stale copies from reviving the member)
   * but no longer sent, so frames do not grow with every instance that ever left.
   */
  gossipable(now: number): MemberRecord[] {
    const tombstoneMs = this.gossipWindowMs
    return [...this.members.values()].filter((member) =>
      member.live || (member.status === STATUS_LEFT && (member === this.self || now - member.progressAt < tombstoneMs)))
  }
}
