/**
 * The load-balancer scenario shared by `main.ts` and its test, on the simulated network with
 * frame loss. Two instances balance 200 clients over three backends; an upstream router sends
 * each client to one instance by hashing its address. Then an operator adds a backend, the
 * deployment scales out to a third instance (a third of the clients reach a new instance), an
 * operator removes a backend, and an instance leaves.
 *
 * Checks: a client changes backend only when its backend left the pool, through every scale
 * event; new clients use the added backend; every instance agrees on every session; the load
 * summed over live instances is their own loads' sum.
 */
import * as prng from 'lib0/prng'
import { createSimulation, type Simulation } from 'elastic-state/sim'
import { pickInstance } from '../load-balancer.js'
import { addBackend, removeBackend, route } from './balancer.js'
import { LoadBalancer, type BalancerReplica } from './state.js'

export interface BalancerScenarioResult {
  sim: Simulation
  instances: BalancerReplica[]
  /** Clients whose backend changed, by reason. */
  moved: { backendRemoved: number; withoutReason: number }
  checks: Record<string, boolean>
}

const STEP_MS = 10

export async function runBalancerScenario(seed: number, log: (line: string) => void = () => {}): Promise<BalancerScenarioResult> {
  const sim = createSimulation({ seed, latencyMs: [1, 15], loss: 0.05 })
  const random = prng.create(seed)
  const instances: BalancerReplica[] = ['lb-1', 'lb-2'].map((id) => sim.spawn(LoadBalancer, { id }))
  for (const backend of ['b1', 'b2', 'b3']) addBackend(instances[0]!.state, backend)
  sim.runUntilConverged()
  const serving = instances.map((replica) => replica.id)
  const removed = new Set<string>()
  const lastBackend = new Map<string, string>()
  const moved = { backendRemoved: 0, withoutReason: 0 }
  let clientCount = 150
  const handled = new Map<string, number>()

  const traffic = (steps: number) => {
    for (let step = 0; step < steps; step++) {
      for (let i = 0; i < 30; i++) {
        const client = `198.51.100.${prng.int31(random, 0, clientCount - 1)}`
        const id = pickInstance(client, serving)
        const replica = instances.find((instance) => instance.id === id)!
        const backend = route(replica.state, client)!
        handled.set(id, (handled.get(id) ?? 0) + 1)
        const before = lastBackend.get(client)
        if (before !== undefined && before !== backend) {
          if (removed.has(before)) moved.backendRemoved++
          else moved.withoutReason++
        }
        lastBackend.set(client, backend)
      }
      sim.advance(STEP_MS)
      // Every 100 ms each instance publishes its load: requests it handled in that time.
      if (sim.now() % 100 < STEP_MS) {
        for (const replica of instances) replica.state.load.set(handled.get(replica.id) ?? 0)
        handled.clear()
      }
    }
  }

  traffic(50)
  addBackend(instances[1]!.state, 'b4')
  clientCount = 200
  log(`[${sim.now()} ms] lb-2: an operator adds backend b4; 50 new clients arrive`)
  traffic(50)
  const added = sim.spawn(LoadBalancer, { id: 'lb-3' })
  instances.push(added)
  const catchUpMs = sim.runUntilConverged()
  serving.push(added.id)
  log(`[${sim.now()} ms] scale-out: lb-3 joins, catches up in ${catchUpMs} ms, and the router sends a third of the clients to it`)
  traffic(50)
  removeBackend(instances[1]!.state, 'b2')
  removed.add('b2')
  log(`[${sim.now()} ms] lb-2: an operator removes backend b2`)
  traffic(50)
  const leaving = instances.shift()!
  serving.splice(serving.indexOf(leaving.id), 1)
  await leaving.leave()
  log(`[${sim.now()} ms] scale-in: lb-1 hands over and leaves; the router sends its clients to the others`)
  traffic(50)
  sim.advance(200)
  sim.runUntilConverged()

  const sessionsOn = (backend: string) => instances[0]!.state.sessions.keys().filter((client) => instances[0]!.state.sessions.get(client)?.backend.global === backend).length
  const load = instances[0]!.state.load
  const checks = {
    [`no client changed backend unless its backend was removed (${moved.backendRemoved} moved off b2)`]: moved.withoutReason === 0 && moved.backendRemoved > 0,
    [`new clients use the added backend (${sessionsOn('b4')} sessions on b4)`]: sessionsOn('b4') > 0,
    'every instance agrees on every session': sim.converged(),
    'the load over live instances is the sum of their loads': load.global === [...load.byInstance().values()].reduce((sum, value) => sum + value, 0)
      && [...load.byInstance().keys()].join() === instances.map((replica) => replica.id).join(),
  }
  return { sim, instances, moved, checks }
}
