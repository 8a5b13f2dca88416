/**
 * A flow-hashing load balancer: every packet of a flow goes to the same instance while the set
 * of instances is unchanged. Rendezvous hashing (Thaler & Ravishankar, 1998) moves only the
 * flows of the instances that come or go on a scale event.
 */
import { fnv1a32 } from './random.js'

export function rendezvousPick(flowKey: string, instances: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const instance of instances) {
    const score = fnv1a32(`${instance}|${flowKey}`)
    if (score > bestScore) {
      bestScore = score
      best = instance
    }
  }
  return best
}

/** Rendezvous hashing with the choice per flow remembered until the instance set changes. */
export class FlowBalancer {
  private instances: readonly string[] = []
  private readonly choice = new Map<number, string>()

  /** The instances packets may go to (running ones: a leaving instance is drained at once). */
  setInstances(instances: readonly string[]): void {
    if (instances.length === this.instances.length && instances.every((id, index) => id === this.instances[index])) return
    this.instances = [...instances]
    this.choice.clear()
  }

  /** The instance flow number `flow` (with key `key`) goes to, or `undefined` with none running. */
  pick(flow: number, key: string): string | undefined {
    let instance = this.choice.get(flow)
    if (instance === undefined) {
      instance = rendezvousPick(key, this.instances)
      if (instance !== undefined) this.choice.set(flow, instance)
    }
    return instance
  }
}
