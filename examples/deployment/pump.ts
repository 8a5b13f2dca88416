/**
 * The paced traffic loop of the orchestrator: every tick it draws the packets due at the target
 * rate, routes each through the flow balancer to a serving instance, and sends one batch per
 * instance. It keeps the run's books: packets (and bytes, matches) sent, acknowledged, and lost
 * in flight to an instance that died.
 *
 * When more than `maxInFlightPackets` are unacknowledged the instances are behind: the packets
 * due are then held back (not generated), as a source facing a full queue would, and counted.
 */
import { FlowBalancer } from './balancer.js'
import { DataLink, type Totals, addTotals, zeroTotals } from './data-link.js'
import type { TrafficSource } from './traffic.js'

export interface PumpOptions {
  packetsPerSecond: number
  tickMs: number
  batchPackets: number
  maxInFlightPackets: number
}

export class TrafficPump {
  readonly sent = zeroTotals()
  readonly acked = zeroTotals()
  /** In flight to an instance when it died, or sent while its connection was already down. */
  readonly lost = zeroTotals()
  /** Packets due while the instances were behind, or while no instance served. */
  heldBack = 0
  readonly balancer: FlowBalancer
  private readonly links = new Map<string, DataLink>()
  private timer: NodeJS.Timeout | null = null
  private startedAt = 0
  private stoppedAt = 0
  private due = 0
  private nextBatchId = 1

  constructor(private readonly source: TrafficSource, private readonly options: PumpOptions,
    private readonly onLinkLost: (id: string, reason: string) => void) {
    this.balancer = new FlowBalancer(source.flowKeys)
  }

  /** How long traffic flowed (so far, while it still flows). */
  get trafficMs(): number {
    if (this.startedAt === 0) return 0
    return (this.timer ? performance.now() : this.stoppedAt) - this.startedAt
  }

  get packetsInFlight(): number {
    let total = 0
    for (const link of this.links.values()) total += link.packetsInFlight
    return total
  }

  link(id: string): DataLink | undefined {
    return this.links.get(id)
  }

  /** Connects to an instance's intake and starts routing flows to it. */
  async attach(id: string, dataPort: number): Promise<void> {
    const link = new DataLink(id, this.options.batchPackets, {
      acked: (batch) => addTotals(this.acked, batch),
      lost: (reason) => {
        if (this.links.get(id) !== link) return
        this.detach(id)
        this.onLinkLost(id, reason)
      },
    })
    await link.connect(dataPort)
    this.links.get(id)?.abandon()
    this.links.set(id, link)
    this.balancer.add(id)
  }

  /** Stops routing to `id` at once; what was in flight to it is lost (it will never be acknowledged). */
  detach(id: string): Totals {
    this.balancer.remove(id)
    const link = this.links.get(id)
    this.links.delete(id)
    const lost = link ? link.abandon() : zeroTotals()
    addTotals(this.lost, lost)
    return lost
  }

  /**
   * Stops routing to `id`, then waits until every batch sent to it is acknowledged.
   * @returns false when that took longer than `timeoutMs` (what is still in flight counts as lost).
   */
  async drain(id: string, timeoutMs: number): Promise<boolean> {
    this.balancer.remove(id)
    const link = this.links.get(id)
    if (!link) return true
    const drained = await link.drained(timeoutMs)
    if (this.links.get(id) === link) this.detach(id)
    return drained
  }

  start(): void {
    if (this.timer) return
    this.startedAt = performance.now()
    this.due = 0
    this.timer = setInterval(() => this.tick(), this.options.tickMs)
  }

  stop(): void {
    if (!this.timer) return
    clearInterval(this.timer)
    this.timer = null
    this.stoppedAt = performance.now()
  }

  /** Resolves true once nothing is in flight to any instance, false after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all([...this.links.values()].map((link) => link.drained(timeoutMs)))
    return results.every(Boolean)
  }

  closeAll(): void {
    for (const link of this.links.values()) link.close()
    this.links.clear()
  }

  private tick(): void {
    const elapsedMs = performance.now() - this.startedAt
    const target = Math.floor((elapsedMs * this.options.packetsPerSecond) / 1000)
    // A late timer catches up by at most half a second's worth, so a long stall does not become a burst.
    const burstLimit = Math.ceil(this.options.packetsPerSecond / 2)
    let count = target - this.due
    if (count > burstLimit) {
      this.heldBack += count - burstLimit
      count = burstLimit
    }
    this.due = target
    if (count <= 0) return
    const serving = this.balancer.instances
    if (serving.length === 0 || this.packetsInFlight >= this.options.maxInFlightPackets) {
      this.heldBack += count
      return
    }
    const source = this.source
    for (let i = 0; i < count; i++) {
      source.next()
      const id = this.balancer.route(source.flow)!
      const link = this.links.get(id)!
      link.writer.add(source.flow, source.sizeBytes, source.matches)
      if (link.writer.full) this.sendBatch(link)
    }
    for (const id of serving) {
      const link = this.links.get(id)!
      if (link.writer.count > 0) this.sendBatch(link)
    }
  }

  private sendBatch(link: DataLink): void {
    const batch = link.sendBatch(this.nextBatchId++)
    addTotals(this.sent, batch)
    if (!batch.delivered) addTotals(this.lost, batch)
  }
}
