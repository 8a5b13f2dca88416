/**
 * Links to peers over WebSockets, shared by the Node transport (`elastic-state/node`) and the
 * browser client transport. Runs anywhere a WebSocket-like object exists: it touches only the
 * browser WebSocket surface (`readyState`, `bufferedAmount`, `send`, `close`, `on*` handlers),
 * which the `ws` package implements too.
 *
 * - One link per dialable address (`ws://` or `wss://`), dialed on the first frame for it and
 *   redialed after a failure with exponential back-off; frames for an address in back-off are
 *   dropped (gossip sends fresh ones every round).
 * - The first message on every dialed socket is a text hello naming the dialer's own address,
 *   so the accepting side can answer peers that cannot be dialed (a browser tab).
 * - Bounded memory: frames queued while a socket connects, and bytes buffered in an open
 *   socket, have limits; over them a frame is dropped and counted. A socket stuck over its
 *   limit for `stallTimeoutMs` is closed, so a dead peer holds nothing for long.
 * - Per-peer inbound limits, so one flooding peer cannot starve the others: every socket has
 *   its own frame rate (a token bucket) and its own bytes received and not yet processed. Frames
 *   are not handed to the replica as they arrive but queued per socket and processed round-robin
 *   across sockets, a bounded batch per turn of the event loop, so a peer that sends thousands of
 *   frames gets one frame processed per turn like every other peer, and the excess is dropped
 *   (and counted) cheaply, before it is parsed or authenticated. Sockets are the unit, not the
 *   address a peer names in its hello: that name is not authenticated, and a flooder naming an
 *   honest peer's address must not be able to spend that peer's budget.
 */
import type { InboundDropReason } from './stats.js'

