import { expect, it } from 'vitest'
import { counter, defineState, set } from '../../src/schema.js'
import { createSimulation } from '../../src/sim/index.js'

// The simulation driving the real replica runtime (simulation.test.ts pins the simulation's
// own behaviour against a toy replica).
const Monitor = defineState({ packets: counter(), blocked: set<string>() })

async function scenario(seed: number) {
  const sim = createSimulation({ seed, latencyMs: [1, 20], loss: 0.1, duplicate: 0.05 })
  const replicas = [sim.spawn(Monitor), sim.spawn(Monitor), sim.spawn(Monitor), sim.spawn(Monitor, { id: 'x' })]
  replicas.forEach((replica, index) => replica.state.packets.increment(index + 1))
  replicas[0]!.state.blocked.add('10.0.0.1')
  const convergedAfterMs = sim.runUntilConverged()
  replicas[3]!.state.packets.increment(100)
  const leaveStartMs = sim.now()
  await replicas[3]!.leave()
  const leaveTookMs = sim.now() - leaveStartMs
  sim.runUntilConverged()
  return {
    convergedAfterMs,
    leaveTookMs,
    nowMs: sim.now(),
    stats: sim.network.stats(),
    snapshots: sim.replicas().map((replica) => [replica.id, replica.snapshot()]),
  }
}

it.each([1, 5, 42])('runs replicas deterministically from seed %i, and an awaited leave() hands off', async (seed) => {
  const run = await scenario(seed)
  expect(run.snapshots.map(([id]) => id)).toEqual(['r1', 'r2', 'r3'])
  expect(run.snapshots[0]![1]).toEqual({ blocked: ['10.0.0.1'], packets: 110 })
  expect(run.leaveTookMs).toBeGreaterThan(0)
  expect(await scenario(seed), `seed ${seed}`).toEqual(run)
  expect(await scenario(seed + 1)).not.toEqual(run)
})
