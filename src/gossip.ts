/**
 * Push-pull anti-entropy (Scuttlebutt, van Renesse et al., 2008) over version vectors.
 *
 * Each round a replica stamps its dirty slots with fresh versions and pushes to `fanout` random
 * live peers a frame holding its member list, its version vector and the changes it believes
 * each peer lacks. A peer answers with what the pusher lacks (from the pusher's vector) and asks
 * for more when the pusher's vector shows it lacks something itself; that request is answered
 * once more and the exchange ends: at most three frames per exchange, whatever the loss.
 *
 * Frames are decoded and validated whole (frame.ts) before anything is applied. Within a frame,
 * an origin's changes are applied only when they continue what we hold (`from` ≤ our version of
 * that origin), so our vector always means "every change up to here".
 */
import * as encoding from 'lib0/encoding'
import { type Encoder, Reader, copyEncoded, resetEncoder, writeU32, writeU8, writeVarBytes, writeVarUint } from '../crdts/codec.js'
import * as docType from '../crdts/doc.js'
import { messageYjsSyncStep1 } from 'y-protocols/sync'
import { type OriginCodec, MISSING_BINDING } from '../crdts/slot-type.js'
import type { FrameKey } from './auth.js'
import { ElasticStateError } from './errors.js'
import type { FieldRuntime } from './fields.js'
import { type ParsedFrame, type SlotDecoder, FrameKind, beginFrame, groupChunks, idleGroupChunks, type FrameSlot, memberKey as peerKey, parseFrame, sealFrame, writeMembers, writeOrigins } from './frame.js'
import { type MemberRecord, type Membership, STATUS_ALIVE, STATUS_LEFT } from './membership.js'
import { type OriginTable, versionAt } from './origin-table.js'
import { CatchUp } from './catch-up.js'
import { type FoldRecord, FoldRegistry, HEIR_SUFFIX, heirIdOf } from './folds.js'
import type { FrameFold, FrameGroup, OriginList } from './frame.js'

export interface GossipConfig {
  intervalMs: number
  fanout: number
  failureTimeoutMs: number
  maxFrameBytes: number
  /** How long a fold's tombstone is kept (docs/compaction.md). */
  foldRetentionMs: number
  /** Log length of an origin's first compaction, and the least length of any later one. */
  compactLogsAt: number
}

export interface GossipHost {
  readonly id: string
  readonly incarnation: number
  readonly address: string
  readonly ownOrigin: number
  /**
   * The own *heir origin* (docs/compaction.md): where this replica keeps what it took over from
   * folded origins, apart from its own writes so its local views stay its own. -1 until the
   * first fold; `heirOrigin()` makes it.
   */
  readonly heirOriginIfAny: number
  heirOrigin(): number
  /** Versions the heir origin's dirty slots (the writes a fold just made). */
  stampHeirWrites(): void
  readonly fingerprint: number
  readonly key: FrameKey | null
  readonly config: GossipConfig
  readonly fields: readonly FieldRuntime[]
  readonly origins: OriginTable
  readonly membership: Membership
  now(): number
  send(address: string, frame: Uint8Array): void
  /** Fields changed by a remote frame. */
  remoteChange(fields: Set<number>): void
  /** A problem to surface as an 'error' event (the replica keeps running). */
  reportError(error: ElasticStateError): void
  /**
   * Versions the own writes made since the last round. Called before every frame that may carry
   * own changes is built (`buildFrame`), so a slot is never sent with new values under an old
   * version (one version, one value).
   */
  stampOwnWrites(): void
}

export interface PeerRef {
  id: string
  incarnation: number
}

/** Rounds a push waits for a peer to confirm what an earlier push carried before sending it again. */
const RESEND_AFTER_ROUNDS = 3
/** A lack of at least this many versions, and `LARGE_LACK_ROUNDS` times what the last round brought, starts catching up. */
const LARGE_LACK_VERSIONS = 1024
const LARGE_LACK_ROUNDS = 8

/**
 * A log compaction drops the entries that a later entry of the same slot supersedes, from the
 * log alone. Checking each remaining entry's slot too (whether the slot still has that version:
 * it may have been dropped, or passed to another origin) reads the state all over, which costs
 * more than the rest: after a check that found stale entries in at most 1/`RARE_STALE` of the
 * log, the next `UNCHECKED_COMPACTIONS` compactions of that log skip it. Where slots keep being
 * dropped (expiry under churn), every compaction checks.
 */
const RARE_STALE = 32
const UNCHECKED_COMPACTIONS = 3

/** A Yjs state vector naming no client: the update after it is the whole doc. */
const EMPTY_STATE_VECTOR = new Uint8Array([0])
/**
 * A slot encoder that grew past this many bytes (a catch-up's group) is let go after use rather
 * than kept for the next group: a round's groups take a few kilobytes.
 */
const KEPT_ENCODER_BYTES = 64 << 10
/**
 * Frames' worth of bytes a fold batch spanning frames may be gathered from (`gatherBatch`), as a
 * multiple of `maxFrameBytes`; more drops it (a forged fold could claim any length).
 */
const MAX_BATCH_FRAMES = 64

/** A piece of a fold batch: a group cut inside the batch, with its frame's bytes and origin map. */
interface BatchPiece {
  frame: ParsedFrame
  group: FrameGroup
  local: readonly number[]
}

/**
 * A fold batch of an heir origin too large for one frame (docs/compaction.md): the pieces that
 * carry it, gathered until they reach its end and then applied together. `to`: how far the
 * pieces reach, reported to peers as held so that they send the next piece.
 */
interface GatheredBatch {
  fold: FrameFold
  to: number
  pieces: BatchPiece[]
  bytes: number
}


