/**
 * A deterministic simulated network on virtual time. Nodes attach by id; each gets a
 * `Transport` (its address is its id) and a `Scheduler` whose timers run on the same virtual
 * clock. Nothing happens until `advance(ms)` runs the single event queue, so every run is a
 * pure function of the seed and of the calls made: the same seed and the same calls give the
 * same run, message for message.
 *
 * Node lifecycle: `attach(id)` -> the transport's `open` (listening) -> either `close()`
 * (graceful: frames it already sent are still delivered, its timers keep running until the
 * id is detached or attached again) or `detach(id)` (a crash: everything in flight to or from
 * it is dropped and all its timers are cancelled).
 */

import * as prng from 'lib0/prng'
import { LifecycleError } from '../errors.js'
import type { Scheduler } from '../scheduler.js'
import type { FrameHandler, Transport } from '../transport.js'
import { EventQueue, type QueuedEvent } from './event-queue.js'
import {
  describeValue,
  resolveSimNetworkOptions,
  type ResolvedSimNetworkOptions,
  type SimNetworkOptions,
  updateSimNetworkOptions,
} from './network-options.js'
import { deriveSeed } from './seed.js'

/**
 * Counters of a `SimNetwork` since it was created. Every frame passed to `send` counts once in
 * `sent` (and its length in `bytes`); every extra copy counts in `duplicated`; each copy then
 * ends in exactly one of `delivered`, `dropped` or `inFlight`, so
 * `sent + duplicated === delivered + dropped + inFlight` always holds.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation, type SimNetworkStats } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 4, loss: 0.3, duplicate: 0.1 })
 * sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * sim.advance(1000)
 * const stats: SimNetworkStats = sim.network.stats()
 * assert.equal(stats.sent + stats.duplicated, stats.delivered + stats.dropped + stats.inFlight)
 * assert.ok(stats.dropped > 0)
 * ```
 */
export interface SimNetworkStats {
  /** Frames passed to any transport's `send`. */
  sent: number
  /** Bytes of the frames passed to `send` (each frame once, duplicates not counted). */
  bytes: number
  /** Copies handed to a receiver's frame handler (including those whose handler threw). */
  delivered: number
  /** Copies dropped: random loss, partition, or an unreachable, closed or crashed end. */
  dropped: number
  /** Extra copies created by random duplication. */
  duplicated: number
  /** Copies scheduled and not yet delivered or dropped. */
  inFlight: number
  /** Frames delivered by `inject` (not counted in `sent` or `delivered`). */
  injected: number
  /** Frame handlers (network deliveries and `inject`) that threw. */
  handlerErrors: number
  /** Timer callbacks that threw. */
  timerErrors: number
}

/**
 * One frame copy on its way: scheduled for delivery and not yet delivered or dropped. A copy
 * made by random duplication is listed on its own. What `SimNetwork.framesInFlight` lists, for
 * tools that draw or inspect the traffic; reading it changes nothing.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation, type InFlightFrame } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 5, latencyMs: [10, 10] })
 * sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * sim.advance(100)
 * const frames: InFlightFrame[] = sim.network.framesInFlight()
 * for (const frame of frames) assert.equal(frame.dueMs - frame.sentMs, 10)
 * ```
 */
export interface InFlightFrame {
  /** Sender's id. */
  readonly from: string
  /** Receiver's id. */
  readonly to: string
  /** Virtual time at which it was sent. */
  readonly sentMs: number
  /** Virtual time at which it is due (delivered then, or dropped if the receiver is gone). */
  readonly dueMs: number
  readonly sizeBytes: number
}

/**
 * A callback that threw inside the simulation; it was caught, counted and kept here.
 * @example
 * ```ts
 * import { SimNetwork, type SimCallbackError } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const network = new SimNetwork({ seed: 1 })
 * network.attach('b').open('b', () => { throw new Error('handler bug') })
 * network.inject('b', new Uint8Array(1))             // caught and counted, not thrown
 * const last: SimCallbackError | undefined = network.lastError
 * assert.equal(last?.kind, 'frame-handler')
 * assert.equal(last?.nodeId, 'b')
 * assert.equal(network.stats().handlerErrors, 1)
 * ```
 */
export interface SimCallbackError {
  readonly kind: 'frame-handler' | 'timer'
  readonly nodeId: string
  /** Virtual time at which it threw. */
  readonly timeMs: number
  readonly error: unknown
}

