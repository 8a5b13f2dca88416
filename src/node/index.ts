/** elastic-state/node: what replicas need to run as Node processes on a real network. */
export { webSocketTransport } from './ws-transport.js'
export type { WebSocketTransport, WebSocketTransportOptions, TlsOptions } from './ws-transport.js'
export { filePersistence } from './file-persistence.js'
export { createMetrics, serveMetrics } from './metrics.js'
export type { Metrics, MetricsOptions, MetricsServer } from './metrics.js'
export type { TransportStats, DropReason } from '../socket-links.js'