export class GossipEngine implements SlotDecoder {
  /**
   * The live members each peer listed in its last frame to us, as `incarnation:id` (built from
   * the frame's list when first needed): a frame to that peer leaves their addresses out.
   */
  private readonly listedBy = new Map<string, readonly MemberRecord[] | Set<string>>()
  /**
   * What each peer told us it holds, by local origin. Keyed by peer id *and* incarnation: a
   * restarted peer has lost its memory and must not be taken for its former self.
   */
  private readonly beliefs = new Map<string, number[]>()
  /** The doc digests each peer last reported, by peer key and field. */
  private readonly peerDocDigests = new Map<string, Map<number, docType.DocDigest>>()
  /** Log length at which an origin's log is next compacted. */
  private readonly compactAt: number[] = []
  /** How many more compactions of each origin's log drop only superseded entries (`compact`). */
  private readonly uncheckedCompactions: number[] = []
  /** Local doc edits of this round, pushed with every push of the round. */
  private roundDocUpdates: (Uint8Array | null)[] = []
  /**
   * Groups encoded this round, by origin, start and end: peers that lack the same changes get
   * the same bytes, encoded once. Cleared every round; a cached group stays valid data (slot
   * versions only grow), it only may not be the newest.
   */
  private readonly groupCache = new Map<string, { bytes: Uint8Array; budget: number; coveredTo: number }>()
  /** Where `writeGroup` encodes a group's slots, and its head; kept from group to group. */
  private slotEncoder = encoding.createEncoder()
  private readonly groupHead = encoding.createEncoder()
  /**
   * What our frames already carried to each peer (by origin: up to which version, and when).
   * A frame starts after that for a while instead of resending what is on its way (a push for
   * `RESEND_AFTER_ROUNDS` rounds, an answer for one: `withSent`); if the peer's reports do not
   * catch up by then, it falls back to them.
   */
  private readonly pushed = new Map<string, { to: number[]; at: number[] }>()
  /**
   * Each origin's vector entry at the start of the previous round, and of this one: a push
   * carries the own (and heir) origin's changes after the first (`writeGroups`).
   */
  private readonly previousRound: number[] = []
  private readonly lastRoundKnown: number[] = []
  /** Folds of departed origins this replica made or learnt (docs/compaction.md). */
  readonly folds = new FoldRegistry()
  /** Fold batches that span frames, gathered until whole (`gatherBatch`), by heir origin. */
  private readonly gathering = new Map<number, GatheredBatch>()
  /** Departed origins too large to fold (`foldFits`), by local number. */
  private readonly tooLargeToFold = new Set<number>()
  /** Keeps the hidden class of `applyGroup`'s chunks alive (src/shapes.ts). */
  readonly idleChunks = idleGroupChunks(this)
  /**
   * Slot pools (`slotPool`), one array per group: a frame is read into the free pools, holds them
   * until it is applied, and then frees them for the next frame, which overwrites their slot
   * objects and deltas. So decoding a frame allocates nothing per slot once the pools have grown
   * to it. A frame parsed while another holds the pools (a frame received from inside an event
   * handler of this replica) gets pools of its own.
   */
  private freePools: FrameSlot[][] | null = []
  /** The pools of the frame being parsed, and of each parsed frame not yet applied. */
  private parsingPools: FrameSlot[][] | null = null
  private readonly framePools = new WeakMap<ParsedFrame, FrameSlot[][]>()
  /** Own origin found folded by a peer: reported once. */
  /** Cells held back because their binding was not held here (see crdts/flow-table-bindings.ts). */
  missingBindings = 0
  private foldedSelfReported = false
  /**
   * After a graceful leave, the heir's record folding this very incarnation: never applied (the
   * own origin stays), but listed with the heir origin in the frames this replica still sends,
   * so a peer that gets the heir's copy of our writes from us drops our own copy with it.
   */
  private selfFold: FoldRecord | null = null
  private droppedOriginReported = false
  /** Local origin numbers as wire numbers: the frame lists the origins that are not dropped. */
  private readonly wireOrigins: OriginCodec
  /** Catching up: from the start, after a silence, and after a partition heals (src/catch-up.ts). */
  readonly catchUp: CatchUp

  constructor(private readonly host: GossipHost) {
    const wire = host.origins.wire
    this.wireOrigins = { size: Number.MAX_SAFE_INTEGER, toWire: (origin) => wire[origin]!, toLocal: (ref) => ref }
    const { intervalMs, failureTimeoutMs } = host.config
    this.catchUp = new CatchUp(2 * intervalMs, Math.max(2 * intervalMs, failureTimeoutMs / 2), failureTimeoutMs / 2, host.now())
    host.origins.onReuse = (origin) => this.resetOrigin(origin)
  }

  /** A forgotten origin's number now names a new origin: nothing said of the old one may stay. */
  private resetOrigin(origin: number): void {
    this.previousRound[origin] = 0
    this.lastRoundKnown[origin] = 0
    this.compactAt[origin] = this.host.config.compactLogsAt
    this.uncheckedCompactions[origin] = 0
    for (const belief of this.beliefs.values()) if (origin < belief.length) belief[origin] = 0
    for (const sent of this.pushed.values()) {
      if (origin < sent.to.length) sent.to[origin] = 0
      if (origin < sent.at.length) sent.at[origin] = 0
    }
    this.groupCache.clear()
  }

  get fieldCount(): number {
    return this.host.fields.length
  }

  isDocField(field: number): boolean {
    return this.host.fields[field]!.doc !== null
  }

  /** Whether wire field number `field` carries slots: a field's changes, or (at `fieldCount + f`) the bindings of an interning field `f`. */
  holdsSlots(field: number): boolean {
    const fields = this.host.fields
    if (field < fields.length) return fields[field]!.doc === null
    return field < 2 * fields.length && fields[field - fields.length]!.ops?.interned !== undefined
  }

  decodeSlot(field: number, reader: Reader, origins: OriginCodec, into?: unknown): unknown {
    const fields = this.host.fields
    if (field >= fields.length) return fields[field - fields.length]!.ops!.interned!.decodeBinding(reader, into)
    const runtime = fields[field]!
    const ops = runtime.ops!
    return ops.interned ? ops.interned.decodeSlot(reader, origins, runtime.state, into) : ops.decodeSlot(reader, origins, runtime.state, into)
  }

  slotPool(group: number): FrameSlot[] | undefined {
    const pools = this.parsingPools
    if (pools === null) return undefined
    while (pools.length <= group) pools.push([])
    return pools[group]!
  }

  /**
   * Validates a frame (`parseFrame`); apply it (`receive`, `restore`) before parsing the next.
   * A record read back from persistence is parsed with no secret and no size limit.
   */
  parse(bytes: Uint8Array, record = false): ParsedFrame {
    const host = this.host
    const pools = this.freePools ?? []
    this.freePools = null
    this.parsingPools = pools
    try {
      const frame = parseFrame(bytes, host.fingerprint, record ? null : host.key, { maxFrameBytes: record ? Number.MAX_SAFE_INTEGER : host.config.maxFrameBytes }, this)
      this.framePools.set(frame, pools)
      return frame
    } catch (error) {
      this.freePools = pools
      throw error
    } finally {
      this.parsingPools = null
    }
  }

  /**
   * Frees a parsed frame's slot pools for the next frame: after it is applied, or when it is
   * dropped unapplied (a frame of this replica's own). After a frame with a group too large to
   * keep decoded (a catch-up) they are let go instead: their thousands of slots would keep that
   * frame's bytes alive (a binding's key is read where it lies in the frame).
   */
  discard(frame: ParsedFrame): void {
    const pools = this.framePools.get(frame)
    if (pools === undefined) return
    this.framePools.delete(frame)
    this.freePools = frame.groups.some((group) => group.slots === null) ? null : pools
  }

  /** Whether a frame from this peer (this incarnation) was applied here. */
  heardFrom(peer: PeerRef): boolean {
    return this.beliefs.has(peerKey(peer.id, peer.incarnation))
  }

  /** What a peer last told us it holds of `origin` (0 when unknown). */
  believedKnown(peer: PeerRef, origin: number): number {
    return this.beliefs.get(peerKey(peer.id, peer.incarnation))?.[origin] ?? 0
  }

  /**
   * Whether a peer reported holding every doc edit we hold: the same digest, or a state vector
   * covering ours. Trivially true for a schema without docs.
   */
  docsConfirmedBy(peer: PeerRef): boolean {
    const digests = this.peerDocDigests.get(peerKey(peer.id, peer.incarnation))
    for (const field of this.host.fields) {
      if (!field.doc) continue
      const reported = digests?.get(field.index)
      if (!reported || !docType.covers(reported, docType.digest(field.doc))) return false
    }
    return true
  }

  /** Takes this round's local doc edits (pushed to every target of the round). */
  collectDocUpdates(): void {
    this.groupCache.clear()
    const known = this.host.origins.known
    for (let origin = 0; origin < known.length; origin++) {
      this.previousRound[origin] = this.lastRoundKnown[origin] ?? 0
      this.lastRoundKnown[origin] = known[origin]!
    }
    this.roundDocUpdates = this.host.fields.map((field) => (field.doc ? docType.takePending(field.doc) : null))
  }

