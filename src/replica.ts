/**
 * A replica: one instance's copy of the declared state, its own slots written locally without
 * waiting for anyone, and a gossip engine that exchanges deltas with peers in the background.
 */
import { createHybridClock, observe, tick } from '../crdts/hlc.js'
import { fnv1a32String } from '../crdts/hash.js'
import * as docType from '../crdts/doc.js'
import type { TypeContext } from '../crdts/slot-type.js'
import { type FrameKey, createFrameKey } from './auth.js'
import { ElasticStateError, AuthError, DecodeError, LifecycleError, ProtocolVersionError, SchemaMismatchError } from './errors.js'
import { type FieldRuntime, buildFields } from './fields.js'
import { type GossipConfig, GossipEngine, type PeerRef } from './gossip.js'
import type { StateHandles } from './handles.js'
import { Membership, STATUS_LEFT, type MemberRecord, type MembershipEvent } from './membership.js'
import { DirtyList, OriginTable } from './origin-table.js'
import { type Scheduler, realScheduler } from './scheduler.js'
import type { Schema, SchemaFields } from './schema.js'
import type { Transport } from './transport.js'
import type { Persistence } from './persistence.js'
import { type Emitter, type ReplicaEvents, createEmitter } from './events.js'
import { type ReplicaStats, StatsCounters } from './stats.js'
import { heirIdOf } from './folds.js'
import { memberKey } from './frame.js'

/** A peer a round sends to: `probe` carries no changes; `oneWay` asks for nothing (catching up). */
interface RoundTarget {
  peer: PeerRef | null
  address: string
  probe: boolean
  oneWay: boolean
}

export interface GossipOptions {
  /** Time between gossip rounds (default 100 ms). */
  intervalMs?: number
  /** Peers contacted per round (default 3). */
  fanout?: number
  /** A member whose heartbeat has not moved for this long is considered failed (default 15 rounds, at least 1 s). */
  failureTimeoutMs?: number
  /** Frames larger than this are refused, and deltas are cut to fit (default 1 MiB). */
  maxFrameBytes?: number
  /** How long `leave()` waits for a peer to confirm the handoff (default 50 rounds, at least 5 s). */
  leaveTimeoutMs?: number
  /**
   * How long a folded instance's tombstone is kept (default 1 hour, at least 20 failure
   * time-outs): data naming it that arrives later is ignored meanwhile. A replica must not come
   * back from a partition, or restart from a store, older than this (docs/compaction.md).
   */
  foldRetentionMs?: number
  /**
   * Length at which a change log is first compacted (default 1,024, at least 16). Afterwards a
   * log is compacted when it reaches one and a half times what the last compaction kept, so it
   * never holds much more than its live changes; a lower value keeps small logs smaller for more
   * compactions (docs/protocol.md, "Change logs").
   */
  compactLogsAt?: number
}

export interface ReplicaOptions {
  /** Unique among live instances (default: random). */
  id?: string
  /** Moves frames; without one, the replica is standalone (useful in tests). */
  transport?: Transport
  gossip?: GossipOptions
  /** Shared secret: every frame is authenticated and unauthenticated frames are dropped. */
  secret?: string | Uint8Array
  /** Time source in ms (default `Date.now`). Ignored when `scheduler` is given. */
  clock?: () => number
  /** Timers and time (the simulator passes virtual time). */
  scheduler?: Scheduler
  /** Randomness for peer choice (the simulator passes a seeded generator). */
  random?: () => number
  /** Distinguishes restarts of the same id; must grow across restarts (default: from the clock and randomness). */
  incarnation?: number
  /**
   * Keeps state across restarts: `start()` loads what it holds, `flush()` makes own writes
   * durable in it (see `filePersistence` in `elastic-state/node`).
   */
  persistence?: Persistence
}

export type ReplicaStatus = 'created' | 'running' | 'leaving' | 'stopped'

export interface Replica<F extends SchemaFields = SchemaFields> {
  readonly id: string
  readonly incarnation: number
  readonly state: StateHandles<F>
  readonly status: ReplicaStatus
  readonly schema: Schema<F>
  /** Start listening and join through the transport's seeds. */
  start(): Promise<void>
  /** Run a gossip round now; with persistence, resolves once own writes so far are durable. */
  flush(): Promise<void>
  /** Graceful scale-in: hand own updates to a peer, announce the departure, stop. */
  leave(): Promise<void>
  /**
   * Stop without announcing (peers detect the failure by time-out). Writes nothing to the
   * persistence: call `flush()` first to keep the latest writes.
   */
  stop(): Promise<void>
  /** Plain-data global view of every field, keys in sorted order. */
  snapshot(): Record<string, unknown>
  /** Live member ids (self included), sorted. */
  members(): string[]
  stats(): ReplicaStats
  on<E extends keyof ReplicaEvents>(event: E, listener: ReplicaEvents[E]): void
  off<E extends keyof ReplicaEvents>(event: E, listener: ReplicaEvents[E]): void
  /** Deliver one frame as if it came from the network (what transports call). */
  receive(frame: Uint8Array): void
}

let generatedIds = 0

