/**
 * What every compared system implements so the driver (driver.ts) can run the workload on it
 * the same way: per-packet writes at one replica, a sync every B packets of a replica, reads,
 * a joining and a leaving replica. Replicas are numbered from 0; a joiner gets the next number.
 *
 * In-process systems answer synchronously; networked ones (Redis) return promises. The driver
 * awaits only what is a promise, so the in-process hot path has no await in it.
 */
import type { PacketSequence } from './packets.js'

export interface FlowCounts {
  packets: number
  bytes: number
  matches: number
}

export type MaybePromise<T> = T | Promise<T>

export interface System {
  /** One packet's work at `replica`: the WORKLOAD's per-packet increments. */
  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void | Promise<void>
  /** `replica` produces its update and every other live replica applies it. */
  sync(replica: number): MaybePromise<void>
  /** After the last packets and a sync of every replica: anything more until all agree. */
  settle(): MaybePromise<void>
  /** Global packet count as `replica` sees it. */
  globalPackets(replica: number): MaybePromise<number>
  /** Global packet count of one flow as `replica` sees it (the per-flow read). */
  flowPackets(replica: number, flow: number): MaybePromise<number>
  /** Every global counter of one flow, for the check. */
  flowCounts(replica: number, flow: number): MaybePromise<FlowCounts>
  /** Bytes moved between replicas (or between replicas and servers) so far, each copy counted. */
  wireBytes(): MaybePromise<number>
  /** A fresh replica joins and catches up from replica `from`; returns its number once caught up. */
  join(from: number): MaybePromise<number>
  /** `replica` hands over what it has and leaves. */
  leave(replica: number): MaybePromise<void>
  /** Replicas still present (survivors after a leave, joiners included). */
  live(): number[]
  /** Memory the system keeps outside this process (a Redis server's used_memory), if any. */
  serverMemoryBytes?(): Promise<number>
  close(): Promise<void>
}

/** What a system module exports: `create` builds R replicas ready to take packets. */
export interface SystemModule {
  create(sequence: PacketSequence, options: SystemOptions): Promise<System>
}

export interface SystemOptions {
  /** The system's variant, from its registry entry (e.g. Yjs update encoding, Redis mode). */
  variant: Record<string, string>
  /** Redis endpoints started by the harness, for the Redis systems. */
  redis?: RedisEndpoints
}

export interface RedisEndpoints {
  /** Port of the central redis-server. */
  central: number
  /** Ports of the cluster's masters. */
  cluster: number[]
}
