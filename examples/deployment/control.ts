/**
 * The control channel between the orchestrator and a monitor instance: the child-process IPC
 * channel, carrying these messages. Packets do not go this way (see wire.ts); the end of a run
 * is a SIGTERM.
 */

/** What an instance reports about itself, about every `statusMs`. */
export interface InstanceStatus {
  type: 'status'
  /** This instance's own packet count (its current incarnation's writes). */
  localPackets: number
  /** The global packet count as this instance sees it. */
  globalPackets: number
  flows: number
  members: number
  /** Age of the oldest own change that some live peer has not confirmed. */
  lagMs: number
  /** Origins (instance incarnations) whose state this instance holds. */
  origins: number
  /** V8 heap in use, and reserved (`process.memoryUsage()`). */
  heapUsedBytes: number
  heapTotalBytes: number
  /** Memory of C++ objects bound to JavaScript objects, Buffers included (`process.memoryUsage().external`). */
  externalBytes: number
  /** Gossip frames and their bytes since this process started (`replica.stats()`). */
  framesSent: number
  framesReceived: number
  bytesSent: number
  bytesReceived: number
}

/** Everything an instance holds of the global view, condensed so instances can be compared. */
export interface StateDigest {
  type: 'digest'
  packets: number
  matches: number
  flows: number
  /** Sums over the flow table of the per-flow global counts. */
  flowPackets: number
  flowBytes: number
  flowMatches: number
  /** Order-independent hash of every flow's key and global counts. */
  flowHash: number
}

export type InstanceMessage =
  | { type: 'ready'; address: string; dataPort: number; incarnation: number; restoredPackets: number }
  | InstanceStatus
  | StateDigest
  | { type: 'event'; text: string }
  | { type: 'left' }

export type OrchestratorMessage =
  /** Graceful scale-in: stop taking batches, acknowledge what was taken, `leave()`, exit. */
  | { type: 'leave' }
  | { type: 'digest' }
  /** Cut gossip to and from these instances' addresses (`transport.block`): one side of a partition. */
  | { type: 'block'; addresses: string[] }
  /** Heal: gossip with everyone again (`transport.unblock()`). */
  | { type: 'unblock' }

/** The flags an instance process is started with. */
export interface InstanceConfig {
  id: string
  dir: string
  seeds: string[]
  gossipIntervalMs: number
  failureTimeoutMs: number
  statusMs: number
  /** Batches arriving within this window share one flush (group commit); 0 flushes at once. */
  ackDelayMs: number
  /** Addresses cut off from the first gossip round on (an instance started inside a partition). */
  blocked: string[]
}

export function instanceArgs(config: InstanceConfig): string[] {
  return [
    '--id', config.id, '--dir', config.dir, '--seeds', config.seeds.join(','),
    '--gossip-ms', String(config.gossipIntervalMs), '--failure-ms', String(config.failureTimeoutMs),
    '--status-ms', String(config.statusMs), '--ack-delay-ms', String(config.ackDelayMs),
    ...(config.blocked.length > 0 ? ['--blocked', config.blocked.join(',')] : []),
  ]
}