/** Rounds whose time the gossip-lag figure remembers at most (older ones are merged in pairs). */
const MAX_STAMP_TIMES = 4096

function resolveConfig(options: GossipOptions | undefined): GossipConfig & { leaveTimeoutMs: number } {
  const intervalMs = options?.intervalMs ?? 100
  const fanout = options?.fanout ?? 3
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`gossip.intervalMs must be a positive number, got ${intervalMs}`)
  if (!Number.isSafeInteger(fanout) || fanout < 1) throw new RangeError(`gossip.fanout must be a positive integer, got ${fanout}`)
  const failureTimeoutMs = options?.failureTimeoutMs ?? Math.max(1000, 15 * intervalMs)
  const maxFrameBytes = options?.maxFrameBytes ?? 1 << 20
  const leaveTimeoutMs = options?.leaveTimeoutMs ?? Math.max(5000, 50 * intervalMs)
  if (!Number.isFinite(failureTimeoutMs) || failureTimeoutMs <= intervalMs) throw new RangeError(`gossip.failureTimeoutMs must exceed intervalMs, got ${failureTimeoutMs}`)
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1024) throw new RangeError(`gossip.maxFrameBytes must be an integer of at least 1024, got ${maxFrameBytes}`)
  if (!Number.isFinite(leaveTimeoutMs) || leaveTimeoutMs < 0) throw new RangeError(`gossip.leaveTimeoutMs must be a non-negative number, got ${leaveTimeoutMs}`)
  const foldRetentionMs = options?.foldRetentionMs ?? Math.max(3_600_000, 20 * failureTimeoutMs)
  if (!Number.isFinite(foldRetentionMs) || foldRetentionMs < 20 * failureTimeoutMs) {
    throw new RangeError(`gossip.foldRetentionMs must be at least 20 failure time-outs (${20 * failureTimeoutMs} ms), got ${foldRetentionMs}`)
  }
  const compactLogsAt = options?.compactLogsAt ?? 1024
  if (!Number.isSafeInteger(compactLogsAt) || compactLogsAt < 16) throw new RangeError(`gossip.compactLogsAt must be an integer of at least 16, got ${compactLogsAt}`)
  return { intervalMs, fanout, failureTimeoutMs, maxFrameBytes, leaveTimeoutMs, foldRetentionMs, compactLogsAt }
}

class ReplicaImpl<F extends SchemaFields> implements Replica<F> {
  readonly id: string
  readonly incarnation: number
  readonly state: StateHandles<F>
  status: ReplicaStatus = 'created'
  address: string
  readonly ownOrigin: number
  readonly fingerprint: number
  readonly key: FrameKey | null
  readonly config: GossipConfig & { leaveTimeoutMs: number }
  readonly fields: FieldRuntime[]
  readonly origins: OriginTable
  readonly membership: Membership
  private readonly dirty = new DirtyList()
  private readonly scheduler: Scheduler
  private readonly randomSource: () => number
  private readonly transport: Transport | undefined
  private readonly emitter: Emitter = createEmitter()
  private readonly counters = new StatsCounters()
  private readonly gossip: GossipEngine
  private readonly clock = createHybridClock()
  private roundTimer: unknown = null
  private sequence = 0
  /** Versions of the heir origin (what folds took over), -1 while there is none. */
  private heirSequence = 0
  private heirOrigin = -1
  /** Former incarnations restored from the store that did not leave: this one folds them. */
  private readonly restoredFormer = new Set<number>()
  /** Incarnations of this id the store shows leaving gracefully (their heirs fold them). */
  private readonly formerLeft = new Set<number>()
  /** The leave records of those former incarnations: every snapshot keeps them, or a later restart would fold what their heirs folded. */
  private readonly formerLeftRecords = new Map<number, MemberRecord>()
  /** A leave announced, waiting for its heir to echo it. */
  private awaitingHeir: MemberRecord | null = null
  private heirEchoed = false
  private announcedAt = 0
  /** Whether every field can fold a departed origin (docs keep no origin slots). */
  private foldable = false
  /** (version, time) of each round that stamped changes, for the gossip-lag figure. */
  private readonly stampTimes: { version: number; atMs: number }[] = []
  private readonly docChanges = new Set<number>()
  private leaveWaiters: (() => void)[] = []
  private leaveTarget = 0
  private leaveStartedAt = 0
  private readonly persistence: Persistence | undefined
  /** Own version and doc state vectors the persistence holds. */
  private persistedTo = 0
  private persistedDocs: (Uint8Array | undefined)[] = []
  private storeBytes = 0
  private storeSnapshotBytes = 0
  private lastPersist: Promise<void> = Promise.resolve()
  /** Set once the store's records are applied: before that, nothing is written to it. */
  private storeReady = false
  /** The peers the store's records name, as `incarnation:id` sorted: a new one is written down. */
  private persistedPeers = ''
  /** A member joined since the last round: its record goes to the store. */
  private peerJoined = false
  /** When the store was loaded: former incarnations wait 10 failure time-outs before they fold. */
  private restoredAt = 0
  /** A write to the store failed: the next one is a whole snapshot. */
  private storeFailed = false

