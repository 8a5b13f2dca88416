/**
 * Redis as E-State compared with it: the state lives in the server (a central redis-server, or
 * a 3-master Redis Cluster), every replica is a client with its own connections. Keys: `packets`
 * and `matches` (INCRBY) and a hash `f:<flow key>` with fields p, b, m (HINCRBY). Three modes:
 *
 * - round-trip: each packet's commands go out as one pipeline per node and are awaited before
 *   the next packet (a round trip per packet, what a network function reading its answers does);
 * - pipelined: a replica queues its packets' commands and sends them at each sync (every B packets);
 * - aggregated: a replica sums its increments locally and sends one command per changed key at
 *   each sync.
 *
 * Nothing is applied on the other replicas: they read the server. Wire bytes are every byte
 * written and read on the replicas' connections.
 */
import { CommandBatch, NodeConnections, type Topology } from '../redis/connections.js'
import type { PacketSequence } from '../packets.js'
import type { FlowCounts, RedisEndpoints, System, SystemModule, SystemOptions } from '../system.js'
import { IncrementBuffer } from './increment-buffer.js'

type Mode = 'round-trip' | 'pipelined' | 'aggregated'
const PACKETS = 'packets'
const MATCHES = 'matches'

class RedisReplica {
  /** Commands queued since the last sync (pipelined mode). */
  readonly queued: CommandBatch
  /** Increments summed since the last sync (aggregated mode). */
  readonly buffer = new IncrementBuffer()
  constructor(readonly connections: NodeConnections) {
    this.queued = new CommandBatch(connections)
  }
}

function usedMemory(info: string): number {
  const match = /used_memory:(\d+)/.exec(info)
  if (!match) throw new Error('INFO memory without used_memory')
  return Number(match[1])
}

class RedisSystem implements System {
  private readonly replicas: (RedisReplica | null)[] = []
  /** Bytes of replicas that left (their connections are closed). */
  private leftBytes = 0
  private memoryBaseline = 0
  readonly packet: (replica: number, flow: number, sizeBytes: number, matches: boolean) => void | Promise<void>

  constructor(
    private readonly redisKeys: string[],
    private readonly topology: Topology,
    private readonly ports: number[],
    private readonly mode: Mode,
    private readonly admin: NodeConnections,
  ) {
    this.packet = mode === 'round-trip' ? this.packetRoundTrip : mode === 'pipelined' ? this.packetPipelined : this.packetAggregated
  }

  async start(replicaCount: number): Promise<void> {
    await Promise.all(this.admin.clients.map((redis) => redis.flushall()))
    this.memoryBaseline = await this.usedMemory()
    for (let i = 0; i < replicaCount; i++) this.replicas.push(new RedisReplica(await NodeConnections.open(this.topology, this.ports)))
  }

  private async usedMemory(): Promise<number> {
    const infos = await Promise.all(this.admin.clients.map((redis) => redis.info('memory')))
    return infos.reduce((sum, info) => sum + usedMemory(info), 0)
  }

  private readonly packetRoundTrip = (replica: number, flow: number, sizeBytes: number, matches: boolean): Promise<void> => {
    const batch = new CommandBatch(this.replicas[replica]!.connections)
    this.queue(batch, flow, sizeBytes, matches)
    return batch.exec()
  }

  private readonly packetPipelined = (replica: number, flow: number, sizeBytes: number, matches: boolean): void => {
    this.queue(this.replicas[replica]!.queued, flow, sizeBytes, matches)
  }

  private readonly packetAggregated = (replica: number, flow: number, sizeBytes: number, matches: boolean): void => {
    this.replicas[replica]!.buffer.add(this.redisKeys[flow]!, sizeBytes, matches)
  }

  private queue(batch: CommandBatch, flow: number, sizeBytes: number, matches: boolean): void {
    const key = this.redisKeys[flow]!
    batch.incrby(PACKETS, 1)
    batch.hincrby(key, 'p', 1)
    batch.hincrby(key, 'b', sizeBytes)
    if (matches) {
      batch.incrby(MATCHES, 1)
      batch.hincrby(key, 'm', 1)
    }
  }

  async sync(replica: number): Promise<void> {
    const state = this.replicas[replica]!
    if (this.mode === 'pipelined') {
      await state.queued.exec()
    } else if (this.mode === 'aggregated') {
      const batch = new CommandBatch(state.connections)
      const buffer = state.buffer
      if (buffer.packets > 0) batch.incrby(PACKETS, buffer.packets)
      if (buffer.matches > 0) batch.incrby(MATCHES, buffer.matches)
      buffer.drain((key, packets, bytes, matches) => {
        batch.hincrby(key, 'p', packets)
        batch.hincrby(key, 'b', bytes)
        if (matches > 0) batch.hincrby(key, 'm', matches)
      })
      await batch.exec()
    }
  }

  settle(): void {}

  async globalPackets(replica: number): Promise<number> {
    return Number(await this.replicas[replica]!.connections.clientFor(PACKETS).get(PACKETS) ?? 0)
  }

  async flowPackets(replica: number, flow: number): Promise<number> {
    const key = this.redisKeys[flow]!
    return Number(await this.replicas[replica]!.connections.clientFor(key).hget(key, 'p') ?? 0)
  }

  async flowCounts(replica: number, flow: number): Promise<FlowCounts> {
    const key = this.redisKeys[flow]!
    const [packets, bytes, matches] = await this.replicas[replica]!.connections.clientFor(key).hmget(key, 'p', 'b', 'm')
    return { packets: Number(packets ?? 0), bytes: Number(bytes ?? 0), matches: Number(matches ?? 0) }
  }

  wireBytes(): number {
    let bytes = this.leftBytes
    for (const replica of this.replicas) if (replica !== null) bytes += replica.connections.wireBytes()
    return bytes
  }

  /** The state stays in Redis: a joiner connects (reading the slot map in a cluster) and reads the global count. */
  async join(): Promise<number> {
    const joiner = new RedisReplica(await NodeConnections.open(this.topology, this.ports))
    this.replicas.push(joiner)
    const index = this.replicas.length - 1
    await this.globalPackets(index)
    return index
  }

  async leave(replica: number): Promise<void> {
    await this.sync(replica)
    const state = this.replicas[replica]!
    this.replicas[replica] = null
    this.leftBytes += state.connections.wireBytes()
    await state.connections.close()
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async serverMemoryBytes(): Promise<number> {
    return await this.usedMemory() - this.memoryBaseline
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) if (replica !== null) await replica.connections.close()
    await this.admin.close()
  }
}

function endpoints(options: SystemOptions): RedisEndpoints {
  if (!options.redis) throw new Error('the Redis systems need the servers the harness starts (run them through bench/run.ts)')
  return options.redis
}

export const redis: SystemModule = {
  async create(sequence: PacketSequence, options: SystemOptions) {
    const { topology, mode } = options.variant
    if (topology !== 'central' && topology !== 'cluster') throw new RangeError(`Redis topology must be central or cluster, got ${topology}`)
    if (mode !== 'round-trip' && mode !== 'pipelined' && mode !== 'aggregated') throw new RangeError(`Redis mode must be round-trip, pipelined or aggregated, got ${mode}`)
    const redisEndpoints = endpoints(options)
    const ports = topology === 'central' ? [redisEndpoints.central] : redisEndpoints.cluster
    // An administrative connection per node, outside the replicas' byte counts, for FLUSHALL and INFO.
    const admin = await NodeConnections.open(topology, ports)
    const system = new RedisSystem(sequence.keys.map((key) => `f:${key}`), topology, ports, mode, admin)
    await system.start(sequence.parameters.replicas)
    return system
  },
}