/** The part of the WebSocket API the links use (browser WebSocket and the `ws` package both fit). */
export interface SocketLike {
  readonly readyState: number
  readonly bufferedAmount: number
  binaryType: string
  send(data: Uint8Array | string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
}

const OPEN = 1
const CONNECTING = 0
const EMPTY = new Uint8Array(0)

export const HELLO_PREFIX = 'elastic-state/1 '

/** Why a frame was not sent. */
export type DropReason = 'backpressure' | 'unreachable' | 'blocked' | 'oversize'

/** Counters of a transport, read by the metrics. */
export interface TransportStats {
  /** Sockets currently open, dialed and accepted. */
  connections: number
  /** Dial attempts, including reconnects. */
  dials: number
  /** Frames not sent, by reason. */
  dropped: Record<DropReason, number>
  /**
   * Frames received and dropped over a peer's inbound limits, before they reached the replica:
   * over its frame rate (`rate`) or its bytes received and not yet processed (`inflight`).
   */
  droppedInbound: Record<InboundDropReason, number>
  /**
   * The same drops by peer: the address a peer's hello named (not authenticated), the address
   * dialed, or `unidentified` for a socket that sent no hello. At most 64 peers are listed; drops
   * of further ones are counted under `other`.
   */
  droppedInboundByPeer: Record<string, number>
  /** Messages received that were not frames (bad hello, text, oversize), ignored. */
  ignoredMessages: number
}

export interface LinkLimits {
  /** Largest frame sent or accepted, in bytes. */
  maxFrameBytes: number
  /** Bytes a socket may hold unsent before frames to it are dropped. */
  maxBufferedBytes: number
  /** Bytes queued for a socket that is still connecting. */
  maxQueuedBytes: number
  /** A socket over its buffer limit for this long is closed. */
  stallTimeoutMs: number
  /** First and longest delay between dial attempts to an unreachable peer. */
  backoffMinMs: number
  backoffMaxMs: number
  /**
   * Frames per second accepted from one peer (one socket), with bursts of up to one second's
   * worth; frames over it are dropped and counted (`droppedInbound.rate`). Default 2,000: a peer
   * sends a handful of frames per gossip round (its pushes, and replies to ours), a few dozen per
   * second at the default 100 ms interval.
   * @example
   * ```ts no-run
   * webSocketTransport({ port: 7000, maxInboundFramesPerSecond: 500, maxInboundInflightBytes: 4 << 20 })
   * ```
   */
  maxInboundFramesPerSecond: number
  /**
   * Bytes received from one peer (one socket) and not yet processed by the replica; frames that
   * would exceed it are dropped and counted (`droppedInbound.inflight`). At least `maxFrameBytes`;
   * default 8 MiB or twice `maxFrameBytes`, whichever is larger.
   */
  maxInboundInflightBytes: number
}

export const defaultLinkLimits: LinkLimits = {
  maxFrameBytes: 4 << 20,
  maxBufferedBytes: 16 << 20,
  maxQueuedBytes: 4 << 20,
  stallTimeoutMs: 10_000,
  backoffMinMs: 100,
  backoffMaxMs: 5_000,
  maxInboundFramesPerSecond: 2_000,
  maxInboundInflightBytes: 8 << 20,
}

/** The limits with the user's overrides, each checked to be a positive number. */
export function resolveLinkLimits(overrides: Partial<LinkLimits>): LinkLimits {
  const limits = { ...defaultLinkLimits }
  for (const name of Object.keys(defaultLinkLimits) as (keyof LinkLimits)[]) {
    const value = overrides[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${String(value)}`)
    limits[name] = value
  }
  if (overrides.maxInboundInflightBytes === undefined) {
    limits.maxInboundInflightBytes = Math.max(defaultLinkLimits.maxInboundInflightBytes, 2 * limits.maxFrameBytes)
  } else if (limits.maxInboundInflightBytes < limits.maxFrameBytes) {
    // Below it, a frame of the largest allowed size could never be received.
    throw new RangeError(`maxInboundInflightBytes must be at least maxFrameBytes (${limits.maxFrameBytes}), got ${limits.maxInboundInflightBytes}`)
  }
  return limits
}

/** Checks seed addresses: each a ws:// or wss:// URL. */
export function checkPeerUrls(peers: readonly string[]): string[] {
  for (const peer of peers) {
    if (typeof peer !== 'string' || !/^wss?:\/\/\S+$/.test(peer)) throw new RangeError(`peer address must be a ws:// or wss:// URL, got ${String(peer)}`)
  }
  return [...peers]
}

/** A copy of the links' counters (zeros before the transport opens). */
export function copyStats(links: SocketLinks | null): TransportStats {
  if (!links) {
    return {
      connections: 0, dials: 0, ignoredMessages: 0, dropped: { backpressure: 0, unreachable: 0, blocked: 0, oversize: 0 },
      droppedInbound: { rate: 0, inflight: 0 }, droppedInboundByPeer: {},
    }
  }
  const stats = links.stats
  return {
    ...stats, dropped: { ...stats.dropped }, droppedInbound: { ...stats.droppedInbound },
    // fromEntries defines own properties, so a peer named '__proto__' is just a key.
    droppedInboundByPeer: Object.fromEntries(links.droppedByPeer),
  }
}

/** Frames a transport dropped over inbound limits, by reason (what `Transport.inboundDrops` returns). */
export function inboundDrops(links: SocketLinks | null): Record<InboundDropReason, number> {
  return links ? { ...links.stats.droppedInbound } : { rate: 0, inflight: 0 }
}

interface Link {
  socket: SocketLike
  queue: Uint8Array[]
  queuedBytes: number
  stalledSince: number
}

interface Backoff {
  delayMs: number
  retryAt: number
}

/** What one socket sent us and the replica has not processed yet, and its frame budget. */
interface Inbound {
  /** Who it is, for the per-peer drop counts (the hello's address once it came). */
  peer: string
  frames: Uint8Array[]
  /** Index of the next frame to process in `frames`. */
  next: number
  bytes: number
  /** Token bucket of the frame rate: frames it may still send now, refilled with time. */
  tokens: number
  refilledAt: number
  /** Whether it is in the round-robin list of sockets with frames to process. */
  ready: boolean
}

/** Frames processed per turn of the event loop, round-robin across sockets, before I/O runs again. */
const FRAMES_PER_TURN = 64

/** Peers listed by name in `droppedInboundByPeer`; further ones are counted under `other`. */
const MAX_LISTED_PEERS = 64

/** Runs a callback soon, after pending I/O (setImmediate in Node; a zero timeout elsewhere). */
const defer: (callback: () => void) => void = typeof setImmediate === 'function'
  ? (callback) => { setImmediate(callback) }
  : (callback) => { setTimeout(callback, 0) }

export function isDialable(address: string): boolean {
  return address.startsWith('ws://') || address.startsWith('wss://')
}

/** Turns a received message's data into bytes, or `null` when it is not binary. */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (data instanceof Uint8Array) return data
  if (Array.isArray(data)) {
    // The `ws` package's 'fragments' binary type.
    let length = 0
    for (const part of data) length += (part as Uint8Array).length
    const joined = new Uint8Array(length)
    let offset = 0
    for (const part of data) {
      joined.set(part as Uint8Array, offset)
      offset += (part as Uint8Array).length
    }
    return joined
  }
  return null
}

export class SocketLinks {
  /** Dialed links by address. */
  private readonly dialed = new Map<string, Link>()
  /** Accepted sockets by the address their hello named. */
  private readonly accepted = new Map<string, SocketLike>()
  private readonly backoff = new Map<string, Backoff>()
  private readonly blocked = new Set<string>()
  private readonly live = new Set<SocketLike>()
  private closed = false
  /** Sockets with frames waiting to be processed, in round-robin order. */
  private readonly inboundReady: Inbound[] = []
  private drainScheduled = false
  /** Inbound drops by peer (`stats.droppedInboundByPeer` is built from it when copied). */
  readonly droppedByPeer = new Map<string, number>()
  readonly stats: Omit<TransportStats, 'droppedInboundByPeer'> = {
    connections: 0, dials: 0, ignoredMessages: 0,
    dropped: { backpressure: 0, unreachable: 0, blocked: 0, oversize: 0 },
    droppedInbound: { rate: 0, inflight: 0 },
  }

