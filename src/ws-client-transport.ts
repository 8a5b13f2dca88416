/**
 * A WebSocket transport for replicas that cannot listen (a browser tab or worker): it dials
 * Node replicas, and they answer over the same socket. Its address is not dialable, so other
 * replicas reach it only through the replicas it is connected to, which is all gossip needs.
 */
import { LifecycleError } from './errors.js'
import { type LinkLimits, type SocketLike, type TransportStats, SocketLinks, checkPeerUrls, copyStats, inboundDrops, resolveLinkLimits } from './socket-links.js'
import type { InboundDropReason } from './stats.js'
import type { FrameHandler, Transport } from './transport.js'

/**
 * Options of `webSocketClientTransport`: the Node replicas to dial, the WebSocket class, and link limits.
 * @example
 * ```ts
 * import { webSocketClientTransport, type WebSocketClientTransportOptions } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * class FakeSocket {}   // stands for a WebSocket class; nothing is dialled before open()
 * const options: WebSocketClientTransportOptions = { peers: ['ws://10.0.0.1:7000', 'wss://nf.example:7443'], WebSocket: FakeSocket as never }
 * assert.deepEqual(webSocketClientTransport(options).seeds(), options.peers)
 * assert.throws(() => webSocketClientTransport({ peers: [] }), RangeError)
 * ```
 */
export interface WebSocketClientTransportOptions extends Partial<LinkLimits> {
  /** Node replicas to connect to (`ws://` or `wss://` URLs). */
  peers: readonly string[]
  /** The WebSocket class (default: the global one; in Node pass the `ws` package's). */
  WebSocket?: new (url: string) => unknown
}

/**
 * A client-only WebSocket transport (`webSocketClientTransport()`), with its link statistics.
 * @example
 * ```ts
 * import { webSocketClientTransport, type WebSocketClientTransport } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * class FakeSocket {}
 * const transport: WebSocketClientTransport = webSocketClientTransport({ peers: ['ws://10.0.0.1:7000'], WebSocket: FakeSocket as never })
 * assert.equal(typeof transport.stats(), 'object')
 * ```
 */
export interface WebSocketClientTransport extends Transport {
  stats(): TransportStats
  /** Frames dropped over the inbound limits, by reason (also in `replica.stats().droppedInbound`). */
  inboundDrops(): Record<InboundDropReason, number>
}

/**
 * Creates a client-only WebSocket transport, for browsers.
 * @throws RangeError when `peers` is empty or holds something other than ws:// or wss:// URLs,
 * or when no WebSocket class is available.
 * @example
 * ```ts no-run
 * import { counter, defineState, createReplica, webSocketClientTransport } from 'elastic-state'
 *
 * // In a browser page, with a Node replica listening on port 7000 (see elastic-state/node).
 * const Monitor = defineState({ packets: counter() })
 * const transport = webSocketClientTransport({ peers: ['ws://127.0.0.1:7000'] })
 * const replica = createReplica(Monitor, { transport })
 * await replica.start()
 * ```
 */
export function webSocketClientTransport(options: WebSocketClientTransportOptions): WebSocketClientTransport {
  const peers = checkPeerUrls(options.peers ?? [])
  if (peers.length === 0) throw new RangeError('webSocketClientTransport needs at least one peer to connect to')
  const Socket = options.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket
  if (typeof Socket !== 'function') throw new RangeError('no WebSocket class: pass one as options.WebSocket')
  const limits = resolveLinkLimits(options)
  let links: SocketLinks | null = null
  let address = ''
  let state: 'new' | 'open' | 'closed' = 'new'
  return {
    open(localId: string, onFrame: FrameHandler): string {
      if (state !== 'new') throw new LifecycleError(`a WebSocket client transport opens once (it is ${state})`)
      state = 'open'
      address = `client:${localId}:${Math.floor(Math.random() * 2 ** 32).toString(36)}`
      links = new SocketLinks((url) => new Socket(url) as SocketLike, limits, () => address, onFrame)
      return address
    },
    seeds: () => peers,
    send(target, frame) {
      links?.send(target, frame)
    },
    close() {
      state = 'closed'
      links?.close()
      return Promise.resolve()
    },
    stats() {
      return copyStats(links)
    },
    inboundDrops() {
      return inboundDrops(links)
    },
  }
}