  /**
   * Opens an exchange with a peer (`null`: a seed we know only by address). A push to a peer
   * never heard from, or believed failed (`probe`), carries no changes, only the vector: a peer
   * that answers asks for what it lacks. Changes pushed to a crashed peer are never reported
   * held, so they would be sent again every few rounds for as long as it stays a member.
   *
   * `oneWay`: the same frame sent as a `Reply`, which is never answered: a replica catching up
   * (src/catch-up.ts) asks one peer at a time, and sends the others its round's changes so.
   */
  push(peer: PeerRef | null, address: string, probe = false, oneWay = false): void {
    const kind = oneWay ? FrameKind.Reply : FrameKind.Push
    const belief = peer === null ? undefined : this.beliefs.get(peerKey(peer.id, peer.incarnation))
    if (peer === null || belief === undefined || probe) {
      this.host.send(address, this.buildFrame(kind, belief, null, false, peer === null ? null : peerKey(peer.id, peer.incarnation), undefined, true))
      return
    }
    const key = peerKey(peer.id, peer.incarnation)
    const start = this.withSent(key, belief, RESEND_AFTER_ROUNDS * this.host.config.intervalMs)
    this.host.send(address, this.buildFrame(kind, start, null, true, key, this.recordSent(key), true))
  }

  /**
   * `belief` raised to what our frames carried to the peer in the last `withinMs`: those
   * changes are on their way, or lost (then the peer's later reports still lack them, and once
   * `withinMs` passed they are sent again).
   */
  private withSent(key: string, belief: number[], withinMs: number): number[] {
    const pushed = this.pushed.get(key)
    if (pushed === undefined) return belief
    const now = this.host.now()
    const start = belief.slice()
    for (let origin = 0; origin < pushed.to.length; origin++) {
      const sent = pushed.to[origin]
      if (sent !== undefined && now - pushed.at[origin]! < withinMs && sent > (start[origin] ?? 0)) start[origin] = sent
    }
    return start
  }

  /** Tells live peers something final (a graceful leave): members and digest only. */
  announce(address: string): void {
    this.host.send(address, this.buildFrame(FrameKind.Final, undefined, null, false, null))
  }

  /** Applies a validated frame and answers it when the protocol says so. */
  receive(frame: ParsedFrame): void {
    const host = this.host
    const now = host.now()
    const catchUp = this.catchUp
    catchUp.heard(now)
    const senderKey = peerKey(frame.senderId, frame.senderIncarnation)
    const fromSuspected = host.membership.isSuspected(frame.senderId, frame.senderIncarnation)
    for (const member of frame.members) {
      if (member.id === host.id && member.incarnation === host.incarnation) catchUp.echoed(member.heartbeat, now)
      else host.membership.merge(member, now)
    }

    const { local, changed, advanced, peerDocs } = this.applyContent(frame)

    const belief = this.beliefs.get(senderKey) ?? []
    for (let ref = 0; ref < local.length; ref++) {
      const origin = local[ref]!
      if (origin < 0) continue
      if ((belief[origin] ?? 0) < frame.origins[ref]!.known) belief[origin] = frame.origins[ref]!.known
    }
    this.beliefs.set(senderKey, belief)
    this.listedBy.set(senderKey, frame.members)
    if (peerDocs.size > 0) this.peerDocDigests.set(senderKey, peerDocs)
    if (changed.size > 0) host.remoteChange(changed)

    // A partition healed, and its other side wrote meanwhile: a peer believed failed shows us
    // something we lack, or any peer shows a lack much larger than a round brings. Each peer
    // we asked would answer with all of it: catch up from one.
    if (catchUp.caughtUp && (fromSuspected ? this.weLack(frame, local) : this.lacksMuch(frame, local))) catchUp.behind()
    if (!catchUp.caughtUp && this.catchingUp(frame, senderKey, local, advanced)) return

    if (frame.kind === FrameKind.Push) {
      const docsDiffer = this.docsDiffer(peerDocs)
      // A push that crossed ours on the way reports less than ours carried: answering it from
      // its report alone sent those changes twice. What ours carried in the last round counts
      // as held; a peer that still lacks it a round later gets it in the answer.
      const holds = this.withSent(senderKey, belief, host.config.intervalMs)
      const peerLacks = this.peerLacks(holds) || docsDiffer
      // Differing docs also ask for more: the pusher's answer then carries its step 2, so a
      // doc edit whose push was lost still reaches us within this exchange.
      // Catching up, a push is answered with an ask only when no ask is on its way elsewhere.
      const asks = catchUp.caughtUp || !catchUp.awaiting(now)
      const weLack = asks && (this.weLack(frame, local) || docsDiffer)
      // A leaving peer waits for its heir to echo its leave: always answer one.
      const leaving = frame.members.some((member) => member.id === frame.senderId && member.incarnation === frame.senderIncarnation && member.status === STATUS_LEFT)
      if (peerLacks || weLack || leaving) {
        host.send(frame.senderAddress, this.buildFrame(weLack ? FrameKind.ReplyWantsMore : FrameKind.Reply, holds, peerDocs, true, senderKey, this.recordSent(senderKey)))
        if (weLack && !catchUp.caughtUp) catchUp.asked(now, senderKey)
      }
    } else if (frame.kind === FrameKind.ReplyWantsMore) {
      host.send(frame.senderAddress, this.buildFrame(FrameKind.Final, belief, peerDocs, true, senderKey, this.recordSent(senderKey)))
    }
  }

  /**
   * A frame received while catching up (src/catch-up.ts). It ends catching up when this replica
   * holds what the frame's sender reported, if the sender is the peer asked or nobody reported
   * more (a peer cut off with us holds what we hold, and no more). Otherwise, an answer of the
   * peer asked (or any frame, when no ask is on its way) that brought part of what we lack is
   * followed by an ask of its sender for the rest (true: the frame is dealt with). A push is
   * answered as usual (false), asking its sender only when no ask is on its way.
   */
  private catchingUp(frame: ParsedFrame, senderKey: string, local: number[], advanced: boolean): boolean {
    const host = this.host
    const catchUp = this.catchUp
    const now = host.now()
    const fromAsked = catchUp.fromAsked(senderKey, frame.senderAddress)
    if (!this.weLack(frame, local)) {
      if (fromAsked || this.holdsAdvertised()) catchUp.done()
      return false
    }
    if (frame.kind === FrameKind.Push) return false
    // An answer to a push of before, or a frame that asks nothing: the ask on its way brings it.
    if (fromAsked) catchUp.answered()
    else if (catchUp.awaiting(now)) return false
    // An answer that moved no origin on (what it lacks was not sent): the usual rounds take over.
    if (!advanced) {
      catchUp.done()
      return false
    }
    // The ask answers a frame that asked us for more too: it carries what that peer lacks.
    host.send(frame.senderAddress, this.buildFrame(FrameKind.ReplyWantsMore, this.beliefs.get(senderKey), null, true, senderKey, this.recordSent(senderKey)))
    catchUp.asked(now, senderKey)
    return true
  }

  /**
   * Whether a frame shows that we lack more than the last rounds brought us, many times over: a
   * partition too short for anyone to be suspected (nor for us to fall silent) ended, with
   * writes on the other side. Each peer we ask would answer with all of it.
   */
  private lacksMuch(frame: ParsedFrame, local: number[]): boolean {
    const lack = this.lackOf(frame, local)
    if (lack < LARGE_LACK_VERSIONS) return false
    let lastRound = 0
    for (let origin = 0; origin < this.lastRoundKnown.length; origin++) lastRound += this.lastRoundKnown[origin]! - (this.previousRound[origin] ?? 0)
    return lack > LARGE_LACK_ROUNDS * lastRound
  }

