/**
 * A condensed global view of a traffic monitor, so the orchestrator can tell whether instances
 * agree without shipping their whole flow tables: the counters, the flow count, per-flow sums,
 * and an order-independent hash over every flow's key and global counts.
 */
import type { MonitorReplica } from '../traffic-monitor.js'
import type { StateDigest } from './control.js'

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

function mixString(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME)
  return hash
}

function mixNumber(hash: number, value: number): number {
  // Counts stay far below 2^53; the low and high 32-bit halves both go in.
  hash = Math.imul(hash ^ (value >>> 0), FNV_PRIME)
  return Math.imul(hash ^ Math.floor(value / 2 ** 32), FNV_PRIME)
}

export function stateDigest(replica: MonitorReplica): StateDigest {
  const state = replica.state
  let flowPackets = 0
  let flowBytes = 0
  let flowMatches = 0
  let flowHash = 0
  for (const [key, entry] of state.flows) {
    const packets = entry.packets.global
    const bytes = entry.bytes.global
    const matches = entry.matches.global
    flowPackets += packets
    flowBytes += bytes
    flowMatches += matches
    let hash = mixString(FNV_OFFSET, String(key))
    hash = mixNumber(hash, packets)
    hash = mixNumber(hash, bytes)
    hash = mixNumber(hash, matches)
    // Adding the per-flow hashes makes the result independent of the iteration order.
    flowHash = (flowHash + (hash >>> 0)) >>> 0
  }
  return {
    type: 'digest', packets: state.packets.global, matches: state.matches.global, flows: state.flows.size,
    flowPackets, flowBytes, flowMatches, flowHash,
  }
}
