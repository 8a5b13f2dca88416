/** Reads of a traffic-monitor replica's global view, shared by the elastic-state systems. */
import type { MonitorReplica } from '../../examples/traffic-monitor.js'
import type { FlowCounts } from '../system.js'

/** A flow's global packets (0 when the replica holds no such flow). */
export function flowPacketsOf(replica: MonitorReplica, key: string): number {
  return replica.state.flows.get(key)?.packets.global ?? 0
}

/** A flow's global packets, bytes and matches (zeros when the replica holds no such flow). */
export function flowCountsOf(replica: MonitorReplica, key: string): FlowCounts {
  const entry = replica.state.flows.get(key)
  return entry === undefined
    ? { packets: 0, bytes: 0, matches: 0 }
    : { packets: entry.packets.global, bytes: entry.bytes.global, matches: entry.matches.global }
}