/**
 * The `Transport` of a simulated node: `open` returns the address synchronously.
 * @example
 * ```ts
 * import { SimNetwork, type SimTransport } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const network = new SimNetwork({ seed: 1, latencyMs: [1, 1] })
 * const received: number[] = []
 * const a: SimTransport = network.attach('a')
 * const b: SimTransport = network.attach('b')
 * assert.equal(a.open('a', () => {}), 'a')          // the address is the id, at once
 * b.open('b', (frame) => received.push(frame.length))
 * a.send('b', new Uint8Array(3))
 * network.advance(5)
 * assert.deepEqual(received, [3])
 * ```
 */
export interface SimTransport extends Transport {
  /**
   * Start listening; returns the node's id, which is its address.
   * @throws RangeError if `localId` is not the id the node was attached with.
   * @throws LifecycleError if the transport was already opened, closed or detached.
   */
  open(localId: string, onFrame: FrameHandler): string
}

/**
 * Consecutive events allowed at one virtual instant before `advance` decides that callbacks
 * re-schedule themselves with zero delay forever and throws instead of hanging.
 */
const MAX_EVENTS_AT_ONE_INSTANT = 1_000_000

type EndpointState = 'attached' | 'listening' | 'closed' | 'detached'

/** One attachment of an id to the network; a re-attached id gets a new endpoint. */
interface Endpoint {
  readonly id: string
  state: EndpointState
  handler: FrameHandler | undefined
  /** Live timers, cancelled together when the endpoint is detached or replaced. */
  readonly timers: Set<QueuedEvent>
  /**
   * Per receiver id, the latest delivery time scheduled on this link. Kept in either mode, so
   * that a switch to FIFO also holds back new frames behind those already on their way.
   */
  readonly latestDueMsByReceiver: Map<string, number>
}

/** Returned by a detached node's scheduler: never fires, cancelling it does nothing. */
const INERT_TIMER_HANDLE: unknown = Object.freeze({ inert: true })

/**
 * A deterministic simulated network on virtual time: transports that lose, duplicate, delay and
 * reorder frames as seeded, partitions, and a scheduler per node. `createSimulation` builds one;
 * use it directly to test what uses a transport, or to inspect traffic.
 * @example
 * ```ts
 * import { SimNetwork } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const network = new SimNetwork({ seed: 9, latencyMs: [1, 5] })
 * const log: string[] = []
 * network.attach('a').open('a', () => {})
 * const b = network.attach('b')
 * b.open('b', (frame) => log.push(`b got ${frame.length} bytes at ${network.now()} ms`))
 * network.scheduler('a').schedule(10, () => network.inject('b', new Uint8Array(2)))
 * network.partition(['a'], ['b'])
 * network.advance(20)
 * assert.equal(log.length, 1)                       // inject goes around partitions
 * assert.match(log[0]!, /^b got 2 bytes at 10 ms$/)
 * ```
 */
export class SimNetwork {
  private options: ResolvedSimNetworkOptions
  private readonly random: prng.PRNG
  private readonly queue = new EventQueue()
  private readonly endpoints = new Map<string, Endpoint>()
  /** Copies scheduled and not yet delivered or dropped, in scheduling order. */
  private readonly framesOnTheWay = new Set<InFlightFrame>()
  /** Partition group index per id; ids not named share the group `undefined`. */
  private groupById = new Map<string, number>()
  private listeningIdsSorted: string[] | undefined = []
  private nowMs = 0
  private advanceRunning = false
  private lastCallbackError: SimCallbackError | undefined
  private readonly counters: SimNetworkStats = {
    sent: 0,
    bytes: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    inFlight: 0,
    injected: 0,
    handlerErrors: 0,
    timerErrors: 0,
  }

  /** @throws RangeError naming the first invalid option and its value. */
  constructor(options: SimNetworkOptions) {
    this.options = resolveSimNetworkOptions(options)
    this.random = prng.create(deriveSeed('sim-network', this.options.seed))
  }

