/**
 * The load-balancer example: its state (pool, sticky sessions, load per instance) converges
 * under every fault and scale event, sessions included when instances race to open one, and its
 * scenario keeps every client on its backend unless that backend leaves the pool.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkConvergence, op } from 'elastic-state/testing'
import { addBackend, removeBackend, route } from '../../examples/lb/balancer.js'
import { runBalancerScenario } from '../../examples/lb/scenario.js'
import { LoadBalancer, type BalancerState } from '../../examples/lb/state.js'

const backend = fc.constantFrom('b1', 'b2', 'b3')

describe('load balancer example', () => {
  it('converges under loss, partitions, crashes and scaling', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31)
    const property = checkConvergence(LoadBalancer, [
      op('request', fc.constantFrom('198.51.100.1', '198.51.100.2', '198.51.100.3'), (state: BalancerState, client) => { route(state, client) }),
      op('addBackend', backend, (state: BalancerState, name) => addBackend(state, name)),
      op('removeBackend', backend, (state: BalancerState, name) => removeBackend(state, name)),
      op('load', fc.integer({ min: 0, max: 50 }), (state: BalancerState, load) => state.load.set(load)),
    ], { seed, numRuns: 50 })
    await expect(property.assert(), `seed ${seed}`).resolves.toBeUndefined()
  })

  it.each([1, 2, 3])('scenario, seed %i: sessions stay on their backend through scale-out and scale-in', async (seed) => {
    const { checks } = await runBalancerScenario(seed)
    expect(checks).toEqual(Object.fromEntries(Object.keys(checks).map((check) => [check, true])))
  })
})
