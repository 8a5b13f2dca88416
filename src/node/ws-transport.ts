/**
 * The WebSocket transport for Node replicas: listens on `host:port` and dials peers on demand
 * (see socket-links.ts for links, back-pressure and reconnects). Optional TLS with the user's
 * key and certificate turns `ws://` into `wss://`.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { hostname } from 'node:os'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { LifecycleError } from '../errors.js'
import { type LinkLimits, type SocketLike, type TransportStats, SocketLinks, checkPeerUrls, copyStats, inboundDrops, resolveLinkLimits } from '../socket-links.js'
import type { InboundDropReason } from '../stats.js'
import type { FrameHandler, Transport } from '../transport.js'

export interface TlsOptions {
  /** PEM private key and certificate of this replica's listener. */
  key: string | Buffer
  cert: string | Buffer
  /** PEM certificates trusted when dialing peers (default: the system's). */
  ca?: string | Buffer | (string | Buffer)[]
  /** Verify peers' certificates when dialing (default true). */
  rejectUnauthorized?: boolean
}

export interface WebSocketTransportOptions extends Partial<LinkLimits> {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
  /** Port to listen on; 0 picks a free one (default 0). */
  port?: number
  /** Seed addresses (`ws://host:port`) to join through; the rest is learnt by gossip. */
  peers?: readonly string[]
  /** The address peers should dial to reach this replica (default from host, port and TLS). */
  advertise?: string
  /** Listen and dial with TLS (`wss://`). */
  tls?: TlsOptions
}

/** A `Transport` over WebSockets, with operations for operators and tests. */
export interface WebSocketTransport extends Transport {
  /** The address peers dial, once `open` has resolved. */
  readonly address: string | null
  stats(): TransportStats
  /** Frames dropped over per-peer inbound limits, by reason (also in `replica.stats().droppedInbound`). */
  inboundDrops(): Record<InboundDropReason, number>
  /** Cuts the connections to and from these addresses and refuses them until `unblock`. */
  block(addresses: readonly string[]): void
  unblock(addresses?: readonly string[]): void
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`)
  return port
}

function defaultAdvertise(host: string, port: number, tls: boolean): string {
  const name = host === '0.0.0.0' || host === '::' ? hostname() : host
  const bracketed = name.includes(':') ? `[${name}]` : name
  return `${tls ? 'wss' : 'ws'}://${bracketed}:${port}`
}

/**
 * Creates a WebSocket transport for `createReplica`.
 * @throws RangeError for an invalid port, peer address or limit.
 * @example
 * ```ts
 * const transport = webSocketTransport({ host: '127.0.0.1', port: 7001, peers: ['ws://127.0.0.1:7000'] })
 * const replica = createReplica(Monitor, { id: 'vnf-1', transport })
 * await replica.start()
 * ```
 */
export function webSocketTransport(options: WebSocketTransportOptions = {}): WebSocketTransport {
  const host = options.host ?? '127.0.0.1'
  const port = checkPort(options.port ?? 0)
  const seeds = checkPeerUrls(options.peers ?? [])
  const limits = resolveLinkLimits(options)
  const tls = options.tls
  let address: string | null = null
  let server: HttpServer | null = null
  let wss: WebSocketServer | null = null
  let links: SocketLinks | null = null
  let state: 'new' | 'open' | 'closed' = 'new'
  const clientOptions = {
    maxPayload: limits.maxFrameBytes,
    handshakeTimeout: 5_000,
    perMessageDeflate: false,
    // Masking protects HTTP proxies from scripts in browsers; between replicas it only costs a
    // pass over every byte on both ends. A zero mask makes the ws package skip it.
    generateMask: (mask: Buffer) => { mask.fill(0) },
    ...(tls ? { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized ?? true } : {}),
  }

  const transport: WebSocketTransport = {
    get address() {
      return address
    },
    open(_localId: string, onFrame: FrameHandler): Promise<string> {
      if (state !== 'new') return Promise.reject(new LifecycleError(`a WebSocket transport opens once (it is ${state})`))
      state = 'open'
      const currentLinks = new SocketLinks(
        (url) => new WebSocket(url, clientOptions) as unknown as SocketLike,
        limits,
        () => address ?? '',
        onFrame,
      )
      links = currentLinks
      const http = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }) : createHttpServer()
      http.on('request', (_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain' }).end('elastic-state: WebSocket upgrade required\n')
      })
      server = http
      wss = new WebSocketServer({ server: http, maxPayload: limits.maxFrameBytes, perMessageDeflate: false })
      wss.on('connection', (socket) => currentLinks.accept(socket as unknown as SocketLike))
      wss.on('error', () => {})
      return new Promise<string>((resolve, reject) => {
        http.once('error', reject)
        http.listen(port, host, () => {
          http.off('error', reject)
          http.on('error', () => {})
          const actual = (http.address() as AddressInfo).port
          address = options.advertise ?? defaultAdvertise(host, actual, tls !== undefined)
          resolve(address)
        })
      })
    },
    seeds() {
      return address === null ? seeds : seeds.filter((seed) => seed !== address)
    },
    send(target: string, frame: Uint8Array) {
      links?.send(target, frame)
    },
    async close() {
      if (state === 'closed') return
      state = 'closed'
      links?.close()
      for (const client of wss?.clients ?? []) client.terminate()
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()))
      await new Promise<void>((resolve) => {
        if (!server || !server.listening) return resolve()
        server.close(() => resolve())
        server.closeAllConnections?.()
      })
    },
    stats() {
      return copyStats(links)
    },
    inboundDrops() {
      return inboundDrops(links)
    },
    block(addresses) {
      links?.block(addresses)
    },
    unblock(addresses) {
      links?.unblock(addresses)
    },
  }
  return transport
}
