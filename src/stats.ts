/** Counters behind `replica.stats()`. */

/**
 * Why a frame was refused: malformed (`decode`), not authenticated (`auth`), another declaration (`schema`) or protocol version (`protocol`).
 * @example
 * ```ts
 * import { counter, defineState, type RejectReason } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 7 })
 * const replica = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.inject('a', new Uint8Array([1, 2, 3]))
 * const reason: RejectReason = 'decode'
 * assert.equal(replica.stats().rejectedByReason[reason], 1)
 * ```
 */
export type RejectReason = 'decode' | 'auth' | 'schema' | 'protocol'

/**
 * Why a transport dropped a received frame before it reached the replica: the peer (one
 * connection) was over its frame rate (`rate`) or over its bytes received and not yet processed
 * (`inflight`). See the WebSocket transports' `maxInboundFramesPerSecond` and
 * `maxInboundInflightBytes`; `replica.stats().droppedInbound` counts them when the transport
 * reports them (`Transport.inboundDrops`).
 * @example
 * ```ts
 * import { counter, createReplica, defineState, type InboundDropReason, type Transport } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * // A transport that reports its inbound drops (the WebSocket transports do).
 * const transport: Transport = {
 *   open: (localId) => localId,
 *   seeds: () => [],
 *   send: () => {},
 *   close: () => Promise.resolve(),
 *   inboundDrops: () => ({ rate: 120, inflight: 3 }),
 * }
 * const replica = createReplica(defineState({ packets: counter() }), { id: 'a', transport })
 * const reason: InboundDropReason = 'rate'
 * assert.equal(replica.stats().droppedInbound[reason], 120)
 * assert.deepEqual(createReplica(defineState({ packets: counter() })).stats().droppedInbound, { rate: 0, inflight: 0 })
 * ```
 */
export type InboundDropReason = 'rate' | 'inflight'

/**
 * What `replica.stats()` returns: traffic, rejected frames, rounds, membership and how far peers are behind.
 * @example
 * ```ts
 * import { counter, defineState, type ReplicaStats } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 8 })
 * const a = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * a.state.packets.increment()
 * sim.runUntilConverged()
 * sim.advance(300)
 * const stats: ReplicaStats = a.stats()
 * assert.equal(stats.members, 2)
 * assert.ok(stats.bytesSent > 0 && stats.rounds > 0)
 * assert.equal(stats.lagMs, 0)          // every peer confirmed a's changes
 * ```
 */
export interface ReplicaStats {
  bytesSent: number
  bytesReceived: number
  framesSent: number
  framesReceived: number
  /** Frames refused (malformed, unauthenticated, other schema or protocol version). */
  framesRejected: number
  rejectedByReason: Record<RejectReason, number>
  /** Gossip rounds run. */
  rounds: number
  /** Live members, self included. */
  members: number
  /** Origins (instance incarnations) this replica holds state of. */
  origins: number
  /** Highest version this replica has given its own changes. */
  version: number
  /** Age in ms of the oldest own change that some live peer has not confirmed (0 when none). */
  lagMs: number
  /** The same age per live peer, by peer id. */
  lagByPeer: Record<string, number>
  /**
   * Frames the transport received and dropped over a peer's inbound limits, before they reached
   * this replica, by reason (zeros for a transport without such limits). Not in `framesReceived`.
   */
  droppedInbound: Record<InboundDropReason, number>
}

export class StatsCounters {
  private bytesSent = 0
  private bytesReceived = 0
  private framesSent = 0
  private framesReceived = 0
  private rounds = 0
  private readonly rejectedByReason: Record<RejectReason, number> = { decode: 0, auth: 0, schema: 0, protocol: 0 }

  sent(bytes: number): void {
    this.framesSent++
    this.bytesSent += bytes
  }

  received(bytes: number): void {
    this.framesReceived++
    this.bytesReceived += bytes
  }

  rejected(reason: RejectReason): void {
    this.rejectedByReason[reason]++
  }

  round(): void {
    this.rounds++
  }

  snapshot(extra: Pick<ReplicaStats, 'members' | 'origins' | 'version' | 'lagMs' | 'lagByPeer'>, inboundDrops?: Readonly<Record<InboundDropReason, number>>): ReplicaStats {
    const reasons = this.rejectedByReason
    return {
      bytesSent: this.bytesSent, bytesReceived: this.bytesReceived,
      framesSent: this.framesSent, framesReceived: this.framesReceived,
      framesRejected: reasons.decode + reasons.auth + reasons.schema + reasons.protocol,
      rejectedByReason: { ...reasons }, rounds: this.rounds, ...extra,
      droppedInbound: { rate: inboundDrops?.rate ?? 0, inflight: inboundDrops?.inflight ?? 0 },
    }
  }
}
