/**
 * Last-writer-wins register against the sequential reference: the write with the highest
 * (wallMs, logical, instance id) wins; and the hybrid logical clock orders every write after
 * every write its replica had seen (LWW agrees with causality, whatever the clock skew).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareTimestamps } from '../../crdts/hlc.js'
import { type RegisterState, globalValue, localValue } from '../../crdts/register.js'
import { type Step, historyArbitrary, plain, runHistory, syncToFixpoint } from '../harness/replica-sim.js'
import { checkProperty } from '../harness/runs.js'
import { registerAdapter } from '../harness/types/register.js'

interface Write { wallMs: number; logical: number; id: string; value: unknown }

/** The latest timestamp among the slots `state` holds. */
function newestSeen(state: RegisterState<unknown>, ids: readonly string[]): Write | undefined {
  let newest: Write | undefined
  for (const origin of state.present) {
    if ((state.wallMs[origin] ?? -1) < 0) continue
    const write = { wallMs: state.wallMs[origin]!, logical: state.logical[origin]!, id: ids[origin]!, value: state.values[origin] }
    if (!newest || compareTimestamps(write.wallMs, write.logical, write.id, newest.wallMs, newest.logical, newest.id) > 0) newest = write
  }
  return newest
}

describe('register against last-writer-wins by hybrid logical clock', () => {
  it('each write is newer than all it has seen; after joining, the newest write wins everywhere', () => {
    checkProperty(fc.property(historyArbitrary(registerAdapter, { maxSteps: 30 }), (history) => {
      const writes: Write[] = []
      const lastOwn: unknown[] = history.ids.map(() => 'initial')
      let seenBefore: Write | undefined
      const system = runHistory(registerAdapter, history, { finish: false, observer: {
        before(system, step: Step<unknown>) {
          if (step.kind === 'write') seenBefore = newestSeen(system.replicas[step.origin]!.state, history.ids)
        },
        after(system, step: Step<unknown>) {
          if (step.kind !== 'write') return
          const state = system.replicas[step.origin]!.state
          const write = { wallMs: state.wallMs[step.origin]!, logical: state.logical[step.origin]!, id: history.ids[step.origin]!, value: step.op }
          if (seenBefore) {
            expect(compareTimestamps(write.wallMs, write.logical, write.id, seenBefore.wallMs, seenBefore.logical, seenBefore.id),
              `write at ${step.origin} orders after everything it had seen`).toBeGreaterThan(0)
          }
          expect(plain(globalValue(state)), `a write wins locally at once (${step.origin})`).toStrictEqual(plain(step.op))
          writes.push(write)
          lastOwn[step.origin] = step.op
        },
      } })
      syncToFixpoint(system)
      const winner = writes.reduce<Write | undefined>((best, write) => (!best || compareTimestamps(
        write.wallMs, write.logical, write.id, best.wallMs, best.logical, best.id) > 0 ? write : best), undefined)
      for (const replica of system.replicas) {
        expect(plain(globalValue(replica.state)), `global of ${replica.origin}`).toStrictEqual(plain(winner ? winner.value : 'initial'))
        for (const origin of system.origins) expect(plain(localValue(replica.state, origin)), `local of ${origin} at ${replica.origin}`).toStrictEqual(plain(lastOwn[origin]))
      }
    }))
  })
})
