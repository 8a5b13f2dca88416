/**
 * Every system the harness compares, in report order. Each runs in its own child process
 * (child.ts), which loads only its module.
 */
import type { SystemModule } from './system.js'

export type Family = 'elastic-state' | 'floor' | 'crdt' | 'redis'

export interface SystemEntry {
  id: string
  label: string
  family: Family
  /** One line on how the system does the workload, for the report. */
  how: string
  variant: Record<string, string>
  /** Runs at the reduced P of `automergePackets`. */
  reducedPackets?: boolean
  needsRedis?: boolean
  load(): Promise<SystemModule>
}

const redisModes = {
  'round-trip': 'the commands of each packet in one pipeline per node, awaited: a round trip per packet',
  pipelined: 'the commands of B packets queued and sent as one pipeline per node at each sync',
  aggregated: 'increments summed locally and sent as one HINCRBY/INCRBY per changed key at each sync',
} as const

function redisEntries(topology: 'central' | 'cluster'): SystemEntry[] {
  return (Object.keys(redisModes) as (keyof typeof redisModes)[]).map((mode) => ({
    id: topology === 'central' ? `redis-${mode}` : `redis-cluster-${mode}`,
    label: `${topology === 'central' ? 'Redis' : 'Redis Cluster'} (${mode})`,
    family: 'redis',
    how: `${topology === 'central' ? 'one redis-server' : 'a 3-master Redis Cluster'} on loopback; ${redisModes[mode]}`,
    variant: { topology, mode },
    needsRedis: true,
    load: async () => (await import('./systems/redis.js')).redis,
  }))
}

export const SYSTEMS: SystemEntry[] = [
  {
    id: 'elastic-state',
    label: 'elastic-state',
    family: 'elastic-state',
    how: 'in-process replicas of examples/traffic-monitor.ts; a sync is one gossip round (flush) handed over in memory',
    variant: {},
    load: async () => (await import('./systems/elastic-state.js')).elasticState,
  },
  {
    id: 'elastic-state-ws',
    label: 'elastic-state (WebSockets)',
    family: 'elastic-state',
    how: 'the same replicas, each with a webSocketTransport on 127.0.0.1 in this process; a sync ends when every peer has applied it',
    variant: {},
    load: async () => (await import('./systems/elastic-state-websocket.js')).elasticStateWebSocket,
  },
  {
    id: 'floor',
    label: 'plain-JS floor',
    family: 'floor',
    how: 'Map of flow key to slot, typed-array counters, hand-written delta with the key string per changed flow',
    variant: {},
    load: async () => (await import('./systems/floor.js')).floor,
  },
  {
    id: 'yjs-v1',
    label: 'Yjs (update v1)',
    family: 'crdt',
    how: 'a Y.Map per replica, increments buffered and written once per sync; v1 updates',
    variant: { encoding: 'v1' },
    load: async () => (await import('./systems/yjs.js')).yjs,
  },
  {
    id: 'yjs-v2',
    label: 'Yjs (update v2)',
    family: 'crdt',
    how: 'a Y.Map per replica, increments buffered and written once per sync; v2 updates',
    variant: { encoding: 'v2' },
    load: async () => (await import('./systems/yjs.js')).yjs,
  },
  {
    id: 'loro',
    label: 'Loro',
    family: 'crdt',
    how: 'LoroCounter per field in a mergeable map per flow, incremented per packet; a sync exports the replica\'s own operations since its last one; each replica in its own instance of the WebAssembly module, as in a process of its own',
    variant: {},
    load: async () => (await import('./systems/loro.js')).loro,
  },
  {
    id: 'automerge',
    label: 'Automerge',
    family: 'crdt',
    how: 'Counter per field, flows sharded into 256 nested maps, one change per packet; a sync sends the replica\'s own changes (saveSince, loadIncremental)',
    variant: {},
    reducedPackets: true,
    load: async () => (await import('./systems/automerge.js')).automerge,
  },
  ...redisEntries('central'),
  ...redisEntries('cluster'),
]

export function systemEntry(id: string): SystemEntry {
  const entry = SYSTEMS.find((system) => system.id === id)
  if (!entry) throw new RangeError(`unknown system ${id}; known: ${SYSTEMS.map((system) => system.id).join(', ')}`)
  return entry
}