  /** Whether this replica holds every version any frame claimed of its listed origins. */
  private holdsAdvertised(): boolean {
    const { known, advertised, listed } = this.host.origins
    for (const origin of listed) if (known[origin]! < advertised[origin]!) return false
    return true
  }

  /**
   * Applies a record read back from persistence: its changes and doc content, without taking
   * its sender for a peer or answering it.
   */
  restore(frame: ParsedFrame): void {
    const { changed } = this.applyContent(frame)
    if (changed.size > 0) this.host.remoteChange(changed)
  }

  // ---- folds of departed origins (docs/compaction.md) ----

  /**
   * Folds a departed origin into the own one: every field moves the departed contributions into
   * own slots, which are stamped at once, so the record names the own versions carrying them;
   * then the departed origin is dropped here. The caller checked that it is final and held whole.
   */
  fold(departed: number): FoldRecord | null {
    const host = this.host
    // Never the own origins, whatever a (forged) record claims.
    if (departed === host.ownOrigin || departed === host.heirOriginIfAny) return null
    // Own writes pending first, under the own origin; then the dirty slots are the heir origin's.
    host.stampOwnWrites()
    const heir = host.heirOrigin()
    const from = host.origins.known[heir]! + 1
    for (const field of host.fields) field.ops?.absorb?.(field.state, departed, heir)
    host.stampHeirWrites()
    const record: FoldRecord = {
      id: host.origins.ids[departed]!, incarnation: host.origins.incarnations[departed]!,
      from, to: host.origins.known[heir]!, heir, learnedAt: host.now(), forwarding: true,
    }
    this.folds.add(record)
    const changed = new Set<number>()
    this.applyFolds(changed)
    if (changed.size > 0) host.remoteChange(changed)
    return record
  }

  /**
   * Housekeeping of fold records, once a round: a record stops being forwarded once every peer
   * not known to have left (live or believed failed: one cut off comes back needing it) reported
   * the heir through its `to` and the gossip window passed; its tombstone ends after the
   * retention (never before the departed origin was dropped here).
   */
  maintainFolds(peers: readonly PeerRef[]): void {
    this.forgetDepartedPeers(peers)
    this.expireBatches()
    if (this.folds.size === 0) return
    const host = this.host
    const now = host.now()
    const windowMs = host.membership.gossipWindowMs
    for (const record of [...this.folds.all()]) {
      const age = now - record.learnedAt
      if (record.forwarding && age >= windowMs && peers.every((peer) => this.believedKnown(peer, record.heir) >= record.to)) record.forwarding = false
      if (record.forwarding || age < host.config.foldRetentionMs) continue
      const departed = host.origins.lookup(record.id, record.incarnation)
      if (departed >= 0 && !host.origins.dropped[departed]) continue
      this.folds.remove(record)
      if (departed >= 0) host.origins.forget(departed)
    }
  }

  /**
   * Lets go of gathered batches that the heir origin got past otherwise, or whose heir origin was
   * dropped. Never of one that only stopped growing (its sender cut off, say): peers believe
   * this replica holds what its pieces reach (a belief only grows), so they send the next piece
   * and nothing before it, and a batch let go would never be sent again.
   */
  private expireBatches(): void {
    if (this.gathering.size === 0) return
    const origins = this.host.origins
    for (const [origin, batch] of this.gathering) {
      if (origins.known[origin]! >= batch.to || origins.dropped[origin]) this.gathering.delete(origin)
    }
  }

  /**
   * Forgets what departed peers reported and were sent (a vector each): only peers not known to
   * have left are ever pushed to again, so these would otherwise grow with every instance that
   * ever lived.
   */
  private forgetDepartedPeers(peers: readonly PeerRef[]): void {
    if (this.beliefs.size <= peers.length && this.pushed.size <= peers.length && this.listedBy.size <= peers.length) return
    const keep = new Set(peers.map((peer) => peerKey(peer.id, peer.incarnation)))
    for (const map of [this.beliefs, this.pushed, this.peerDocDigests, this.listedBy] as Map<string, unknown>[]) {
      for (const key of map.keys()) if (!keep.has(key)) map.delete(key)
    }
  }

  /**
   * Local number of a frame's origin; -1 for a folded one (its data is ignored). A record is
   * learnt only with the heir's versions that carry the fold (`learnFolds`), so a folded origin
   * is ignored only once its contributions are held here in the heir: until then its changes are
   * taken as usual (the heir may have crashed before those versions spread, and then the peers
   * that hold the departed origin are the only copy of its changes).
   */
  private localOrigin(id: string, incarnation: number): number {
    const known = this.host.origins.lookup(id, incarnation)
    const record = this.folds.of(id, incarnation)
    if (record && this.host.origins.known[record.heir]! >= record.to) {
      // The sender still holds a folded origin (a store restored from before the fold, a replica
      // back from a partition): pass the record on again so it drops it, and never folds it twice.
      record.forwarding = true
      record.learnedAt = this.host.now()
      return -1
    }
    if (known >= 0) return this.host.origins.dropped[known] ? -1 : known
    return this.host.origins.intern(id, incarnation)
  }

  /**
   * Learns the fold records a frame lists that the heir's versions now held here carry: those
   * whose heir is held through their `to` after the frame's changes were applied. A record whose
   * versions did not arrive is not learnt yet (a peer lists it again with them, as it lists every
   * record whose `to` the receiver is believed not to hold): were it learnt, the departed origin
   * would be ignored with nothing here carrying its contributions, for good if the heir crashed
   * before those versions spread. So every record held here is applied, and a departed origin,
   * an heir origin that carries others, or anything that travelled inside one is never counted
   * twice nor missed.
   */
  private learnFolds(frame: ParsedFrame, local: readonly number[], now: number): void {
    const known = this.host.origins.known
    for (let ref = 0; ref < local.length; ref++) {
      const heir = local[ref]!
      if (heir < 0) continue
      for (const fold of frame.origins[ref]!.folds) if (known[heir]! >= fold.to) this.learnFold(fold, heir, now)
    }
  }

  private learnFold(fold: FrameFold, heir: number, now: number): void {
    const host = this.host
    if (fold.id === host.id && fold.incarnation === host.incarnation) {
      // Expected after a graceful leave (its heir folds it); otherwise two processes share an id.
      if (!this.foldedSelfReported && host.membership.self.status !== STATUS_LEFT) {
        this.foldedSelfReported = true
        host.reportError(new ElasticStateError(`replica ${host.id}: peers folded this incarnation into ${host.origins.ids[heir]} (it was taken for departed); its writes after version ${fold.to} no longer reach them; restart it under a new incarnation`))
      }
      const self = host.membership.self
      if (self.status === STATUS_LEFT && self.heir && this.selfFold === null
        && host.origins.ids[heir] === heirIdOf(self.heir) && host.origins.incarnations[heir] === self.heirIncarnation) {
        this.selfFold = { id: fold.id, incarnation: fold.incarnation, from: fold.from, to: fold.to, heir, learnedAt: now, forwarding: true }
      }
      return
    }
    if (this.folds.of(fold.id, fold.incarnation)) return
    this.folds.add({ id: fold.id, incarnation: fold.incarnation, from: fold.from, to: fold.to, heir, learnedAt: now, forwarding: true })
  }

