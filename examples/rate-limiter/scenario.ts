/**
 * The rate-limiter scenario shared by `main.ts` and its test: four instances behind a
 * round-robin load balancer on the simulated network with frame loss; a polite client stays
 * under its limit, a greedy one sends five times its limit, spread over every instance. Midway an
 * operator lowers the limit at one instance, and one instance leaves (scale-in). Per window, the
 * greedy client's admitted requests must stay near the limit (one gossip round of overshoot per
 * instance at most), and the polite client must never be refused.
 */
import { createSimulation, type Simulation } from 'elastic-state/sim'
import { admit } from './limiter.js'
import { RateLimiter, WINDOW_MS, type RateLimiterReplica } from './state.js'

export interface RateLimiterScenarioResult {
  sim: Simulation
  instances: RateLimiterReplica[]
  /** Per client, admitted requests per window. */
  admitted: Map<string, number[]>
  /** The limit in force in each window. */
  limits: number[]
  checks: Record<string, boolean>
}

export const GOSSIP = { intervalMs: 50 } as const
const STEP_MS = 10
const WINDOWS = 8

export async function runRateLimiterScenario(seed: number, log: (line: string) => void = () => {}): Promise<RateLimiterScenarioResult> {
  const sim = createSimulation({ seed, latencyMs: [1, 10], loss: 0.05 })
  const instances = ['rl-1', 'rl-2', 'rl-3', 'rl-4'].map((id) => sim.spawn(RateLimiter, { id, gossip: GOSSIP }))
  const clients = { polite: 40, greedy: 500 } as const
  const admitted = new Map<string, number[]>(Object.keys(clients).map((client) => [client, Array.from({ length: WINDOWS }, () => 0)]))
  const limits: number[] = []
  let politeRefused = 0
  let turn = 0
  // Start on a window boundary, so windows of the run are whole windows.
  sim.advance(WINDOW_MS - (sim.now() % WINDOW_MS))

  for (let window = 0; window < WINDOWS; window++) {
    if (window === 3) {
      instances[0]!.state.limit.set(60)
      log(`[window ${window}] rl-1: an operator lowers the limit to 60 requests per window`)
    }
    if (window === 5) {
      const leaving = instances.pop()!
      await leaving.leave()
      log(`[window ${window}] scale-in: ${leaving.id} hands over and leaves`)
    }
    limits.push(instances[0]!.state.limit.global)
    for (let elapsed = 0; elapsed < WINDOW_MS; elapsed += STEP_MS) {
      for (const [client, perWindow] of Object.entries(clients)) {
        const due = Math.round(perWindow * (elapsed + STEP_MS) / WINDOW_MS) - Math.round(perWindow * elapsed / WINDOW_MS)
        for (let i = 0; i < due; i++) {
          const replica = instances[turn++ % instances.length]!
          if (admit(replica.state, client, sim.now())) admitted.get(client)![window]!++
          else if (client === 'polite') politeRefused++
        }
      }
      sim.advance(STEP_MS)
    }
  }
  sim.runUntilConverged()

  const greedy = admitted.get('greedy')!
  const checks = {
    'the polite client is never refused': politeRefused === 0,
    [`the greedy client gets about its limit per window, at most ${Math.ceil(clients.greedy * GOSSIP.intervalMs / WINDOW_MS)} over (one gossip round of its requests)`]:
      greedy.every((count, window) => count <= limits[window]! + Math.ceil(clients.greedy * GOSSIP.intervalMs / WINDOW_MS) && count >= limits[window]! * 0.8),
    'every instance counts the same totals': instances.every((replica) => replica.state.allowed.global === instances[0]!.state.allowed.global),
  }
  return { sim, instances, admitted, limits, checks }
}