  constructor(readonly schema: Schema<F>, options: ReplicaOptions) {
    this.config = resolveConfig(options.gossip)
    this.scheduler = options.scheduler ?? realScheduler(options.clock ?? Date.now)
    this.randomSource = options.random ?? Math.random
    const id = options.id ?? `replica-${(++generatedIds).toString(36)}-${Math.floor(this.randomSource() * 2 ** 32).toString(36)}`
    if (typeof id !== 'string' || id.length === 0 || id.length > 256 || id.includes('\u0000')) {
      throw new RangeError(`replica id must be a non-empty string of at most 256 characters without NUL, got ${JSON.stringify(id)}`)
    }
    const incarnation = options.incarnation ?? Math.floor(this.scheduler.now()) * 1024 + Math.floor(this.randomSource() * 1024)
    if (!Number.isSafeInteger(incarnation) || incarnation < 0) throw new RangeError(`incarnation must be a non-negative safe integer, got ${incarnation}`)
    this.id = id
    this.incarnation = incarnation
    this.address = id
    this.transport = options.transport
    this.persistence = options.persistence
    this.fingerprint = schema.fingerprint
    this.key = options.secret === undefined ? null : createFrameKey(options.secret)
    // Logs record a field id per change: each field's own, and a flow table's bindings after them.
    this.origins = new OriginTable(2 * schema.names.length)
    this.ownOrigin = this.origins.intern(id, incarnation)
    this.membership = new Membership(id, incarnation, this.config.failureTimeoutMs, (event) => this.onMembership(event))
    const context: TypeContext = {
      originId: (origin) => this.origins.ids[origin]!,
      // The separator sorts below every character, so the order by id is kept.
      originRank: (origin) => `${this.origins.ids[origin]!}\u0000${this.origins.incarnations[origin]!}`,
      now: () => this.scheduler.now(),
      isLive: (origin) => origin === this.ownOrigin ? this.status !== 'stopped' : this.membership.isLive(this.origins.ids[origin]!, this.origins.incarnations[origin]!),
      observeTimestamp: (wallMs, logical) => observe(this.clock, wallMs, logical),
      nextTimestamp: () => tick(this.clock, Math.floor(this.scheduler.now())),
    }
    // Yjs client ids mix in the instance id and incarnation: two replicas given the same random
    // source (a test's fixed seed) must still never share one, or their doc edits would clash.
    this.fields = buildFields(schema, context, this.dirty, { origin: this.ownOrigin }, (field, local) => {
      if (local) this.docChanges.add(field)
    }, (field) => fnv1a32String(`${id}\u0000${incarnation}\u0000${field}\u0000${this.randomSource()}`))
    this.foldable = this.fields.every((field) => field.ops === null || (field.ops.absorb !== undefined && field.ops.dropOrigin !== undefined))
    const handles: Record<string, unknown> = {}
    for (const field of this.fields) handles[field.name] = field.handle
    this.state = Object.freeze(handles) as StateHandles<F>
    const replica = this
    this.gossip = new GossipEngine({
      id, incarnation, ownOrigin: this.ownOrigin, fingerprint: this.fingerprint, key: this.key, config: this.config,
      fields: this.fields, origins: this.origins, membership: this.membership,
      get address() { return replica.address },
      now: () => this.scheduler.now(),
      send: (address, frame) => this.sendFrame(address, frame),
      remoteChange: (changed) => this.emitter.emit('change', { source: 'remote', fields: [...changed].map((index) => this.fields[index]!.name) }),
      reportError: (error) => this.emitter.emit('error', error),
      stampOwnWrites: () => { this.stampDirty() },
      get heirOriginIfAny() { return replica.heirOrigin },
      heirOrigin: () => {
        if (this.heirOrigin < 0) this.heirOrigin = this.origins.intern(heirIdOf(id), incarnation)
        return this.heirOrigin
      },
      stampHeirWrites: () => { this.stampHeirWrites() },
    })
  }

  start(): Promise<void> {
    if (this.status !== 'created') return Promise.reject(new LifecycleError(`replica ${this.id} cannot start: it is ${this.status}`))
    this.status = 'running'
    if (this.persistence) {
      const store = this.persistence
      return store.load().then((records) => this.restore(records)).then(() => this.openTransport(), (error) => {
        this.halt()
        return store.close().catch(() => {}).then(() => { throw error })
      })
    }
    return this.openTransport()
  }

  private openTransport(): Promise<void> {
    if (this.status !== 'running') return Promise.resolve()
    if (!this.transport) {
      this.scheduleRound()
      return Promise.resolve()
    }
    const opened = this.transport.open(this.id, (frame) => this.receive(frame))
    const begin = (address: string) => {
      this.address = address
      this.membership.self.address = address
      this.round()
    }
    if (typeof opened === 'string') {
      begin(opened)
      return Promise.resolve()
    }
    return opened.then(begin, (error) => {
      this.status = 'stopped'
      throw error
    })
  }

  flush(): Promise<void> {
    if (this.status === 'running' || this.status === 'leaving') this.round(false)
    else this.stampDirty()
    return this.persist()
  }

