/**
 * The rate-limiter example: its state converges under every fault and scale event while clients
 * are admitted or refused by the replicas' clocks and windows expire, and its scenario holds the
 * limit across instances.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkConvergence, op } from 'elastic-state/testing'
import { admit } from '../../examples/rate-limiter/limiter.js'
import { runRateLimiterScenario } from '../../examples/rate-limiter/scenario.js'
import { RateLimiter, type RateLimiterState } from '../../examples/rate-limiter/state.js'

describe('rate limiter example', () => {
  it('converges under loss, partitions, crashes and scaling', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31)
    const property = checkConvergence(RateLimiter, [
      op('request', fc.constantFrom('alice', 'bob'), (state: RateLimiterState, client, { nowMs }) => { admit(state, client, nowMs) }),
      op('setLimit', fc.integer({ min: 0, max: 5 }), (state: RateLimiterState, limit) => state.limit.set(limit)),
    ], { seed, numRuns: 50 })
    await expect(property.assert(), `seed ${seed}`).resolves.toBeUndefined()
  })

  it.each([1, 2, 3])('scenario, seed %i: the limit holds across instances, within one gossip round', async (seed) => {
    const { checks, admitted } = await runRateLimiterScenario(seed)
    expect(checks, JSON.stringify([...admitted])).toEqual(Object.fromEntries(Object.keys(checks).map((check) => [check, true])))
  })
})