  constructor(
    private readonly connect: (url: string) => SocketLike,
    private readonly limits: LinkLimits,
    private readonly localAddress: () => string,
    private readonly onFrame: (frame: Uint8Array) => void,
    private readonly now: () => number = Date.now,
  ) {}

  send(address: string, frame: Uint8Array): void {
    if (this.closed) return
    if (frame.length > this.limits.maxFrameBytes) return this.drop('oversize')
    if (this.blocked.has(address)) return this.drop('blocked')
    const link = this.dialed.get(address)
    if (link) return this.sendOnLink(address, link, frame)
    const accepted = this.accepted.get(address)
    if (accepted && accepted.readyState === OPEN && !isDialable(address)) return this.sendOn(accepted, frame, null)
    if (!isDialable(address)) return this.drop('unreachable')
    const backoff = this.backoff.get(address)
    if (backoff && this.now() < backoff.retryAt) return this.drop('unreachable')
    const dialedLink = this.dial(address)
    if (dialedLink) this.sendOnLink(address, dialedLink, frame)
  }

  /** Takes a socket a peer opened to us: frames from it are delivered, its hello registers a reply path. */
  accept(socket: SocketLike): void {
    if (this.closed) {
      socket.close()
      return
    }
    socket.binaryType = 'arraybuffer'
    this.track(socket)
    let helloAddress: string | null = null
    const inbound = this.createInbound('unidentified')
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') {
        const address = parseHello(event.data)
        if (address === null || helloAddress !== null) {
          this.stats.ignoredMessages++
          return
        }
        if (this.blocked.has(address)) {
          socket.close(4003, 'blocked')
          return
        }
        helloAddress = address
        inbound.peer = address
        this.accepted.set(address, socket)
        return
      }
      if (helloAddress !== null && this.blocked.has(helloAddress)) return
      this.receive(inbound, event.data)
    }
    socket.onclose = () => {
      this.untrack(socket)
      if (helloAddress !== null && this.accepted.get(helloAddress) === socket) this.accepted.delete(helloAddress)
    }
    socket.onerror = () => {}
  }

  /** Cuts every link to and from these addresses and refuses them until `unblock`. */
  block(addresses: readonly string[]): void {
    for (const address of addresses) {
      this.blocked.add(address)
      this.dialed.get(address)?.socket.close(4003, 'blocked')
      this.dialed.delete(address)
      this.accepted.get(address)?.close(4003, 'blocked')
      this.accepted.delete(address)
    }
  }

  /** Lifts `block` for these addresses (all when omitted). */
  unblock(addresses?: readonly string[]): void {
    if (!addresses) this.blocked.clear()
    else for (const address of addresses) this.blocked.delete(address)
    for (const address of addresses ?? []) this.backoff.delete(address)
  }

  close(): void {
    this.closed = true
    for (const socket of [...this.live]) socket.close(1001, 'closing')
    this.dialed.clear()
    this.accepted.clear()
    for (const inbound of this.inboundReady) {
      inbound.frames = []
      inbound.ready = false
    }
    this.inboundReady.length = 0
  }

  private dial(address: string): Link | null {
    let socket: SocketLike
    this.stats.dials++
    try {
      socket = this.connect(address)
    } catch {
      this.failed(address)
      this.drop('unreachable')
      return null
    }
    socket.binaryType = 'arraybuffer'
    const link: Link = { socket, queue: [], queuedBytes: 0, stalledSince: 0 }
    this.dialed.set(address, link)
    this.track(socket)
    const inbound = this.createInbound(address)
    socket.onopen = () => {
      this.backoff.delete(address)
      socket.send(HELLO_PREFIX + this.localAddress())
      const queued = link.queue
      link.queue = []
      link.queuedBytes = 0
      for (const frame of queued) this.sendOn(socket, frame, link)
    }
    socket.onmessage = (event) => {
      // Peers answer on their own dialed link, but a frame arriving here is as good.
      if (typeof event.data === 'string') this.stats.ignoredMessages++
      else this.receive(inbound, event.data)
    }
    socket.onclose = () => {
      this.untrack(socket)
      if (this.dialed.get(address) === link) {
        this.dialed.delete(address)
        this.failed(address)
      }
    }
    socket.onerror = () => {}
    return link
  }

  private sendOnLink(address: string, link: Link, frame: Uint8Array): void {
    if (link.socket.readyState === CONNECTING) {
      if (link.queuedBytes + frame.length > this.limits.maxQueuedBytes) return this.drop('backpressure')
      link.queue.push(frame)
      link.queuedBytes += frame.length
      return
    }
    if (link.socket.readyState !== OPEN) {
      this.dialed.delete(address)
      return this.drop('unreachable')
    }
    this.sendOn(link.socket, frame, link)
  }

  private sendOn(socket: SocketLike, frame: Uint8Array, link: Link | null): void {
    if (socket.bufferedAmount + frame.length > this.limits.maxBufferedBytes) {
      this.drop('backpressure')
      if (link) {
        const now = this.now()
        if (link.stalledSince === 0) link.stalledSince = now
        else if (now - link.stalledSince > this.limits.stallTimeoutMs) socket.close(4008, 'peer too slow')
      }
      return
    }
    if (link) link.stalledSince = 0
    try {
      socket.send(frame)
    } catch {
      this.drop('unreachable')
    }
  }

  private createInbound(peer: string): Inbound {
    return { peer, frames: [], next: 0, bytes: 0, tokens: this.limits.maxInboundFramesPerSecond, refilledAt: this.now(), ready: false }
  }

  /** Queues a message from a socket for processing, or drops it over that socket's limits. */
  private receive(inbound: Inbound, data: unknown): void {
    if (this.closed) return
    const bytes = messageBytes(data)
    if (bytes === null || bytes.length > this.limits.maxFrameBytes) {
      this.stats.ignoredMessages++
      return
    }
    const rate = this.limits.maxInboundFramesPerSecond
    const now = this.now()
    if (now !== inbound.refilledAt) {
      // A clock set back refills nothing, but restarts the count from the new time.
      if (now > inbound.refilledAt) inbound.tokens = Math.min(rate, inbound.tokens + ((now - inbound.refilledAt) * rate) / 1000)
      inbound.refilledAt = now
    }
    if (inbound.tokens < 1) return this.dropInbound(inbound, 'rate')
    if (inbound.bytes + bytes.length > this.limits.maxInboundInflightBytes) return this.dropInbound(inbound, 'inflight')
    inbound.tokens -= 1
    inbound.frames.push(bytes)
    inbound.bytes += bytes.length
    if (!inbound.ready) {
      inbound.ready = true
      this.inboundReady.push(inbound)
    }
    if (!this.drainScheduled) {
      this.drainScheduled = true
      defer(() => this.drain())
    }
  }

  /** Hands queued frames to the replica, one per socket in turn, a bounded number per turn. */
  private drain(): void {
    this.drainScheduled = false
    let budget = FRAMES_PER_TURN
    while (budget > 0 && this.inboundReady.length > 0 && !this.closed) {
      const inbound = this.inboundReady.shift()!
      const frame = inbound.frames[inbound.next]!
      inbound.frames[inbound.next++] = EMPTY
      inbound.bytes -= frame.length
      if (inbound.next === inbound.frames.length) {
        inbound.frames = []
        inbound.next = 0
        inbound.ready = false
      } else {
        // A queue that never empties (a peer sending at its limit) is cut now and then.
        if (inbound.next >= 1024 && inbound.next * 2 >= inbound.frames.length) {
          inbound.frames = inbound.frames.slice(inbound.next)
          inbound.next = 0
        }
        this.inboundReady.push(inbound)
      }
      budget--
      try {
        this.onFrame(frame)
      } catch {
        // The replica reports bad frames itself; nothing may escape into the socket library.
      }
    }
    if (this.inboundReady.length > 0 && !this.closed && !this.drainScheduled) {
      this.drainScheduled = true
      defer(() => this.drain())
    }
  }

  private dropInbound(inbound: Inbound, reason: InboundDropReason): void {
    this.stats.droppedInbound[reason]++
    // A Map: peer names come from the network ('__proto__' is a fine hello).
    const byPeer = this.droppedByPeer
    const peer = byPeer.has(inbound.peer) || byPeer.size < MAX_LISTED_PEERS ? inbound.peer : 'other'
    byPeer.set(peer, (byPeer.get(peer) ?? 0) + 1)
  }

  private failed(address: string): void {
    const previous = this.backoff.get(address)
    const delayMs = previous ? Math.min(this.limits.backoffMaxMs, previous.delayMs * 2) : this.limits.backoffMinMs
    // Jitter spreads the redials of many replicas that lost the same peer at once.
    this.backoff.set(address, { delayMs, retryAt: this.now() + delayMs * (0.5 + Math.random() / 2) })
  }

  private drop(reason: DropReason): void {
    this.stats.dropped[reason]++
  }

  private track(socket: SocketLike): void {
    this.live.add(socket)
    this.stats.connections = this.live.size
  }

  private untrack(socket: SocketLike): void {
    this.live.delete(socket)
    this.stats.connections = this.live.size
  }
}

/** The dialer's address from a hello message, or `null` when it is not one. */
export function parseHello(text: string): string | null {
  if (!text.startsWith(HELLO_PREFIX) || text.length > HELLO_PREFIX.length + 1024) return null
  const address = text.slice(HELLO_PREFIX.length)
  return address.length > 0 ? address : null
}
