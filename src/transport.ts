/**
 * The contract between a replica and whatever moves its bytes. The replica produces and
 * consumes whole frames (Uint8Array); a transport only delivers them, best effort: frames may be
 * lost, duplicated or reordered, and the protocol is built to tolerate all three.
 */
import type { InboundDropReason } from './stats.js'

/**
 * Called by the transport for every frame that arrives. Must not throw (the replica never does).
 * @example
 * ```ts
 * import type { FrameHandler } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const sizes: number[] = []
 * const onFrame: FrameHandler = (frame) => { sizes.push(frame.length) }
 * onFrame(new Uint8Array(4))
 * assert.deepEqual(sizes, [4])
 * ```
 */
export type FrameHandler = (frame: Uint8Array) => void

export interface Transport {
  /**
   * Start listening. `localId` is the replica's id, for transports that address by id.
   * Returns (or resolves with) the address peers use to reach this replica (for the simulated network, the
   * id itself; for WebSockets, a URL).
   */
  open(localId: string, onFrame: FrameHandler): string | Promise<string>
  /** Addresses to contact when joining (seeds). May change over time. */
  seeds(): readonly string[]
  /** Send one frame to an address, best effort. Never throws for an unreachable peer. */
  send(address: string, frame: Uint8Array): void
  /** Stop listening and drop connections. */
  close(): Promise<void>
  /**
   * Optional: frames received and dropped over per-peer inbound limits, before they reached the
   * replica, by reason (running totals). `replica.stats().droppedInbound` reads it.
   */
  inboundDrops?(): Readonly<Record<InboundDropReason, number>>
}