  /**
   * Change loss, latency, duplication or reordering during a run. Options not given keep their
   * value; every given one is validated as in the constructor, and an invalid one throws before
   * anything changes. The change applies to frames sent from now on: frames already in flight
   * keep the delivery time they were given, and a frame is lost or duplicated (or not) when it
   * is sent. The seed is fixed at creation (`seed` may only repeat it). It may be called at any
   * time, from a simulated callback too; calls at the same virtual times give the same run.
   * @throws RangeError naming the first invalid option and its value.
   * @example
   * ```ts
   * import { SimNetwork } from 'elastic-state/sim'
   * import assert from 'node:assert/strict'
   *
   * const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
   * const received: number[] = []
   * const a = network.attach('a')
   * a.open('a', () => {})
   * network.attach('b').open('b', (frame) => received.push(frame[0]!))
   *
   * a.send('b', Uint8Array.of(1))              // due at 5 ms
   * network.configure({ latencyMs: [20, 20] })
   * a.send('b', Uint8Array.of(2))              // due at 20 ms; the first frame keeps its 5 ms
   * network.advance(10)
   * assert.deepEqual(received, [1])
   *
   * network.configure({ loss: 1 })             // every frame sent from now on is lost
   * a.send('b', Uint8Array.of(3))
   * network.advance(30)
   * assert.deepEqual(received, [1, 2])         // frame 2 was on its way already
   * assert.throws(() => network.configure({ loss: 0, latencyMs: [9, 1] }), RangeError) // loss stays 1
   * ```
   */
  configure(options: Partial<SimNetworkOptions>): void {
    this.options = updateSimNetworkOptions(this.options, options)
  }

  /** `true` while `advance` runs events, i.e. when called from a simulated callback. */
  get advancing(): boolean {
    return this.advanceRunning
  }

  /** Current virtual time in ms; starts at 0 and moves only in `advance`. */
  now(): number {
    return this.nowMs
  }

  /** A copy of the counters (see `SimNetworkStats` for the invariant they keep). */
  stats(): SimNetworkStats {
    return { ...this.counters }
  }

  /**
   * The frame copies in flight now (as many as `stats().inFlight`), in the order they were
   * scheduled. A new array on each call; the network does not change when it is read.
   */
  framesInFlight(): InFlightFrame[] {
    return [...this.framesOnTheWay]
  }

  /**
   * The last frame handler or timer callback that threw (they never break the simulation: each
   * is caught, counted in `stats()` and kept here), or `undefined` if none did.
   */
  get lastError(): SimCallbackError | undefined {
    return this.lastCallbackError
  }

  /**
   * Attach a node. Its transport's address is `id`; it receives frames once its transport is
   * opened. An id whose previous transport was closed may attach again: the old endpoint's
   * timers are cancelled, frames it already sent stay in flight, frames to it are dropped.
   * @throws RangeError if `id` is empty or attached and not closed.
   */
  attach(id: string): SimTransport {
    if (typeof id !== 'string' || id.length === 0) {
      throw new RangeError(`SimNetwork.attach: id must be a non-empty string, got ${describeValue(id)}`)
    }
    const previous = this.endpoints.get(id)
    if (previous !== undefined) {
      if (previous.state !== 'closed') {
        throw new RangeError(`SimNetwork.attach: node ${describeValue(id)} is already attached`)
      }
      this.cancelTimers(previous)
    }
    const endpoint: Endpoint = {
      id,
      state: 'attached',
      handler: undefined,
      timers: new Set(),
      latestDueMsByReceiver: new Map(),
    }
    this.endpoints.set(id, endpoint)
    return this.transportOf(endpoint)
  }

