/**
 * The packet sequence of the nf-monitor workload (../shared/WORKLOAD.md), generated from its seed
 * before any timing starts, with the true per-flow counts the end-of-run check compares against.
 */
import { createRandom, flowKeyOf, packetSize, sampleZipf, zipfTable } from './workload.js'

export interface WorkloadParameters {
  /** F: flows. */
  flows: number
  /** P: packets. */
  packets: number
  /** R: replicas. */
  replicas: number
  /** B: packets a replica processes between two syncs. */
  syncEvery: number
  seed: number
}

export const ZIPF_EXPONENT = 1.1
export const MATCH_PROBABILITY = 1 / 15

export interface PacketSequence {
  readonly parameters: WorkloadParameters
  /** Key (5-tuple string) of each flow. */
  readonly keys: string[]
  /** Per packet: flow number, size in bytes, 1 when it matches. */
  readonly flowOf: Int32Array
  readonly sizeOf: Uint16Array
  readonly matchOf: Uint8Array
  /** Replica a flow's packets go to: hash(key) % R, as a flow-hashing load balancer does. */
  readonly replicaOfFlow: Uint16Array
  /** True totals per flow. */
  readonly flowPackets: Float64Array
  readonly flowBytes: Float64Array
  readonly flowMatches: Float64Array
  readonly totalMatches: number
  /** Flows that received at least one packet. */
  readonly flowsSeen: number
  /** Flows the end-of-run check reads on every replica. */
  readonly checkedFlows: number[]
  /** Flows read in the per-flow read-latency loop, drawn as packets draw them. */
  readonly readFlows: Int32Array
}

/** FNV-1a over the key's UTF-16 code units: the load balancer's flow hash. */
export function flowHash(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

const CHECKED_TOP_FLOWS = 10
const CHECKED_RANDOM_FLOWS = 90
const CHECKED_UNSEEN_FLOWS = 5
const READ_FLOWS = 1024

export function generatePackets(parameters: WorkloadParameters): PacketSequence {
  const { flows, packets, replicas, seed } = parameters
  const cdf = zipfTable(flows, ZIPF_EXPONENT)
  const random = createRandom(seed)
  const keys = Array.from({ length: flows }, (_, flow) => flowKeyOf(flow))
  const flowOf = new Int32Array(packets)
  const sizeOf = new Uint16Array(packets)
  const matchOf = new Uint8Array(packets)
  const flowPackets = new Float64Array(flows)
  const flowBytes = new Float64Array(flows)
  const flowMatches = new Float64Array(flows)
  let totalMatches = 0
  for (let i = 0; i < packets; i++) {
    const flow = sampleZipf(cdf, random)
    const size = packetSize(random)
    const matches = random.next() < MATCH_PROBABILITY
    flowOf[i] = flow
    sizeOf[i] = size
    flowPackets[flow]! += 1
    flowBytes[flow]! += size
    if (matches) {
      matchOf[i] = 1
      flowMatches[flow]! += 1
      totalMatches++
    }
  }
  const replicaOfFlow = new Uint16Array(flows)
  for (let flow = 0; flow < flows; flow++) replicaOfFlow[flow] = flowHash(keys[flow]!) % replicas
  const seen: number[] = []
  const unseen: number[] = []
  for (let flow = 0; flow < flows; flow++) (flowPackets[flow]! > 0 ? seen : unseen).push(flow)
  // A separate stream, so the choice of checked flows does not shift the packet sequence.
  const pick = createRandom(seed + 0x5eed)
  const checked = new Set<number>(seen.slice(0, CHECKED_TOP_FLOWS))
  for (let tries = 0; checked.size < Math.min(seen.length, CHECKED_TOP_FLOWS + CHECKED_RANDOM_FLOWS) && tries < 100 * CHECKED_RANDOM_FLOWS; tries++) {
    checked.add(seen[Math.floor(pick.next() * seen.length)]!)
  }
  for (let i = 0; i < Math.min(unseen.length, CHECKED_UNSEEN_FLOWS); i++) checked.add(unseen[Math.floor(pick.next() * unseen.length)]!)
  const readFlows = new Int32Array(READ_FLOWS)
  for (let i = 0; i < READ_FLOWS; i++) readFlows[i] = flowOf[Math.floor(pick.next() * packets)]!
  return {
    parameters, keys, flowOf, sizeOf, matchOf, replicaOfFlow, flowPackets, flowBytes, flowMatches, totalMatches,
    flowsSeen: seen.length, checkedFlows: [...checked].sort((a, b) => a - b), readFlows,
  }
}