  /**
   * How far a group of `origin` may be applied: not into the middle of a fold batch it cuts
   * (the heir's versions `from`..`to` carry a departed origin's contributions, and applying half
   * of them before the departed origin is dropped would count part of it twice). The batches are
   * those of the records held here and those the frame lists with the origin (learnt once the
   * group is applied). A batch the group cuts is gathered from the frames that follow
   * (`startBatch`); a group that starts inside a batch that is not being gathered (only a forged
   * record leads there) is applied as it comes.
   */
  private batchLimit(origin: number, from: number, to: number, listed: readonly FrameFold[]): number {
    let limit = to
    for (const record of this.folds.ofHeir(origin)) {
      if (from < record.from && record.from <= to && to < record.to) limit = Math.min(limit, record.from - 1)
    }
    for (const fold of listed) {
      if (from < fold.from && fold.from <= to && to < fold.to) limit = Math.min(limit, fold.from - 1)
    }
    return limit
  }

  /**
   * Drops every departed origin whose heir's changes are held through the fold, and with it the
   * origins it had folded itself (their contributions travelled on inside its own).
   */
  private applyFolds(changed: Set<number>): void {
    const host = this.host
    let dropped = true
    while (dropped) {
      dropped = false
      for (const record of this.folds.all()) {
        const departed = host.origins.lookup(record.id, record.incarnation)
        if (departed < 0 || host.origins.dropped[departed]) continue
        if (host.origins.known[record.heir]! < record.to) continue
        for (const field of host.fields) {
          if (!field.ops?.dropOrigin) continue
          field.ops.dropOrigin(field.state, departed)
          changed.add(field.index)
        }
        host.origins.drop(departed)
        this.groupCache.clear()
        this.folds.reassign(departed, record, host.now())
        // Folds in a cycle (only forged frames make them: an heir never departs before it
        // folds) would leave a record folding the heir into itself, dropping it and the
        // contributions it now carries: the heir stays, and carries them.
        const cycle = this.folds.of(host.origins.ids[record.heir]!, host.origins.incarnations[record.heir]!)
        if (cycle && cycle.heir === record.heir) this.folds.remove(cycle)
        dropped = true
        break
      }
    }
  }

  /**
   * The fold records to list with `heir` in a frame: those applied here that are recent (still
   * gossiped) or whose batch the receiver may lack (it is believed to hold the heir below the
   * record's `to`). The second kind reaches a replica that joined after gossip of the record
   * ended together with the heir's versions that carry the fold, so a copy of the departed
   * origin from elsewhere (a restart's store) is dropped rather than counted twice. `peerHolds`
   * -1 lists every record applied here (a store record).
   */
  private appliedFolds(heir: number, peerHolds: number): readonly FrameFold[] {
    const records = this.folds.ofHeir(heir)
    const known = this.host.origins.known[heir]!
    const self = this.selfFold !== null && this.selfFold.heir === heir && this.selfFold.to <= known ? this.selfFold : null
    if (records.length === 0) return self ? [self] : records
    const listed = records.filter((record) => record.to <= known && (record.forwarding || record.to > peerHolds))
    if (self) listed.push(self)
    return listed
  }

  /**
   * A record for persistence: the changes after `from` (by local origin) of `origin` alone, or
   * of every origin when `origin` is null, and each doc's content after its state vector in
   * `docsSince` (all of it when that entry is missing), and `members` (the peers known, and for a
   * snapshot the former incarnations' leaves). No size budget, a checksum.
   */
  encodeRecord(from: readonly number[], origin: number | null, docsSince: readonly (Uint8Array | undefined)[], members: readonly MemberRecord[] = []): Uint8Array {
    const host = this.host
    host.stampOwnWrites()
    const encoder = beginFrame(host.fingerprint, null)
    writeU8(encoder, FrameKind.Final)
    encoding.writeVarString(encoder, host.id)
    writeVarUint(encoder, host.incarnation)
    encoding.writeVarString(encoder, '')
    writeOrigins(encoder, host.origins, (heir) => this.appliedFolds(heir, -1), writeMembers(encoder, members))
    const groups: Uint8Array[] = []
    for (const index of host.origins.listed) {
      if (origin !== null && index !== origin) continue
      const start = from[index] ?? 0
      const to = host.origins.known[index]!
      if (to <= start) continue
      groups.push(this.writeGroup(index, start, to, Number.MAX_SAFE_INTEGER).bytes)
    }
    writeVarUint(encoder, groups.length)
    const docs = host.fields.filter((field) => field.doc !== null)
    const tail = encoding.createEncoder()
    writeVarUint(tail, docs.length)
    for (const field of docs) {
      writeVarUint(tail, field.index)
      writeU8(tail, 0)
      writeVarUint(tail, 1)
      writeVarBytes(tail, docType.step2For(field.doc!, docsSince[field.index] ?? EMPTY_STATE_VECTOR))
    }
    return sealFrame(encoder, null, [...groups, tail])
  }

  /** Applies a frame's changes and doc messages; returns the local origins it names and what changed. */
  private applyContent(frame: ParsedFrame): { local: number[]; changed: Set<number>; advanced: boolean; peerDocs: Map<number, docType.DocDigest> } {
    const host = this.host
    const now = host.now()
    // Folded origins map to -1: what a frame still carries of them is ignored.
    const local = frame.origins.map((origin) => this.localOrigin(origin.id, origin.incarnation))
    const advertised = host.origins.advertised
    for (let ref = 0; ref < local.length; ref++) {
      const origin = local[ref]!
      if (origin < 0) continue
      if (frame.origins[ref]!.known > advertised[origin]!) advertised[origin] = frame.origins[ref]!.known
    }
    const codec: OriginCodec = { size: local.length, toWire: (origin) => origin, toLocal: (ref) => local[ref]! }
    const changed = new Set<number>()
    let advanced = false
    const pools = this.framePools.get(frame)
    for (let index = 0; index < frame.groups.length; index++) {
      const group = frame.groups[index]!
      const origin = local[group.originRef]!
      if (origin < 0 || origin === host.ownOrigin || origin === host.heirOriginIfAny) continue
      if (this.gathering.size > 0 && this.gatherBatch(frame, group, origin, local, changed, now)) continue
      if (group.from > host.origins.known[origin]!) continue
      if (group.slotsByField !== null) this.makeRoom(origin, group.slotCount, group.slotsByField)
      const limit = this.applyGroup(frame, group, origin, codec, changed, pools?.[index])
      if (limit > host.origins.known[origin]!) {
        host.origins.known[origin] = limit
        advanced = true
      }
      if (limit < group.to && limit === host.origins.known[origin]) this.startBatch(frame, group, origin, local)
    }
    this.discard(frame)
    this.learnFolds(frame, local, now)
    this.applyFolds(changed)
    const peerDocs = new Map<number, docType.DocDigest>()
    for (const section of frame.docs) {
      const doc = host.fields[section.field]!.doc!
      for (const message of section.messages) {
        if (message.type === messageYjsSyncStep1) continue
        const before = docType.digest(doc).deleteSetHash
        docType.applyMessage(doc, message)
        if (docType.digest(doc).deleteSetHash !== before) changed.add(section.field)
      }
      if (section.digest) peerDocs.set(section.field, section.digest)
    }

    return { local, changed, advanced, peerDocs }
  }

  /**
   * Applies one group's slots of `origin` (not its own) in order; returns the version the group
   * is applied through. A group too large to keep decoded is decoded again and applied a chunk
   * at a time, by the same code as a kept group.
   */
  private applyGroup(frame: ParsedFrame, group: FrameGroup, origin: number, codec: OriginCodec, changed: Set<number>, pool: FrameSlot[] | undefined): number {
    const limit = this.batchLimit(origin, group.from, group.to, frame.origins[group.originRef]!.folds)
    if (group.slots !== null) return this.applySlots(group.slots, origin, limit, codec, changed)
    return this.applyChunks(frame, group, origin, limit, codec, changed, pool)
  }