  /**
   * Crash a node: it stops receiving, every frame in flight to or from it is dropped when due,
   * and all its timers are cancelled (its scheduler ignores later `schedule` calls).
   * Returns `false` if `id` was not attached.
   */
  detach(id: string): boolean {
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined) return false
    endpoint.state = 'detached'
    endpoint.handler = undefined
    this.cancelTimers(endpoint)
    this.endpoints.delete(id)
    this.listeningIdsSorted = undefined
    return true
  }

  /**
   * The scheduler of the node currently attached as `id`, on virtual time. Callbacks run
   * inside `advance`; one that throws is caught and counted (`stats().timerErrors`). A delay
   * below 0 counts as 0, as with `setTimeout`. Timers die with the attachment: `detach(id)`
   * or a later `attach(id)` cancels them all.
   * @throws RangeError if `id` is not attached; `schedule` throws RangeError for a
   * non-finite delay.
   */
  scheduler(id: string): Scheduler {
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined || endpoint.state === 'closed') {
      throw new RangeError(`SimNetwork.scheduler: node ${describeValue(id)} is not attached or its transport is closed`)
    }
    return {
      now: () => this.nowMs,
      schedule: (delayMs, callback) => {
        if (typeof delayMs !== 'number' || !Number.isFinite(delayMs)) {
          throw new RangeError(`Scheduler.schedule: delayMs must be a finite number, got ${describeValue(delayMs)}`)
        }
        if (this.endpoints.get(endpoint.id) !== endpoint) {
          return INERT_TIMER_HANDLE
        }
        const timer: QueuedEvent = this.queue.push(this.nowMs + Math.max(0, delayMs), () => {
          endpoint.timers.delete(timer)
          this.runTimer(endpoint.id, callback)
        })
        endpoint.timers.add(timer)
        return timer
      },
      cancel: (handle) => {
        const timer = handle as QueuedEvent
        if (endpoint.timers.delete(timer)) timer.cancelled = true
      },
    }
  }

  /**
   * Split the network: frames between nodes of different groups are dropped, whether the
   * groups differ when the frame is sent or when it is due. Nodes named in no group form one
   * more group. Replaces any previous partition; `partition()` with no group heals.
   * @throws RangeError if an id is named in two groups (nothing changes).
   */
  partition(...groups: string[][]): void {
    const groupById = new Map<string, number>()
    groups.forEach((group, groupIndex) => {
      if (!Array.isArray(group)) {
        throw new RangeError(`SimNetwork.partition: each group must be an array of ids, got ${describeValue(group)}`)
      }
      for (const id of group) {
        const earlierGroup = groupById.get(id)
        if (earlierGroup !== undefined && earlierGroup !== groupIndex) {
          throw new RangeError(
            `SimNetwork.partition: node ${describeValue(id)} is named in group ${earlierGroup} and group ${groupIndex}`,
          )
        }
        groupById.set(id, groupIndex)
      }
    })
    this.groupById = groupById
  }

  /** Remove any partition: every node can reach every other again. */
  heal(): void {
    this.groupById = new Map()
  }

  /**
   * Run every event due at or before `now() + ms`, in `(time, scheduling order)`, each at its
   * own virtual time; events scheduled meanwhile within the window run too. Then `now()` is
   * `now() + ms`.
   * @throws RangeError if `ms` is not a finite number >= 0.
   * @throws Error if called from inside an event, or if more than a million events run at one
   * virtual instant (callbacks re-scheduling themselves with zero delay forever).
   */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`SimNetwork.advance: ms must be a finite number >= 0, got ${describeValue(ms)}`)
    }
    if (this.advanceRunning) {
      throw new Error('SimNetwork.advance was called from inside a simulated event; it is not re-entrant')
    }
    const untilMs = this.nowMs + ms
    this.advanceRunning = true
    try {
      let eventsAtThisInstant = 0
      for (let event = this.queue.popDue(untilMs); event !== undefined; event = this.queue.popDue(untilMs)) {
        eventsAtThisInstant = event.timeMs === this.nowMs ? eventsAtThisInstant + 1 : 1
        if (eventsAtThisInstant > MAX_EVENTS_AT_ONE_INSTANT) {
          throw new Error(
            `SimNetwork.advance: more than ${MAX_EVENTS_AT_ONE_INSTANT} events at virtual time ${this.nowMs} ms; ` +
              'some callback probably re-schedules itself with zero delay forever',
          )
        }
        this.nowMs = event.timeMs
        event.run()
      }
      this.nowMs = untilMs
    } finally {
      this.advanceRunning = false
    }
  }

  /**
   * Deliver `bytes` (a copy) to the node's frame handler now, as if from the network,
   * bypassing latency, loss and partitions. A handler that throws is caught and counted.
   * @throws RangeError if no node `id` is listening.
   */
  inject(id: string, bytes: Uint8Array): void {
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined || endpoint.state !== 'listening') {
      throw new RangeError(`SimNetwork.inject: node ${describeValue(id)} is not attached and listening`)
    }
    this.counters.injected++
    this.callHandler(endpoint, bytes.slice())
  }

  private transportOf(endpoint: Endpoint): SimTransport {
    return {
      open: (localId, onFrame) => {
        if (endpoint.state !== 'attached') {
          throw new LifecycleError(`SimTransport.open: transport of ${describeValue(endpoint.id)} is ${endpoint.state}`)
        }
        if (localId !== endpoint.id) {
          throw new RangeError(
            `SimTransport.open: attached as ${describeValue(endpoint.id)}, opened as ${describeValue(localId)}`,
          )
        }
        endpoint.handler = onFrame
        endpoint.state = 'listening'
        this.listeningIdsSorted = undefined
        return endpoint.id
      },
      seeds: () => this.listeningIds().filter((id) => id !== endpoint.id),
      send: (address, frame) => this.send(endpoint, address, frame),
      close: () => {
        if (endpoint.state === 'attached' || endpoint.state === 'listening') {
          endpoint.state = 'closed'
          endpoint.handler = undefined
          this.listeningIdsSorted = undefined
        }
        return Promise.resolve()
      },
    }
  }

  private listeningIds(): string[] {
    if (this.listeningIdsSorted === undefined) {
      const ids: string[] = []
      for (const endpoint of this.endpoints.values()) {
        if (endpoint.state === 'listening') ids.push(endpoint.id)
      }
      this.listeningIdsSorted = ids.sort()
    }
    return this.listeningIdsSorted
  }

  private reachable(fromId: string, toId: string): boolean {
    return this.groupById.get(fromId) === this.groupById.get(toId)
  }

  private send(sender: Endpoint, address: string, frame: Uint8Array): void {
    this.counters.sent++
    this.counters.bytes += frame.byteLength
    const receiver = this.endpoints.get(address)
    if (
      sender.state !== 'listening' ||
      receiver === undefined ||
      receiver.state !== 'listening' ||
      !this.reachable(sender.id, address)
    ) {
      this.counters.dropped++
      return
    }
    const { loss, duplicate } = this.options
    // Draw only for non-zero rates, so that a loss-free run does not consume randomness.
    if (loss > 0 && this.random.next() < loss) {
      this.counters.dropped++
      return
    }
    this.scheduleDelivery(sender, receiver, frame.slice())
    if (duplicate > 0 && this.random.next() < duplicate) {
      this.counters.duplicated++
      this.scheduleDelivery(sender, receiver, frame.slice())
    }
  }

  private scheduleDelivery(sender: Endpoint, receiver: Endpoint, copy: Uint8Array): void {
    const { minLatencyMs, maxLatencyMs, reorder } = this.options
    let dueMs = this.nowMs + prng.int53(this.random, minLatencyMs, maxLatencyMs)
    const latestDueMs = sender.latestDueMsByReceiver.get(receiver.id) ?? dueMs
    // Equal due times keep scheduling order in the queue, so max() is enough for FIFO.
    if (!reorder) dueMs = Math.max(dueMs, latestDueMs)
    sender.latestDueMsByReceiver.set(receiver.id, Math.max(dueMs, latestDueMs))
    this.counters.inFlight++
    const onTheWay: InFlightFrame = { from: sender.id, to: receiver.id, sentMs: this.nowMs, dueMs, sizeBytes: copy.byteLength }
    this.framesOnTheWay.add(onTheWay)
    this.queue.push(dueMs, () => this.deliver(sender, receiver, copy, onTheWay))
  }

  private deliver(sender: Endpoint, receiver: Endpoint, copy: Uint8Array, onTheWay: InFlightFrame): void {
    this.counters.inFlight--
    this.framesOnTheWay.delete(onTheWay)
    if (sender.state === 'detached' || receiver.state !== 'listening' || !this.reachable(sender.id, receiver.id)) {
      this.counters.dropped++
      return
    }
    this.counters.delivered++
    this.callHandler(receiver, copy)
  }

  private callHandler(receiver: Endpoint, frame: Uint8Array): void {
    try {
      receiver.handler!(frame)
    } catch (error) {
      this.counters.handlerErrors++
      this.lastCallbackError = { kind: 'frame-handler', nodeId: receiver.id, timeMs: this.nowMs, error }
    }
  }

  private runTimer(nodeId: string, callback: () => void): void {
    try {
      callback()
    } catch (error) {
      this.counters.timerErrors++
      this.lastCallbackError = { kind: 'timer', nodeId, timeMs: this.nowMs, error }
    }
  }

  private cancelTimers(endpoint: Endpoint): void {
    for (const timer of endpoint.timers) timer.cancelled = true
    endpoint.timers.clear()
  }
}
