/**
 * The flow-hashing load balancer in front of the instances: rendezvous hashing of each flow's
 * key over the instances currently serving (../load-balancer.ts). The choice per flow is cached
 * and the cache is dropped whenever the serving set changes, so the hash runs once per flow per
 * scale event instead of once per packet.
 */
import { pickInstance } from '../load-balancer.js'

export class FlowBalancer {
  private serving: string[] = []
  /** Per flow number: index into `serving`, or -1 when not chosen yet. */
  private readonly routes: Int32Array

  constructor(private readonly flowKeys: readonly string[]) {
    this.routes = new Int32Array(flowKeys.length).fill(-1)
  }

  get instances(): readonly string[] {
    return this.serving
  }

  /** Starts routing flows to `id` too (some flows move to it, the others stay where they were). */
  add(id: string): void {
    if (this.serving.includes(id)) return
    this.serving = [...this.serving, id].sort()
    this.routes.fill(-1)
  }

  /** Stops routing to `id` at once: its flows move to the remaining instances from the next packet. */
  remove(id: string): void {
    if (!this.serving.includes(id)) return
    this.serving = this.serving.filter((serving) => serving !== id)
    this.routes.fill(-1)
  }

  /** The serving instance for a flow, or undefined when none serves. */
  route(flow: number): string | undefined {
    if (this.serving.length === 0) return undefined
    let index = this.routes[flow]!
    if (index < 0) {
      index = this.serving.indexOf(pickInstance(this.flowKeys[flow]!, this.serving))
      this.routes[flow] = index
    }
    return this.serving[index]
  }
}