  /** Decodes a group's slots from the frame's bytes a chunk at a time and applies them up to `limit`. */
  private applyChunks(frame: ParsedFrame, group: FrameGroup, origin: number, limit: number, codec: OriginCodec, changed: Set<number>, pool: FrameSlot[] | undefined): number {
    let applied = limit
    for (const chunks = groupChunks(frame, group, this, pool); chunks.next();) {
      applied = this.applySlots(chunks.slots, origin, applied, codec, changed)
      // Stopped inside the chunk (at the batch limit, or before a cell whose binding is missing).
      if (applied < chunks.slots[chunks.slots.length - 1]!.version) break
    }
    return applied
  }

  /**
   * Starts gathering a fold batch that `group` cut: the group was applied up to just before a
   * batch its frame lists that reaches past the group's end (the sender could not fit the batch
   * in the frame).
   */
  private startBatch(frame: ParsedFrame, group: FrameGroup, origin: number, local: readonly number[]): void {
    const held = this.host.origins.known[origin]!
    const fold = frame.origins[group.originRef]!.folds.find((listed) => listed.from === held + 1 && listed.to > group.to)
    if (fold === undefined || this.gathering.has(origin)) return
    const piece = this.batchPiece(frame, group, local)
    this.gathering.set(origin, { fold, to: group.to, pieces: [piece], bytes: piece.frame.body.length })
  }

  /**
   * Takes a group of an heir origin whose fold batch is being gathered: one that reaches further
   * than the pieces so far is kept as the next piece (true: nothing else to do with it now); once
   * the pieces reach the batch's end, they are applied together, the batch whole, and the fold
   * record is learnt with them. A group that adds nothing is left to the usual path (false).
   */
  private gatherBatch(frame: ParsedFrame, group: FrameGroup, origin: number, local: readonly number[], changed: Set<number>, now: number): boolean {
    const batch = this.gathering.get(origin)
    if (batch === undefined || group.from > batch.to || group.to <= batch.to) return false
    const piece = this.batchPiece(frame, group, local)
    batch.pieces.push(piece)
    batch.bytes += piece.frame.body.length
    batch.to = group.to
    // Only a forged record claims a batch this long: an heir folds no origin whose batch could
    // take more than half of it (`foldFits`).
    if (batch.bytes > MAX_BATCH_FRAMES * this.host.config.maxFrameBytes) this.gathering.delete(origin)
    else if (batch.to >= batch.fold.to) this.applyBatch(origin, batch, changed, now)
    return true
  }

  /**
   * Applies a gathered batch's pieces in order, through the batch and on up to the start of the
   * next batch the pieces cut (if any), and learns the batch's record.
   */
  private applyBatch(origin: number, batch: GatheredBatch, changed: Set<number>, now: number): void {
    this.gathering.delete(origin)
    const origins = this.host.origins
    // Past the batch, up to the start of a later batch the pieces cut.
    let limit = batch.to
    for (const piece of batch.pieces) limit = Math.min(limit, this.batchLimit(origin, batch.fold.to, batch.to, piece.frame.origins[piece.group.originRef]!.folds))
    for (const { frame, group, local } of batch.pieces) {
      if (group.to <= origins.known[origin]!) continue
      if (group.slotsByField !== null) this.makeRoom(origin, group.slotCount, group.slotsByField)
      const codec: OriginCodec = { size: local.length, toWire: (ref) => ref, toLocal: (ref) => local[ref]! }
      const applied = this.applyChunks(frame, group, origin, Math.min(limit, group.to), codec, changed, undefined)
      if (applied > origins.known[origin]!) origins.known[origin] = applied
      if (applied < Math.min(limit, group.to)) break
    }
    if (origins.known[origin]! >= batch.fold.to) this.learnFold(batch.fold, origin, now)
  }

  /**
   * A piece of a batch: the group with a copy of its bytes alone (the frame's are let go, and a
   * transport may reuse them), read from the copy's start.
   */
  private batchPiece(frame: ParsedFrame, group: FrameGroup, local: readonly number[]): BatchPiece {
    const next = frame.groups[frame.groups.indexOf(group) + 1]
    const body = frame.body.slice(group.start, next === undefined ? frame.body.length : next.start)
    return { frame: { ...frame, body, groups: [] }, group: { ...group, start: 0, slots: null }, local: local.slice() }
  }

  /**
   * The origin list a frame reports: the vector, and for an heir origin whose fold batch is being
   * gathered, how far its pieces reach (so a peer sends the next piece rather than the first).
   */
  private reportedOrigins(): OriginList {
    const origins = this.host.origins
    if (this.gathering.size === 0) return origins
    const known = origins.known.slice()
    for (const [origin, batch] of this.gathering) if (batch.to > known[origin]!) known[origin] = batch.to
    return { listed: origins.listed, ids: origins.ids, incarnations: origins.incarnations, known }
  }

  /**
   * Applies decoded slots of `origin` in order, up to version `limit`; returns the version they
   * are applied through (`limit`, or less when a cell's binding is missing). A method of its own,
   * so the loop a catch-up runs 200,000 times is compiled apart from the rest of a frame's
   * handling.
   */
  private applySlots(slots: readonly FrameSlot[], origin: number, limit: number, codec: OriginCodec, changed: Set<number>): number {
    const host = this.host
    const fieldCount = host.fields.length
    // The field last added to `changed`: a group's slots are mostly of one field.
    let noted = -1
    for (const slot of slots) {
      if (slot.version > limit) break
      // At or below our vector entry we already hold this change or a newer one.
      if (slot.version <= host.origins.known[origin]!) continue
      if (slot.field >= fieldCount) {
        const field = host.fields[slot.field - fieldCount]!
        const ref = field.ops!.interned!.applyBinding(field.state, origin, slot.version, slot.delta)
        if (ref >= 0) this.appendLog(origin, slot.version, slot.field, ref)
        continue
      }
      const field = host.fields[slot.field]!
      const ref = field.ops!.applySlot(field.state, origin, slot.version, slot.delta, codec)
      if (ref === MISSING_BINDING) {
        // The sender holds a copy of a cell whose binding was replaced since: stop before it.
        this.missingBindings++
        return slot.version - 1
      }
      if (ref < 0) continue
      this.appendLog(origin, slot.version, slot.field, ref)
      if (slot.field !== noted) changed.add((noted = slot.field))
    }
    return limit
  }

  /** Remembers, per origin, up to which version a frame to this peer carried changes, and when. */
  private recordSent(key: string): (origin: number, coveredTo: number) => void {
    let sent = this.pushed.get(key)
    if (!sent) this.pushed.set(key, (sent = { to: [], at: [] }))
    const record = sent
    const now = this.host.now()
    return (origin, coveredTo) => {
      if ((record.to[origin] ?? 0) < coveredTo || now - (record.at[origin] ?? 0) >= RESEND_AFTER_ROUNDS * this.host.config.intervalMs) {
        record.to[origin] = coveredTo
        record.at[origin] = now
      }
    }
  }

