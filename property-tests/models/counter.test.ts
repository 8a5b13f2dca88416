/** Grow-only counter against the sequential reference: the sum of every increment ever made. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { globalValue, localValue } from '../../crdts/counter.js'
import { historyArbitrary, runHistory, syncToFixpoint } from '../harness/replica-sim.js'
import { checkProperty } from '../harness/runs.js'
import { counterAdapter } from '../harness/types/counter.js'

describe('counter against a sequential sum', () => {
  it('after all states are joined, global = sum of all increments and local = own increments', () => {
    checkProperty(fc.property(historyArbitrary(counterAdapter), (history) => {
      const own = history.ids.map(() => 0)
      for (const step of history.steps) if (step.kind === 'write') own[step.origin]! += step.op
      const total = own.reduce((a, b) => a + b, 0)
      const system = runHistory(counterAdapter, history, { finish: false })
      for (const replica of system.replicas) {
        expect(localValue(replica.state, replica.origin), `own total of ${replica.origin} before sync`).toBe(own[replica.origin])
        expect(globalValue(replica.state), `global of ${replica.origin} before sync`).toBeLessThanOrEqual(total)
        expect(globalValue(replica.state), `global of ${replica.origin} before sync`).toBeGreaterThanOrEqual(own[replica.origin]!)
      }
      syncToFixpoint(system)
      for (const replica of system.replicas) {
        expect(globalValue(replica.state), `global of ${replica.origin}`).toBe(total)
        for (const origin of system.origins) expect(localValue(replica.state, origin), `local of ${origin} at ${replica.origin}`).toBe(own[origin])
      }
    }))
  })
})
