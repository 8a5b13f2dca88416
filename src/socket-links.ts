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
 */

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
}

export const defaultLinkLimits: LinkLimits = {
  maxFrameBytes: 4 << 20,
  maxBufferedBytes: 16 << 20,
  maxQueuedBytes: 4 << 20,
  stallTimeoutMs: 10_000,
  backoffMinMs: 100,
  backoffMaxMs: 5_000,
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
  if (!links) return { connections: 0, dials: 0, ignoredMessages: 0, dropped: { backpressure: 0, unreachable: 0, blocked: 0, oversize: 0 } }
  return { ...links.stats, dropped: { ...links.stats.dropped } }
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
  readonly stats: TransportStats = {
    connections: 0, dials: 0, ignoredMessages: 0,
    dropped: { backpressure: 0, unreachable: 0, blocked: 0, oversize: 0 },
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
        this.accepted.set(address, socket)
        return
      }
      if (helloAddress !== null && this.blocked.has(helloAddress)) return
      this.deliver(event.data)
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
      else this.deliver(event.data)
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

  private deliver(data: unknown): void {
    const bytes = messageBytes(data)
    if (bytes === null || bytes.length > this.limits.maxFrameBytes) {
      this.stats.ignoredMessages++
      return
    }
    try {
      this.onFrame(bytes)
    } catch {
      // The replica reports bad frames itself; nothing may escape into the socket library.
    }
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