  /** Records an applied change in the origin's log, compacting the log now and then. */
  appendLog(origin: number, version: number, field: number, slot: number): void {
    const origins = this.host.origins
    origins.append(origin, version, field, slot)
    const log = origins.logs[origin]!
    const threshold = this.compactAt[origin] ?? this.host.config.compactLogsAt
    if (log.length < threshold) return
    const skip = this.uncheckedCompactions[origin] ?? 0
    if (skip > 0) {
      this.uncheckedCompactions[origin] = skip - 1
      origins.compact(origin, null)
    } else {
      const length = log.length
      const stale = origins.compact(origin, (fieldIndex, ref, logVersion) => this.isCurrent(origin, fieldIndex, ref, logVersion))
      // Few entries whose slot went: the next compactions may skip the check.
      this.uncheckedCompactions[origin] = stale * RARE_STALE <= length ? UNCHECKED_COMPACTIONS : 0
    }
    const next = Math.max(this.host.config.compactLogsAt, Math.ceil(origins.logs[origin]!.length * 1.5))
    this.compactAt[origin] = next
    origins.resize(origin, next)
  }

  /**
   * Before a large group (a catch-up): when nothing of the origin is held yet, room in its
   * fields for all its slots (`SlotOps.reserve`), and room in the origin's empty log for them,
   * with no compaction. Compacting as the log grew, at each 1.5 x, scanned a joiner's log about
   * three times over (each entry checked against its slot) and copied it at each growth.
   */
  private makeRoom(origin: number, slots: number, slotsByField: readonly number[]): void {
    const fields = this.host.fields
    // Only for an origin nothing is held of yet: then every slot is a new one here.
    if (this.host.origins.known[origin] === 0) for (let field = 0; field < fields.length; field++) {
      const count = slotsByField[field] ?? 0
      const bindings = slotsByField[field + fields.length] ?? 0
      if (count + bindings > 0) fields[field]!.ops?.reserve?.(fields[field]!.state, origin, count, bindings)
    }
    // Into an empty log, a group's slots are one entry each of distinct slots, all current: the
    // log is as a compaction leaves it, so the next one is due at 1.5 x, as after a compaction.
    // A log that holds entries already compacts as usual when it reaches its threshold.
    const origins = this.host.origins
    if (origins.logs[origin]!.length > 0) return
    const next = Math.max(this.host.config.compactLogsAt, Math.ceil(slots * 1.5))
    if (next <= (this.compactAt[origin] ?? this.host.config.compactLogsAt)) return
    this.compactAt[origin] = next
    origins.resize(origin, next)
  }

  private isCurrent(origin: number, field: number, slot: number, version: number): boolean {
    const fields = this.host.fields
    if (field >= fields.length) {
      const runtime = fields[field - fields.length]!
      return runtime.ops!.interned!.bindingVersion(runtime.state, origin, slot) === version
    }
    const runtime = fields[field]!
    const ops = runtime.ops!
    return ops.version(runtime.state, slot) === version && ops.owner(runtime.state, slot) === origin
  }

  private peerLacks(belief: number[]): boolean {
    const known = this.host.origins.known
    for (let origin = 0; origin < known.length; origin++) if (known[origin]! > (belief[origin] ?? 0)) return true
    return false
  }

  private weLack(frame: ParsedFrame, local: number[]): boolean {
    return this.lackOf(frame, local) > 0
  }

  /** How many versions the frame's sender holds that we do not, over all origins. */
  private lackOf(frame: ParsedFrame, local: number[]): number {
    const known = this.host.origins.known
    let lack = 0
    for (let ref = 0; ref < local.length; ref++) {
      const origin = local[ref]!
      if (origin >= 0 && frame.origins[ref]!.known > known[origin]!) lack += frame.origins[ref]!.known - known[origin]!
    }
    return lack
  }

  private docsDiffer(peerDocs: Map<number, docType.DocDigest>): boolean {
    for (const [field, digest] of peerDocs) if (docType.peerMayLack(this.host.fields[field]!.doc!, digest)) return true
    return false
  }

  /**
   * A frame for a peer: members, our origins with our vector, the changes the peer lacks by
   * `belief` (none when `withDeltas` is false), and doc sync sections. `round`: a frame of our
   * round (a push, or one sent one way), which carries the round's changes only.
   */
  private buildFrame(kind: FrameKind, belief: number[] | undefined, peerDocs: Map<number, docType.DocDigest> | null, withDeltas: boolean, to: string | null, onGroup?: (origin: number, coveredTo: number) => void, round = kind === FrameKind.Push): Uint8Array {
    const host = this.host
    // An answer to a peer that holds all our versioned changes carries none of ours: it leaves
    // our newest writes unversioned, for our next round. Versioning them here gave this peer
    // alone changes that every other peer then lacked, so each of their pushes was answered
    // (docs/protocol.md, "An exchange").
    const own = host.ownOrigin
    if (round || !withDeltas || (belief?.[own] ?? 0) < host.origins.known[own]!) host.stampOwnWrites()
    const encoder = beginFrame(host.fingerprint, host.key)
    writeU8(encoder, kind)
    encoding.writeVarString(encoder, host.id)
    writeVarUint(encoder, host.incarnation)
    encoding.writeVarString(encoder, host.address)
    const members = writeMembers(encoder, host.membership.gossipable(host.now()), this.addressKnown(to))
    const peerHolds = withDeltas ? belief ?? [] : null
    writeOrigins(encoder, this.reportedOrigins(), (heir) => this.appliedFolds(heir, peerHolds === null ? Number.MAX_SAFE_INTEGER : peerHolds[heir] ?? 0), members)
    const budget = host.config.maxFrameBytes - encoding.length(encoder) - 64 - this.docBytesEstimate()
    const groups = this.writeGroups(withDeltas ? belief ?? [] : null, budget, round, onGroup)
    writeVarUint(encoder, groups.length)
    let used = encoding.length(encoder)
    for (const group of groups) used += group.length
    const docs = encoding.createEncoder()
    this.writeDocs(docs, used, kind, peerDocs, round)
    return sealFrame(encoder, host.key, [...groups, docs])
  }

  /**
   * Members whose address a frame to peer `to` leaves out: the sender itself (the frame's sender
   * field has it), and the live members that peer listed in its last frame to us.
   */
  private addressKnown(to: string | null): (member: MemberRecord) => boolean {
    const host = this.host
    const self = (member: MemberRecord) => member.id === host.id && member.incarnation === host.incarnation
    if (to === null) return self
    let listed = this.listedBy.get(to)
    if (listed === undefined) return self
    // A peer lists only members it holds a record of, address included.
    if (!(listed instanceof Set)) {
      const keys = new Set<string>()
      for (const member of listed) if (member.status === STATUS_ALIVE) keys.add(peerKey(member.id, member.incarnation))
      this.listedBy.set(to, (listed = keys))
    }
    const keys = listed
    return (member) => self(member) || keys.has(peerKey(member.id, member.incarnation))
  }

  private docBytesEstimate(): number {
    let bytes = 0
    for (const update of this.roundDocUpdates) bytes += update?.length ?? 0
    return bytes
  }

