/**
 * Prometheus metrics of a replica (prom-client), read from `replica.stats()` and the
 * transport's counters at each scrape, so the hot path pays nothing for them.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { Replica } from '../replica.js'
import type { TransportStats } from '../socket-links.js'

export interface MetricsOptions {
  /** A transport whose counters to export too (e.g. a `webSocketTransport`). */
  transport?: { stats(): TransportStats }
  /** Registry to register in (default: a new one). */
  registry?: Registry
  /** Metric name prefix (default `elastic_state_`). */
  prefix?: string
  /** Also export Node's process metrics (CPU, memory, event loop). Default false. */
  processMetrics?: boolean
}

export interface Metrics {
  readonly registry: Registry
  /** The Content-Type of `text()`. */
  readonly contentType: string
  /** The metrics in Prometheus text format. */
  text(): Promise<string>
}

export interface MetricsServer {
  /** URL of the metrics endpoint, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string
  close(): Promise<void>
}

type CounterCollect = (this: Counter<string>) => void
type GaugeCollect = (this: Gauge<string>) => void

/**
 * Registers the replica's metrics: frames and bytes in and out, frames rejected by reason,
 * frames dropped over per-peer inbound limits by reason, members, rounds, origins, gossip lag (overall and per peer) and, with a transport, its
 * connections and dropped frames.
 * @example
 * ```ts
 * const metrics = createMetrics(replica, { transport })
 * const text = await metrics.text()   // Prometheus exposition format
 * ```
 */
export function createMetrics(replica: Replica, options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry()
  const prefix = options.prefix ?? 'elastic_state_'
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new RangeError(`metric prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(prefix)}`)
  const registers = [registry]
  const labels = { replica: replica.id }
  // One scrape collects every metric in one turn of the event loop: read the stats once for it.
  let scraped: ReturnType<Replica['stats']> | null = null
  const stats = () => {
    if (scraped === null) {
      scraped = replica.stats()
      setImmediate(() => { scraped = null })
    }
    return scraped
  }
  const counter = (name: string, help: string, read: () => number) => {
    const collect: CounterCollect = function () {
      this.reset()
      this.inc(labels, read())
    }
    new Counter({ name: prefix + name, help, labelNames: ['replica'], registers, collect })
  }
  const gauge = (name: string, help: string, read: () => number) => {
    const collect: GaugeCollect = function () {
      this.set(labels, read())
    }
    new Gauge({ name: prefix + name, help, labelNames: ['replica'], registers, collect })
  }
  counter('frames_sent_total', 'Frames sent', () => stats().framesSent)
  counter('frames_received_total', 'Frames received, including rejected ones', () => stats().framesReceived)
  counter('bytes_sent_total', 'Bytes of frames sent', () => stats().bytesSent)
  counter('bytes_received_total', 'Bytes of frames received', () => stats().bytesReceived)
  counter('rounds_total', 'Gossip rounds run', () => stats().rounds)
  gauge('members', 'Live members, self included', () => stats().members)
  gauge('origins', 'Instance incarnations this replica holds state of', () => stats().origins)
  gauge('gossip_lag_seconds', 'Age of the oldest own update some live peer has not confirmed', () => stats().lagMs / 1000)
  const rejected: CounterCollect = function () {
    this.reset()
    for (const [reason, count] of Object.entries(stats().rejectedByReason)) this.inc({ ...labels, reason }, count)
  }
  new Counter({ name: `${prefix}frames_rejected_total`, help: 'Frames refused, by reason (decode, auth, schema, protocol)', labelNames: ['replica', 'reason'], registers, collect: rejected })
  const droppedInbound: CounterCollect = function () {
    this.reset()
    for (const [reason, count] of Object.entries(stats().droppedInbound)) this.inc({ ...labels, reason }, count)
  }
  new Counter({ name: `${prefix}frames_dropped_inbound_total`, help: 'Frames received and dropped over a peer\'s inbound limits before they reached the replica, by reason (rate, inflight)', labelNames: ['replica', 'reason'], registers, collect: droppedInbound })
  const peerLag: GaugeCollect = function () {
    this.reset()
    for (const [peer, lagMs] of Object.entries(stats().lagByPeer)) this.set({ ...labels, peer }, lagMs / 1000)
  }
  new Gauge({ name: `${prefix}peer_gossip_lag_seconds`, help: 'Per live peer: age of the oldest own update it has not confirmed', labelNames: ['replica', 'peer'], registers, collect: peerLag })
  const transport = options.transport
  if (transport) {
    gauge('transport_connections', 'Open or opening sockets', () => transport.stats().connections)
    counter('transport_dials_total', 'Connection attempts, including reconnects', () => transport.stats().dials)
    counter('transport_ignored_messages_total', 'Messages received that were not frames', () => transport.stats().ignoredMessages)
    const dropped: CounterCollect = function () {
      this.reset()
      for (const [reason, count] of Object.entries(transport.stats().dropped)) this.inc({ ...labels, reason }, count)
    }
    new Counter({ name: `${prefix}transport_frames_dropped_total`, help: 'Frames not sent, by reason (backpressure, unreachable, blocked, oversize)', labelNames: ['replica', 'reason'], registers, collect: dropped })
  }
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix })
  return { registry, contentType: registry.contentType, text: () => registry.metrics() }
}

/**
 * Serves the replica's metrics over HTTP at `/metrics` for Prometheus to scrape.
 * @throws RangeError for an invalid port.
 * @example
 * ```ts
 * const server = await serveMetrics(replica, { port: 9464, transport })
 * console.log(server.url)   // http://127.0.0.1:9464/metrics
 * await server.close()
 * ```
 */
export async function serveMetrics(replica: Replica, options: MetricsOptions & { host?: string; port?: number } = {}): Promise<MetricsServer> {
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`)
  const host = options.host ?? '127.0.0.1'
  const metrics = createMetrics(replica, options)
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n')
      return
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(error as Error).message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
