import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { counter, defineState, type StateHandles } from '../../src/index.js'
import { op } from '../../src/testing/index.js'
import { convergenceCases } from '../../src/testing/schedule.js'
import { randomSeed } from './support.js'

const State = defineState({ hits: counter() })
const hit = op('hit', fc.nat(3), (state: StateHandles<typeof State.fields>, n) => state.hits.increment(n))
const all = { loss: 0.2, duplicate: 0.1, reorder: true, partitions: true, crashes: true, scaling: true }

describe('convergence schedules', () => {
  it('leave out the faults and scale events switched off', () => {
    const seed = randomSeed()
    const calm = fc.sample(convergenceCases(hit, { ...all, loss: 0, duplicate: 0, reorder: false, partitions: false, crashes: false, scaling: false }, 3, 30), { seed, numRuns: 100 })
    for (const schedule of calm) {
      const text = fc.stringify(schedule)
      expect(text, `seed ${seed}`).not.toMatch(/partition|heal|crash|restart|spawn|leave|reordering/)
      expect(schedule.network.loss + schedule.network.duplicate, `seed ${seed}: ${text}`).toBe(0)
    }
  })

  it('contain every fault and scale event when all are on, within the bounds', () => {
    const seed = randomSeed()
    const stormy = fc.sample(convergenceCases(hit, all, 3, 30), { seed, numRuns: 200 })
    const kinds = new Set(stormy.flatMap((schedule) => schedule.steps.map((step) => step.kind)))
    expect([...kinds].sort(), `seed ${seed}`).toEqual(['advance', 'crash', 'flush', 'heal', 'leave', 'partition', 'restart', 'spawn', 'write'])
    for (const schedule of stormy) {
      expect(schedule.replicas).toBeGreaterThanOrEqual(2)
      expect(schedule.replicas).toBeLessThanOrEqual(3)
      expect(schedule.steps.length).toBeLessThanOrEqual(30)
      expect(schedule.network.loss).toBeLessThanOrEqual(0.2)
      expect(schedule.network.duplicate).toBeLessThanOrEqual(0.1)
    }
  })

  it('print as the steps they take', () => {
    const [schedule] = fc.sample(convergenceCases(hit, all, 2, 3), { seed: 1, numRuns: 1 })
    expect(fc.stringify(schedule)).toMatch(/^2 replicas; network seed \d+, latency \d+–\d+ ms, loss 0\.\d{3}, duplicate 0\.\d{3}, (reordering|in order); steps: .+$/)
  })
})
