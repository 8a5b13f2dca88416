/**
 * A flow-hashing load balancer: every packet of a flow goes to the same instance while the set
 * of instances is unchanged. Rendezvous hashing (Thaler & Ravishankar, 1998) moves only the flows
 * of the instances that come or go on a scale event.
 */
import { fnv1a32String } from '../crdts/hash.js'

export function pickInstance(flow: string, instances: readonly string[]): string {
  let best = instances[0]!
  let bestScore = -1
  for (const instance of instances) {
    const score = fnv1a32String(`${instance}|${flow}`)
    if (score > bestScore) {
      bestScore = score
      best = instance
    }
  }
  return best
}