  leave(): Promise<void> {
    if (this.status === 'stopped') return Promise.resolve()
    if (this.status === 'created') {
      this.status = 'stopped'
      return Promise.resolve()
    }
    const done = new Promise<void>((resolve) => this.leaveWaiters.push(resolve))
    if (this.status === 'running') {
      this.status = 'leaving'
      this.leaveStartedAt = this.scheduler.now()
      this.stampDirty()
      this.persist().catch((error) => this.reportStoreError(error))
      this.leaveTarget = this.sequence
      this.round(false)
      this.checkHandoff()
    }
    return done
  }

  stop(): Promise<void> {
    this.halt()
    // A leave still waiting for its handoff ends here too (without the handoff).
    this.resolveLeaveWaiters()
    const closing = this.transport && this.transportOpen ? this.closeTransport() : Promise.resolve()
    // Like a crash, stop writes nothing more: what flush() confirmed is what the store keeps.
    return Promise.all([closing, this.closeStore()]).then(() => undefined)
  }

  snapshot(): Record<string, unknown> {
    const view: Record<string, unknown> = {}
    for (const field of this.fields) view[field.name] = field.view()
    return view
  }

  members(): string[] {
    if (this.status === 'stopped') return []
    return this.membership.liveIds()
  }

  stats(): ReplicaStats {
    return this.counters.snapshot({ members: this.members().length, origins: this.origins.heldCount, version: this.sequence, lagMs: this.lagMs(), lagByPeer: this.lagByPeer() }, this.transport?.inboundDrops?.())
  }

  on<E extends keyof ReplicaEvents>(event: E, listener: ReplicaEvents[E]): void {
    this.emitter.on(event, listener)
  }

  off<E extends keyof ReplicaEvents>(event: E, listener: ReplicaEvents[E]): void {
    this.emitter.off(event, listener)
  }

  receive(frame: Uint8Array): void {
    if (this.status === 'stopped') return
    this.counters.received(frame?.length ?? 0)
    let parsed
    try {
      parsed = this.gossip.parse(frame)
    } catch (error) {
      this.reject(error)
      return
    }
    if (parsed.senderId === this.id) {
      this.gossip.discard(parsed)
      return
    }
    const heir = this.awaitingHeir
    if (heir && parsed.senderId === heir.id && parsed.senderIncarnation === heir.incarnation
      && parsed.members.some((member) => member.id === this.id && member.incarnation === this.incarnation && member.status === STATUS_LEFT)) {
      this.heirEchoed = true
    }
    try {
      this.gossip.receive(parsed)
    } catch (error) {
      // A validated frame failing to apply is a bug, not bad input: report it loudly.
      this.emitter.emit('error', new ElasticStateError(`applying a frame from ${parsed.senderId} failed: ${(error as Error)?.message}`, { cause: error }))
    }
    if (this.status === 'leaving') this.checkHandoff()
  }

  // ---- internals ----

  private transportOpen = true

  private closeTransport(): Promise<void> {
    this.transportOpen = false
    return this.transport!.close()
  }

  private halt(): void {
    this.status = 'stopped'
    if (this.roundTimer !== null) this.scheduler.cancel(this.roundTimer)
    this.roundTimer = null
  }

  private reject(error: unknown): void {
    const reason = error instanceof AuthError ? 'auth'
      : error instanceof SchemaMismatchError ? 'schema'
      : error instanceof ProtocolVersionError ? 'protocol'
      : 'decode'
    this.counters.rejected(reason)
    const typed = error instanceof ElasticStateError ? error : new DecodeError(`malformed frame: ${(error as Error)?.message ?? String(error)}`, { cause: error })
    this.emitter.emit('error', typed)
  }

  private sendFrame(address: string, frame: Uint8Array): void {
    if (!this.transport || !this.transportOpen) return
    this.counters.sent(frame.length)
    this.transport.send(address, frame)
  }

  private scheduleRound(): void {
    if (this.status === 'stopped') return
    if (this.roundTimer !== null) this.scheduler.cancel(this.roundTimer)
    this.roundTimer = this.scheduler.schedule(this.config.intervalMs, () => {
      this.roundTimer = null
      this.round()
    })
  }

  /** Assigns versions to own dirty slots and logs them; returns whether anything changed. */
  private stampDirty(): boolean {
    const dirty = this.dirty
    if (dirty.length === 0) return false
    const changed = new Set<number>()
    for (let i = 0; i < dirty.length; i++) {
      const field = this.fields[dirty.fields[i]!]!
      this.sequence = this.stampSlot(this.ownOrigin, field, dirty.slots[i]!, this.sequence + 1)
      changed.add(field.index)
    }
    dirty.length = 0
    this.origins.known[this.ownOrigin] = this.sequence
    this.stampTimes.push({ version: this.sequence, atMs: this.scheduler.now() })
    this.emitter.emit('change', { source: 'local', fields: [...changed].map((index) => this.fields[index]!.name) })
    return true
  }

