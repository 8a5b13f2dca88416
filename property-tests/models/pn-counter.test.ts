/** PN-counter against the sequential reference: increments minus decrements, per origin and in all. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { globalValue, localValue } from '../../crdts/pn-counter.js'
import { historyArbitrary, runHistory, syncToFixpoint } from '../harness/replica-sim.js'
import { checkProperty } from '../harness/runs.js'
import { pnCounterAdapter } from '../harness/types/pn-counter.js'

describe('pnCounter against a sequential sum', () => {
  it('after all states are joined, global = increments − decrements and local = own difference', () => {
    checkProperty(fc.property(historyArbitrary(pnCounterAdapter), (history) => {
      const own = history.ids.map(() => 0)
      for (const step of history.steps) {
        if (step.kind === 'write') own[step.origin]! += step.op.direction === 'increment' ? step.op.n : -step.op.n
      }
      const system = runHistory(pnCounterAdapter, history, { finish: false })
      for (const replica of system.replicas) expect(localValue(replica.state, replica.origin), `own difference of ${replica.origin}`).toBe(own[replica.origin])
      syncToFixpoint(system)
      const total = own.reduce((a, b) => a + b, 0)
      for (const replica of system.replicas) {
        expect(globalValue(replica.state), `global of ${replica.origin}`).toBe(total)
        for (const origin of system.origins) expect(localValue(replica.state, origin), `local of ${origin} at ${replica.origin}`).toBe(own[origin])
      }
    }))
  })
})
