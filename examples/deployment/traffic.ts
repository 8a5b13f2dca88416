/**
 * The traffic source: packets of `flows` flows, the flow of each drawn Zipf(1.1) and its size
 * from {64, 576, 1500} bytes, one in fifteen "matching", as ../shared/WORKLOAD.md defines the
 * nf-monitor workload. Seeded, so a run's packet sequence replays from its seed.
 */
import { createRandom, flowKeyOf, packetSize, sampleZipf, zipfTable, type Random } from '../../bench/workload.js'

const ZIPF_EXPONENT = 1.1
const MATCH_PROBABILITY = 1 / 15

export class TrafficSource {
  /** The 5-tuple key of every flow, by flow number (what the load balancer hashes). */
  readonly flowKeys: string[]
  private readonly cdf: Float64Array
  private readonly random: Random
  /** The last packet drawn by `next()`. */
  flow = 0
  sizeBytes = 0
  matches = false

  constructor(flows: number, seed: number) {
    this.cdf = zipfTable(flows, ZIPF_EXPONENT)
    this.random = createRandom(seed)
    this.flowKeys = Array.from({ length: flows }, (_, flow) => flowKeyOf(flow))
  }

  /** Draws the next packet into `flow`, `sizeBytes` and `matches` (no allocation per packet). */
  next(): void {
    this.flow = sampleZipf(this.cdf, this.random)
    this.sizeBytes = packetSize(this.random)
    this.matches = this.random.next() < MATCH_PROBABILITY
  }
}