  /** The groups of a frame, each as its bytes (copied into the frame once, when it is sealed). */
  private writeGroups(belief: number[] | null, budgetBytes: number, pushing: boolean, onGroup?: (origin: number, coveredTo: number) => void): Uint8Array[] {
    const host = this.host
    const groups: Uint8Array[] = []
    let groupBytes = 0
    if (belief) {
      const order = [host.ownOrigin]
      for (const origin of host.origins.listed) if (origin !== host.ownOrigin) order.push(origin)
      const heir = host.heirOriginIfAny
      for (const origin of order) {
        if (host.origins.wire[origin]! < 0) {
          // A dropped origin has no wire number: never send its changes (a bug if it happens).
          if (!this.droppedOriginReported) {
            this.droppedOriginReported = true
            host.reportError(new ElasticStateError(`gossip of ${host.id}: origin ${host.origins.ids[origin]}#${host.origins.incarnations[origin]} (local ${origin}, own ${host.ownOrigin}, heir ${host.heirOriginIfAny}) is dropped but was to be sent; skipped`))
          }
          continue
        }
        const own = origin === host.ownOrigin || origin === heir
        // A push carries the changes its sender versioned since its last round, no others: a
        // peer that lacks more sees so in the push's vector and asks, and the answer carries
        // all it lacks. A push of everything a peer had not reported holding sent each change
        // to every peer again and again until that peer happened to report to the sender: in a
        // group of 32, a new flow reached each replica about 27 times (push-scope.test.ts).
        if (pushing && !own) continue
        const from = pushing ? Math.max(belief[origin] ?? 0, this.previousRound[origin] ?? 0) : belief[origin] ?? 0
        const to = host.origins.known[origin]!
        if (to <= from) continue
        const remaining = budgetBytes - groupBytes
        if (remaining <= 32) break
        const key = `${origin}:${from}:${to}`
        let entry = this.groupCache.get(key)
        if (!entry || !(entry.coveredTo === to ? entry.bytes.length <= remaining : entry.budget === remaining)) {
          const { bytes, coveredTo } = this.writeGroup(origin, from, to, remaining)
          entry = { bytes, budget: remaining, coveredTo }
          this.groupCache.set(key, entry)
        }
        groups.push(entry.bytes)
        groupBytes += entry.bytes.length
        onGroup?.(origin, entry.coveredTo)
      }
    }
    return groups
  }

  /**
   * Whether a departed origin is small enough to fold: its peers gather a fold's batch from at
   * most `MAX_BATCH_FRAMES` frames' worth of bytes. Measured as the departed origin's own changes
   * against half of that (the heir's batch is about as large: a slot per cell). One that does not
   * fit is kept as it is (its contributions stay counted under it, its memory is not
   * reclaimed), and reported once.
   */
  foldFits(departed: number): boolean {
    if (this.tooLargeToFold.has(departed)) return false
    const host = this.host
    const known = host.origins.known[departed]!
    if (this.writeGroup(departed, 0, known, (MAX_BATCH_FRAMES / 2) * host.config.maxFrameBytes).coveredTo >= known) return true
    this.tooLargeToFold.add(departed)
    host.reportError(new ElasticStateError(`replica ${host.id}: departed origin ${host.origins.ids[departed]!.replace(HEIR_SUFFIX, ' (heir origin)')}#${host.origins.incarnations[departed]} holds more than ${MAX_BATCH_FRAMES / 2} frames of changes (gossip.maxFrameBytes ${host.config.maxFrameBytes}), so it is not folded: its contributions stay counted under it and its memory is not reclaimed; raise gossip.maxFrameBytes to fold such origins`))
    return false
  }

  /**
   * One origin's changes after `from`, in version order, cut at `budgetBytes`: the group's bytes,
   * and the version it covers to. The slots are encoded into an encoder kept for the next group
   * (a large one's is let go), then copied once, after the group's head, into a buffer of the
   * group's size.
   */
  private writeGroup(origin: number, from: number, to: number, budgetBytes: number): { bytes: Uint8Array; coveredTo: number } {
    const host = this.host
    const log = host.origins.logs[origin]!
    const slots = this.slotEncoder
    resetEncoder(slots)
    let count = 0
    let last = from
    let coveredTo = to
    const fieldCount = host.fields.length
    // Bytes in the encoder's filled buffers, summed as they fill (lib0's `length` sums them all on each call).
    let filled = 0
    let counted = 0
    for (let i = host.origins.firstAfter(origin, from); i < log.length; i++) {
      const version = versionAt(log, i)
      if (version > to) break
      const field = log.fields[i]!
      const slot = log.slots[i]!
      if (!this.isCurrent(origin, field, slot, version)) continue
      while (counted < slots.bufs.length) filled += slots.bufs[counted++]!.length
      if (filled + slots.cpos > budgetBytes) {
        coveredTo = last
        break
      }
      writeVarUint(slots, field)
      writeVarUint(slots, version - last)
      if (field >= fieldCount) {
        const runtime = host.fields[field - fieldCount]!
        runtime.ops!.interned!.encodeBinding(slots, runtime.state, origin, slot)
      } else {
        const runtime = host.fields[field]!
        const ops = runtime.ops!
        if (ops.interned) ops.interned.encodeSlot(slots, runtime.state, slot, this.wireOrigins)
        else ops.encodeSlot(slots, runtime.state, slot, this.wireOrigins)
      }
      last = version
      count++
    }
    const head = this.groupHead
    resetEncoder(head)
    writeVarUint(head, host.origins.wire[origin]!)
    writeVarUint(head, from)
    writeVarUint(head, coveredTo)
    writeVarUint(head, count)
    const slotBytes = encoding.length(slots)
    const bytes = new Uint8Array(head.cpos + slotBytes)
    copyEncoded(slots, bytes, copyEncoded(head, bytes, 0))
    if (slotBytes > KEPT_ENCODER_BYTES) this.slotEncoder = encoding.createEncoder()
    return { bytes, coveredTo }
  }

  /** The frame's doc sections, into `encoder`, after `usedBytes` of the frame. */
  private writeDocs(encoder: Encoder, usedBytes: number, kind: FrameKind, peerDocs: Map<number, docType.DocDigest> | null, round: boolean): void {
    const sections: { field: number; doc: docType.DocState; messages: Uint8Array[] }[] = []
    for (const field of this.host.fields) {
      if (!field.doc) continue
      const messages: Uint8Array[] = []
      if (round) {
        const update = this.roundDocUpdates[field.index]
        if (update) messages.push(update)
      }
      const peer = peerDocs?.get(field.index)
      if (peer && docType.peerMayLack(field.doc, peer)) messages.push(docType.step2For(field.doc, peer.stateVector))
      sections.push({ field: field.index, doc: field.doc, messages })
    }
    // A Yjs update cannot be cut in pieces: messages that do not fit what is left of the frame
    // wait for a later frame (digests bring them back); one too big for any frame is reported.
    let room = this.host.config.maxFrameBytes - usedBytes - 64 - sections.length * 48
    for (const section of sections) {
      section.messages = section.messages.filter((message) => {
        if (message.length + 8 > room) {
          if (message.length > this.host.config.maxFrameBytes - 1024) {
            this.host.reportError(new ElasticStateError(`doc field ${this.host.fields[section.field]!.name}: a sync message of ${message.length} bytes cannot fit in a frame (gossip.maxFrameBytes ${this.host.config.maxFrameBytes}) and cannot replicate; raise the limit`))
          }
          return false
        }
        room -= message.length + 8
        return true
      })
    }
    writeVarUint(encoder, sections.length)
    for (const section of sections) {
      writeVarUint(encoder, section.field)
      // Pushes and requests for more carry our digest so the peer can answer with step 2.
      const withDigest = kind === FrameKind.Push || kind === FrameKind.ReplyWantsMore || kind === FrameKind.Reply
      writeU8(encoder, withDigest ? 1 : 0)
      if (withDigest) {
        const digest = docType.digest(section.doc)
        writeVarBytes(encoder, digest.stateVector)
        writeU32(encoder, digest.deleteSetHash)
      }
      writeVarUint(encoder, section.messages.length)
      for (const message of section.messages) writeVarBytes(encoder, message)
    }
  }
}