  /**
   * Gives one dirty slot of `origin` its version, `version`, and logs it; a slot of an interning
   * type that has no binding yet is bound first, at `version`, and the slot takes the next one.
   * Returns the last version used.
   */
  private stampSlot(origin: number, field: FieldRuntime, slot: number, version: number): number {
    const ops = field.ops!
    if (ops.interned?.needsBinding(field.state, slot)) {
      const ref = ops.interned.bind(field.state, origin, slot, version)
      this.gossip.appendLog(origin, version, this.fields.length + field.index, ref)
      version++
    }
    ops.stamp(field.state, slot, version)
    this.gossip.appendLog(origin, version, field.index, slot)
    return version
  }

  /** Versions the dirty slots as the heir origin's: called by a fold, right after it absorbed. */
  private stampHeirWrites(): void {
    const dirty = this.dirty
    const changed = new Set<number>()
    for (let i = 0; i < dirty.length; i++) {
      const field = this.fields[dirty.fields[i]!]!
      this.heirSequence = this.stampSlot(this.heirOrigin, field, dirty.slots[i]!, this.heirSequence + 1)
      changed.add(field.index)
    }
    dirty.length = 0
    this.origins.known[this.heirOrigin] = this.heirSequence
    if (changed.size > 0) this.emitter.emit('change', { source: 'local', fields: [...changed].map((index) => this.fields[index]!.name) })
  }

