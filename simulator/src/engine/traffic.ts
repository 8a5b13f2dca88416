/**
 * The traffic source: packets of many flows with Zipf-distributed popularity, from a seeded
 * generator, so a run's traffic is a pure function of its seed and settings.
 */
import { flowKey } from 'elastic-state'
import type { TrafficSettings } from '../protocol.js'

export const MAX_FLOWS = 10_000
export const MAX_RATE = 100_000
const PACKET_SIZES = [64, 576, 1500] as const
/** Roughly one packet in fifteen matches the monitor's signature, as in the E-State experiments. */
const MATCH_ONE_IN = 15

/** The key of flow number `index`: a TCP 5-tuple towards one service address. */
export function flowKeyOf(index: number): string {
  return flowKey({ src: `10.0.${index >> 8}.${index & 255}`, sport: 1024 + ((index * 7919) % 60_000), dst: '10.1.0.1', dport: 443, proto: 6 })
}

/** Clamp what a user typed to what the source supports. */
export function clampTraffic(settings: TrafficSettings): TrafficSettings {
  const finite = (value: number, fallback: number) => (Number.isFinite(value) ? value : fallback)
  return {
    rate: Math.min(MAX_RATE, Math.max(0, Math.round(finite(settings.rate, 0)))),
    flows: Math.min(MAX_FLOWS, Math.max(1, Math.round(finite(settings.flows, 1)))),
    skew: Math.min(3, Math.max(0, finite(settings.skew, 0))),
    enabled: settings.enabled,
  }
}

export class TrafficSource {
  settings: TrafficSettings
  /** Flow keys by flow number, built once per number. */
  readonly keys: string[] = []
  private cumulative = new Float64Array(0)
  /** Fraction of a packet carried from one step to the next, so low rates are exact on average. */
  private carry = 0

  constructor(private readonly random: () => number, settings: TrafficSettings) {
    this.settings = clampTraffic(settings)
    this.rebuild()
  }

  configure(settings: TrafficSettings): void {
    const next = clampTraffic(settings)
    const reshaped = next.flows !== this.settings.flows || next.skew !== this.settings.skew
    this.settings = next
    if (reshaped) this.rebuild()
  }

  /** Packets to send during `stepMs` virtual ms at the current rate. */
  packetsIn(stepMs: number): number {
    if (!this.settings.enabled) {
      this.carry = 0
      return 0
    }
    const exact = (this.settings.rate * stepMs) / 1000 + this.carry
    const whole = Math.floor(exact)
    this.carry = exact - whole
    return whole
  }

  /** A flow number drawn by popularity: binary search of the cumulative Zipf weights. */
  nextFlow(): number {
    const target = this.random() * this.cumulative[this.cumulative.length - 1]!
    let low = 0
    let high = this.cumulative.length - 1
    while (low < high) {
      const middle = (low + high) >> 1
      if (this.cumulative[middle]! < target) low = middle + 1
      else high = middle
    }
    return low
  }

  nextSizeBytes(): number {
    return PACKET_SIZES[Math.floor(this.random() * PACKET_SIZES.length)]!
  }

  nextMatches(): boolean {
    return Math.floor(this.random() * MATCH_ONE_IN) === 0
  }

  private rebuild(): void {
    const { flows, skew } = this.settings
    this.cumulative = new Float64Array(flows)
    let total = 0
    for (let index = 0; index < flows; index++) {
      total += 1 / (index + 1) ** skew
      this.cumulative[index] = total
    }
    for (let index = this.keys.length; index < flows; index++) this.keys.push(flowKeyOf(index))
  }
}
