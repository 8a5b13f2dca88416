/**
 * One replica's connections to Redis: a client per node (one for a central server, one per
 * master of a cluster), routing each key to the node that owns its slot, and batches that send
 * commands as one pipeline per node. ioredis' own Cluster client refuses a pipeline whose keys
 * live on different nodes, so batches are routed here by the slot map read with CLUSTER SLOTS.
 */
import { Redis, type ChainableCommander } from 'ioredis'
import { SLOTS, keySlot } from './key-slot.js'

export type Topology = 'central' | 'cluster'

function client(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false })
  // Errors surface through the rejected commands; a connection error with no command pending is not ours to report twice.
  redis.on('error', () => {})
  return redis
}

export class NodeConnections {
  private constructor(readonly clients: Redis[], private readonly nodeOfSlot: Uint8Array | null) {}

  static async open(topology: Topology, ports: number[]): Promise<NodeConnections> {
    const clients = ports.map(client)
    await Promise.all(clients.map((redis) => redis.connect()))
    if (topology === 'central') return new NodeConnections(clients, null)
    const nodeOfSlot = new Uint8Array(SLOTS).fill(255)
    const ranges = await clients[0]!.call('CLUSTER', 'SLOTS') as [number, number, [string, number, ...unknown[]], ...unknown[]][]
    for (const [start, end, [, port]] of ranges) {
      const node = ports.indexOf(Number(port))
      if (node < 0) throw new Error(`CLUSTER SLOTS names port ${port}, not one of ${ports.join(', ')}`)
      nodeOfSlot.fill(node, start, end + 1)
    }
    if (nodeOfSlot.includes(255)) throw new Error('CLUSTER SLOTS leaves slots unassigned')
    return new NodeConnections(clients, nodeOfSlot)
  }

  nodeOf(key: string): number {
    return this.nodeOfSlot === null ? 0 : this.nodeOfSlot[keySlot(key)]!
  }

  clientFor(key: string): Redis {
    return this.clients[this.nodeOf(key)]!
  }

  /** Bytes written and read on these connections so far. */
  wireBytes(): number {
    let bytes = 0
    for (const redis of this.clients) bytes += (redis.stream?.bytesWritten ?? 0) + (redis.stream?.bytesRead ?? 0)
    return bytes
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((redis) => redis.quit()))
  }
}

/** Commands collected per node, sent as one pipeline per node. */
export class CommandBatch {
  private pipelines: (ChainableCommander | undefined)[] = []
  private commands = 0

  constructor(private readonly connections: NodeConnections) {}

  private pipeline(key: string): ChainableCommander {
    const node = this.connections.nodeOf(key)
    this.commands++
    return (this.pipelines[node] ??= this.connections.clients[node]!.pipeline())
  }

  incrby(key: string, increment: number): void {
    this.pipeline(key).incrby(key, increment)
  }

  hincrby(key: string, field: string, increment: number): void {
    this.pipeline(key).hincrby(key, field, increment)
  }

  get size(): number {
    return this.commands
  }

  /** Sends every node's pipeline at once and waits for all answers; throws the first command error. */
  async exec(): Promise<void> {
    const pipelines = this.pipelines
    this.pipelines = []
    this.commands = 0
    const results = await Promise.all(pipelines.filter((pipeline) => pipeline !== undefined).map((pipeline) => pipeline.exec()))
    for (const replies of results) {
      if (replies === null) throw new Error('a Redis pipeline was discarded')
      for (const [error] of replies) if (error) throw error
    }
  }
}