  /** One gossip round; `reschedule` false for an extra round (flush, leave) that keeps the timer. */
  private round(reschedule = true): void {
    if (this.status === 'stopped') return
    this.counters.round()
    this.membership.beat()
    this.gossip.catchUp.beat(this.membership.self.heartbeat, this.scheduler.now())
    this.stampDirty()
    if (this.docChanges.size > 0) {
      this.emitter.emit('change', { source: 'local', fields: [...this.docChanges].map((index) => this.fields[index]!.name) })
      this.docChanges.clear()
    }
    for (const field of this.fields) field.housekeeping()
    const now = this.scheduler.now()
    this.membership.detectFailures(now)
    if (this.status === 'running') {
      try {
        this.foldDeparted()
      } catch (error) {
        // A fold that fails must not stop the round (nor, from a timer, the process).
        this.emitter.emit('error', new ElasticStateError(`folding at ${this.id} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }))
      }
    }
    if (this.peerJoined && this.persistence && this.storeReady) {
      this.peerJoined = false
      this.persist().catch((error) => this.reportStoreError(error))
    }
    this.gossip.maintainFolds(this.membership.alivePeers())
    this.membership.prune(now, this.config.foldRetentionMs)
    this.gossip.collectDocUpdates()
    for (const target of this.chooseTargets()) this.gossip.push(target.peer, target.address, target.probe, target.oneWay)
    this.pruneStampTimes()
    if (this.status === 'leaving') this.checkHandoff(true)
    if (reschedule) this.scheduleRound()
  }

  private chooseTargets(): RoundTarget[] {
    const peers = this.membership.livePeers()
    const chosen: RoundTarget[] = []
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(this.randomSource() * (i + 1))
      ;[peers[i], peers[j]] = [peers[j]!, peers[i]!]
    }
    for (const peer of peers.slice(0, this.config.fanout)) chosen.push({ peer, address: peer.address, probe: false, oneWay: false })
    // Now and then probe a peer believed failed, so a healed partition finds its way back.
    const suspected = this.membership.suspectedPeers()
    if (suspected.length > 0 && this.randomSource() < 0.5) {
      const peer = suspected[Math.floor(this.randomSource() * suspected.length)]!
      chosen.push({ peer, address: peer.address, probe: true, oneWay: false })
    }
    // Seeds: always when alone, otherwise now and then, so separately started groups merge.
    const seeds = this.transport?.seeds().filter((address) => address !== this.address) ?? []
    if (seeds.length > 0 && (chosen.length === 0 || this.randomSource() < 0.1)) {
      const address = seeds[Math.floor(this.randomSource() * seeds.length)]!
      if (!chosen.some((target) => target.address === address)) chosen.push({ peer: null, address, probe: true, oneWay: false })
    }
    if (this.status === 'running') this.catchUpTargets(chosen)
    return chosen
  }

  /**
   * While catching up (src/catch-up.ts), which starts after a silence too: the round asks one
   * of its targets, a live peer if it has one, and sends the others its changes one way; it
   * asks nobody while an ask is on its way.
   */
  private catchUpTargets(targets: RoundTarget[]): void {
    const catchUp = this.gossip.catchUp
    const now = this.scheduler.now()
    if (catchUp.caughtUp && catchUp.silent(now)) catchUp.behind()
    if (catchUp.caughtUp || targets.length === 0) return
    const ask = catchUp.awaiting(now) ? undefined : targets.find((target) => !target.probe) ?? targets[0]!
    for (const target of targets) target.oneWay = target !== ask
    if (ask !== undefined) catchUp.asked(now, ask.peer === null ? ask.address : memberKey(ask.peer.id, ask.peer.incarnation))
  }

  /**
   * Folds departed origins this replica is the heir of (docs/compaction.md): members that left
   * gracefully naming it, once it holds them through their final version, and former
   * incarnations of its own id (a restart proves them dead), once every peer not known to have
   * left, live or believed failed, reported holding no more of them than it does.
   */
  private foldDeparted(): void {
    if (!this.foldable) return
    const origins = this.origins
    const folded: unknown[] = []
    for (const member of this.membership.leftTo(this.id, this.incarnation)) {
      const parts: [string, number][] = [[member.id, member.final ?? 0], [heirIdOf(member.id), member.heirFinal ?? 0]]
      for (const [id, final] of parts) {
        const origin = origins.lookup(id, member.incarnation)
        if (origin < 0 || origin === this.ownOrigin || origin === this.heirOrigin || origins.dropped[origin] || this.gossip.folds.of(id, member.incarnation)) continue
        if (origins.known[origin]! >= final && this.gossip.foldFits(origin)) folded.push(this.gossip.fold(origin))
      }
    }
    this.foldFormerIncarnations(folded)
    // The store gets the folded state whole: its records before would bring the departed back,
    // and a restart would find the heir origin named but not its content.
    if (folded.length > 0 && this.persistence) this.persist(true).catch((error) => this.reportStoreError(error))
  }

  /**
   * Folds former incarnations of this id once nobody can hold more of them than this replica:
   * every peer not known to have left reported holding no more, and no frame or store record
   * ever claimed more (a peer this restart does not know yet may be the one that did).
   */
  private foldFormerIncarnations(folded: unknown[]): void {
    this.noteFormerIncarnations()
    const origins = this.origins
    // Peers believed failed count too: one cut off may hold more of the former incarnation.
    const peers = this.membership.alivePeers()
    const hasSeeds = this.transport?.seeds().some((address) => address !== this.address) ?? false
    if (this.membership.livePeers().length === 0 && hasSeeds) return
    // Peers the store does not name (joined after its last record, or known only to a peer
    // that is itself restarting) reach this replica only through gossip, and one may be cut off
    // for a while: give membership the window of a leave's gossip (10 failure time-outs) to
    // bring them in before "every peer" is decided.
    if (this.restoredFormer.size > 0 && this.scheduler.now() - this.restoredAt < this.membership.gossipWindowMs) return
    for (const origin of [...this.restoredFormer]) {
      if (origins.dropped[origin] || this.gossip.folds.of(origins.ids[origin]!, origins.incarnations[origin]!)) {
        this.restoredFormer.delete(origin)
        continue
      }
      const held = origins.known[origin]!
      if (origins.advertised[origin]! > held) continue
      if (peers.every((peer) => this.gossip.heardFrom(peer) && this.gossip.believedKnown(peer, origin) <= held) && this.gossip.foldFits(origin)) folded.push(this.gossip.fold(origin))
    }
  }

  /**
   * Former incarnations of this id (and their heir origins) that reached this replica by gossip
   * rather than from its store: one that crashed after its last snapshot, say, while peers still
   * held its heir origin. A restart from a store folds them as it folds the restored ones, unless
   * the store or a peer shows they left gracefully (their heir folds them).
   */
  private noteFormerIncarnations(): void {
    if (!this.persistence || !this.storeReady) return
    const origins = this.origins
    const heirId = heirIdOf(this.id)
    for (const origin of origins.listed) {
      if (this.restoredFormer.has(origin)) continue
      const id = origins.ids[origin]
      const incarnation = origins.incarnations[origin]!
      if ((id === this.id || id === heirId) && incarnation < this.incarnation && !this.formerLeft.has(incarnation)
        && !this.membership.departed(this.id, incarnation) && !this.gossip.folds.of(id!, incarnation)) this.restoredFormer.add(origin)
    }
  }

  private onMembership(event: MembershipEvent): void {
    // A restart learns its former peers from the store (docs/compaction.md): the next round
    // writes new ones down.
    if (event.type === 'join') this.peerJoined = true
    if (event.type === 'join') this.emitter.emit('member-join', { id: event.id })
    else this.emitter.emit('member-leave', { id: event.id, reason: event.reason ?? 'failed' })
  }

  /**
   * Finishes a graceful leave once a live peer holds every own change, or on time-out. `ask`
   * (from a round, not from a received frame) asks an heir that has not echoed yet again: asked
   * on every frame, a peer answering in its place (a restart of the heir's id) would keep the
   * two sending to each other as fast as the network carries them.
   */
  private checkHandoff(ask = false): void {
    if (this.status !== 'leaving') return
    const awaiting = this.awaitingHeir
    if (awaiting) {
      // Announced: wait until the heir echoes the leave (so it knows to fold this instance),
      // asking it again every round, or give up after the leave time-out.
      if (this.heirEchoed || this.scheduler.now() - this.announcedAt >= this.config.leaveTimeoutMs) this.finishLeave()
      else if (ask) this.gossip.push(awaiting, awaiting.address)
      return
    }
    const peers = this.membership.livePeers()
    // Alone means no live peer and no seed to reach: then there is nobody to hand over to.
    const alone = peers.length === 0 && !(this.transport?.seeds().some((address) => address !== this.address) ?? false)
    const confirmed = alone || (this.leaveTarget === 0 && !this.fields.some((field) => field.doc))
      || peers.some((peer) => this.gossip.believedKnown(peer, this.ownOrigin) >= this.leaveTarget && (this.heirOrigin < 0 || this.gossip.believedKnown(peer, this.heirOrigin) >= this.heirSequence) && this.gossip.docsConfirmedBy(peer))
    const timedOut = this.scheduler.now() - this.leaveStartedAt >= this.config.leaveTimeoutMs
    if (!confirmed && !timedOut) return
    if (!confirmed) {
      this.emitter.emit('error', new ElasticStateError(`leave of ${this.id}: no peer confirmed the handoff within ${this.config.leaveTimeoutMs} ms`))
    }
    // The heir folds this instance into itself: a live peer that holds every own change (and
    // doc edit). Peers that are heirs already come first (every heir origin costs a slot per
    // entry it touches), then the first by id, so the choice does not depend on who answered first.
    const heldAll = (peer: PeerRef) => this.gossip.believedKnown(peer, this.ownOrigin) >= this.sequence
      && (this.heirOrigin < 0 || this.gossip.believedKnown(peer, this.heirOrigin) >= this.heirSequence)
    const isHeir = (peer: PeerRef) => {
      const origin = this.origins.lookup(heirIdOf(peer.id), peer.incarnation)
      return origin >= 0 && !this.origins.dropped[origin] ? 0 : 1
    }
    const heir = peers
      .filter((peer) => heldAll(peer) && this.gossip.docsConfirmedBy(peer))
      .sort((a, b) => isHeir(a) - isHeir(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.incarnation - b.incarnation))[0]
    if (heir) {
      this.membership.self.heir = heir.id
      this.membership.self.heirIncarnation = heir.incarnation
      this.membership.self.final = this.sequence
      this.membership.self.heirFinal = this.heirSequence
    }
    this.membership.self.status = STATUS_LEFT
    this.membership.beat()
    for (const peer of peers) {
      // Twice: the announcement is best effort, and a lost one only delays it to failure detection.
      this.gossip.announce(peer.address)
      this.gossip.announce(peer.address)
    }
    if (heir) {
      this.awaitingHeir = heir
      this.announcedAt = this.scheduler.now()
      this.gossip.push(heir, heir.address)
      return
    }
    this.finishLeave()
  }

  private finishLeave(): void {
    this.awaitingHeir = null
    this.recordLeave()
    this.halt()
    const finish = () => {
      this.closeStore().then(() => this.resolveLeaveWaiters())
    }
    if (this.transport && this.transportOpen) this.closeTransport().then(finish, finish)
    else finish()
  }

  /**
   * Writes the leave to the store: a restart from it then knows this incarnation left (and that
   * its heir, not the restart, folds it). Any own change the leave made after the last flush
   * goes with it.
   */
  private recordLeave(): void {
    const store = this.persistence
    if (!store || !this.storeReady || this.membership.self.status !== STATUS_LEFT) return
    this.stampDirty()
    const from: number[] = []
    from[this.ownOrigin] = this.persistedTo
    const record = this.gossip.encodeRecord(from, this.ownOrigin, this.persistedDocs, [this.membership.self])
    this.persistedTo = this.sequence
    this.lastPersist = this.lastPersist.catch(() => {}).then(() => store.append(record)).catch((error: unknown) => this.reportStoreError(error))
  }

  private resolveLeaveWaiters(): void {
    const waiters = this.leaveWaiters
    this.leaveWaiters = []
    for (const resolve of waiters) resolve()
  }

  private pruneStampTimes(): void {
    // Alone, nobody has confirmed anything: a peer that appears later lacks all of it.
    if (this.membership.livePeers().length > 0) {
      const acknowledged = this.minimumAcknowledged()
      let drop = 0
      while (drop < this.stampTimes.length && this.stampTimes[drop]!.version <= acknowledged) drop++
      if (drop > 0) this.stampTimes.splice(0, drop)
    }
    if (this.stampTimes.length > MAX_STAMP_TIMES) {
      // Merge neighbours, keeping the older time for both: lag can then only read high, never low.
      const merged: { version: number; atMs: number }[] = []
      for (let i = 0; i < this.stampTimes.length; i += 2) {
        merged.push({ version: (this.stampTimes[i + 1] ?? this.stampTimes[i]!).version, atMs: this.stampTimes[i]!.atMs })
      }
      this.stampTimes.length = 0
      this.stampTimes.push(...merged)
    }
  }

  private minimumAcknowledged(): number {
    let minimum = this.sequence
    for (const peer of this.membership.livePeers()) minimum = Math.min(minimum, this.gossip.believedKnown(peer, this.ownOrigin))
    return minimum
  }

  /** Per live peer, the age of the oldest own change it has not confirmed. */
  private lagByPeer(): Record<string, number> {
    const lag: Record<string, number> = {}
    const now = this.scheduler.now()
    for (const peer of this.membership.livePeers()) {
      const known = this.gossip.believedKnown(peer, this.ownOrigin)
      const oldest = this.stampTimes.find((stamp) => stamp.version > known)
      lag[peer.id] = oldest ? now - oldest.atMs : 0
    }
    return lag
  }

  // ---- persistence ----

  /** Applies the records a store holds, then starts the store over with one snapshot. */
  private restore(records: Uint8Array[]): Promise<void> {
    // Every record names the peers known when it was written: the last one's are the latest.
    let peers: MemberRecord[] = []
    for (const bytes of records) {
      const frame = this.gossip.parse(bytes, true)
      for (const origin of frame.origins) {
        if (origin.id === this.id && origin.incarnation >= this.incarnation) {
          throw new LifecycleError(`replica ${this.id}: the persisted state holds incarnation ${origin.incarnation}, not older than this one (${this.incarnation}); incarnations must grow across restarts`)
        }
      }
      peers = frame.members.filter((member) => member.id !== this.id)
      for (const member of frame.members) {
        if (member.id !== this.id) continue
        if (member.status !== STATUS_LEFT) continue
        this.formerLeft.add(member.incarnation)
        this.formerLeftRecords.set(member.incarnation, member)
      }
      this.gossip.restore(frame)
    }
    // Waited for (by folds of former incarnations) until gossip brings news of them, or for
    // the gossip window of a leave (10 failure time-outs) at most: past it, one that left while
    // this instance was down is no longer gossiped as left.
    for (const peer of peers) this.membership.restorePeer(peer, this.scheduler.now(), this.membership.gossipWindowMs)
    // What the store holds of former incarnations that did not leave (a crash or a stop): this
    // restart is the proof they are dead, and the store the proof none of them named an heir.
    const heirId = heirIdOf(this.id)
    for (const origin of this.origins.listed) {
      const id = this.origins.ids[origin]
      const incarnation = this.origins.incarnations[origin]!
      if ((id === this.id || id === heirId) && incarnation < this.incarnation && !this.formerLeft.has(incarnation)) this.restoredFormer.add(origin)
    }
    this.storeReady = true
    this.restoredAt = this.scheduler.now()
    return this.persist(true)
  }

  /**
   * Makes own changes durable: a record of what the store lacks, or a snapshot of everything
   * once the records since the last snapshot outweigh it. Resolves when the store has it.
   */
  private persist(snapshot = false): Promise<void> {
    const store = this.persistence
    if (!store || !this.storeReady) return this.lastPersist
    this.stampDirty()
    const docVectors = this.fields.map((field) => (field.doc ? docType.digest(field.doc).stateVector : undefined))
    const docsChanged = docVectors.some((vector, index) => vector !== undefined && !sameBytes(vector, this.persistedDocs[index]))
    const peers = this.storedPeers()
    const peersKey = peers.map((peer) => `${peer.incarnation}:${peer.id}`).sort().join(',')
    if (!snapshot && this.sequence === this.persistedTo && !docsChanged && peersKey === this.persistedPeers) return this.lastPersist
    let write: Promise<void>
    // After a failed write the store may lack a record the next one continues: start over whole.
    if (snapshot || this.storeFailed || this.storeBytes > Math.max(1 << 20, 2 * this.storeSnapshotBytes)) {
      this.storeFailed = false
      const record = this.gossip.encodeRecord([], null, [], [...this.formerLeftRecords.values(), ...peers])
      this.storeBytes = this.storeSnapshotBytes = record.length
      write = store.replace(record)
    } else {
      const from: number[] = []
      from[this.ownOrigin] = this.persistedTo
      const record = this.gossip.encodeRecord(from, this.ownOrigin, this.persistedDocs, peers)
      this.storeBytes += record.length
      write = store.append(record)
    }
    this.persistedTo = this.sequence
    this.persistedDocs = docVectors
    this.persistedPeers = peersKey
    write = write.catch((error: unknown) => {
      this.storeFailed = true
      throw error
    })
    this.lastPersist = write
    return write
  }

  /**
   * The peers a store record names, live or believed failed: a restart from it counts them
   * among the peers its folds of former incarnations wait for, though it cannot reach them yet
   * (docs/compaction.md).
   */
  private storedPeers(): MemberRecord[] {
    return this.membership.alivePeers().map(({ id, incarnation, heartbeat, status, address }) => ({ id, incarnation, heartbeat, status, address }))
  }

  private closeStore(): Promise<void> {
    if (!this.persistence) return Promise.resolve()
    return this.lastPersist.catch(() => {}).then(() => this.persistence!.close()).catch((error) => this.reportStoreError(error))
  }

  private reportStoreError(error: unknown): void {
    this.emitter.emit('error', new ElasticStateError(`persistence of ${this.id} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }))
  }

  /** Age of the oldest own change some live peer has not confirmed (0 when all have). */
  private lagMs(): number {
    const acknowledged = this.minimumAcknowledged()
    const oldest = this.stampTimes.find((stamp) => stamp.version > acknowledged)
    return oldest ? this.scheduler.now() - oldest.atMs : 0
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (!b || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Creates a replica of `schema`. Writes through `replica.state` are local and immediate; call
 * `start()` to begin gossiping through `options.transport`.
 * @throws RangeError for out-of-range options.
 */
export function createReplica<F extends SchemaFields>(schema: Schema<F>, options: ReplicaOptions = {}): Replica<F> {
  return new ReplicaImpl(schema, options)
}
