/** Max register against the sequential reference: the largest number ever set. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { globalValue, localValue } from '../../crdts/max-register.js'
import { historyArbitrary, plain, runHistory, syncToFixpoint } from '../harness/replica-sim.js'
import { checkProperty } from '../harness/runs.js'
import { maxRegisterAdapter } from '../harness/types/max-register.js'

const maxOf = (values: number[]): number | undefined => (values.length === 0 ? undefined : Math.max(...values))

describe('maxRegister against a sequential max', () => {
  it('after all states are joined, global = max of every set and local = max of own sets', () => {
    checkProperty(fc.property(historyArbitrary(maxRegisterAdapter), (history) => {
      const own: number[][] = history.ids.map(() => [])
      for (const step of history.steps) if (step.kind === 'write') own[step.origin]!.push(step.op)
      const system = runHistory(maxRegisterAdapter, history, { finish: false })
      syncToFixpoint(system)
      for (const replica of system.replicas) {
        expect(plain(globalValue(replica.state)), `global of ${replica.origin}`).toBe(plain(maxOf(own.flat())))
        for (const origin of system.origins) {
          expect(plain(localValue(replica.state, origin)), `local of ${origin} at ${replica.origin}`).toBe(plain(maxOf(own[origin]!)))
        }
      }
    }))
  })
})
