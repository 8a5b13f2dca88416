/** perInstance against the sequential reference: `reduce` over the live instances' last values, in id order. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { byInstance, globalValue } from '../../crdts/per-instance.js'
import { historyArbitrary, plain, runHistory, syncToFixpoint } from '../harness/replica-sim.js'
import { checkProperty } from '../harness/runs.js'
import { joinReduce, perInstanceAdapter } from '../harness/types/per-instance.js'

const reduces = {
  sum: (values: number[]) => values.reduce((a, b) => a + b, 0),
  avg: (values: number[]) => (values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length),
  min: (values: number[]) => (values.length === 0 ? undefined : Math.min(...values)),
  max: (values: number[]) => (values.length === 0 ? undefined : Math.max(...values)),
} as const

describe('perInstance against a sequential reduce over live instances', () => {
  for (const [name, reference] of [...Object.entries(reduces), ['custom', joinReduce]] as [string, (values: never[]) => unknown][]) {
    const adapter = name === 'custom' ? perInstanceAdapter(joinReduce, 'custom') : perInstanceAdapter(name as keyof typeof reduces)
    it(`${name}: after all states are joined, global = ${name} of the live instances' last values`, () => {
      checkProperty(fc.property(historyArbitrary(adapter), (history) => {
        const last = new Map<number, unknown>()
        const live = history.ids.map(() => true)
        for (const step of history.steps) {
          if (step.kind === 'write') last.set(step.origin, step.op)
          if (step.kind === 'live') live[step.origin] = step.live
        }
        const system = runHistory(adapter, history, { finish: false })
        syncToFixpoint(system)
        const expected = [...last].filter(([origin]) => live[origin]).sort(([a], [b]) => (history.ids[a]! < history.ids[b]! ? -1 : 1))
        for (const replica of system.replicas) {
          expect(plain(byInstance(replica.state)), `byInstance at ${replica.origin}`).toStrictEqual(plain(expected.map(([origin, value]) => [history.ids[origin], value])))
          expect(plain(globalValue(replica.state)), `global at ${replica.origin}`).toStrictEqual(plain(reference(expected.map(([, value]) => value) as never[])))
        }
      }))
    })
  }
})
