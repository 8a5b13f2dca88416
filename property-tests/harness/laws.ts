/**
 * The conformance suite every state type passes: join is commutative, associative and
 * idempotent, the wire encoding round-trips, an in-place join agrees with the join of copies,
 * and replicas that exchange everything converge. States come from random reachable histories
 * (replica-sim.ts) and are compared by their observable views.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { joinInto } from '../../crdts/join.js'
import {
  type HistoryOptions, type TypeAdapter, expectSameViews, historyArbitrary, join, runHistory,
  syncToFixpoint, viewsOf,
} from './replica-sim.js'
import { checkProperty } from './runs.js'

/** Three replica picks (taken modulo the number of replicas). */
const picks = fc.tuple(fc.nat(), fc.nat(), fc.nat())

export function lawSuite<State, Delta, Op>(adapter: TypeAdapter<State, Delta, Op>, options: HistoryOptions = {}): void {
  const histories = historyArbitrary(adapter, options)
  const { ops } = adapter

  describe(`${adapter.name}: semilattice laws on reachable states`, () => {
    it('join is commutative', () => {
      checkProperty(fc.property(histories, picks, (history, [i, j]) => {
        const system = runHistory(adapter, history)
        const n = system.replicas.length
        const a = system.replicas[i % n]!.state
        const b = system.replicas[j % n]!.state
        expectSameViews(system, join(system, a, b), join(system, b, a), 'a ⊔ b = b ⊔ a')
      }))
    })

    it('join is associative', () => {
      checkProperty(fc.property(histories, picks, (history, [i, j, k]) => {
        const system = runHistory(adapter, history)
        const n = system.replicas.length
        const a = system.replicas[i % n]!.state
        const b = system.replicas[j % n]!.state
        const c = system.replicas[k % n]!.state
        expectSameViews(system, join(system, join(system, a, b), c), join(system, a, join(system, b, c)), '(a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)')
      }))
    })

    it('join is idempotent', () => {
      checkProperty(fc.property(histories, picks, (history, [i]) => {
        const system = runHistory(adapter, history)
        const replica = system.replicas[i % system.replicas.length]!
        const before = viewsOf(system, replica.state)
        expect(joinInto(ops, replica.state, replica.state), 'a ⊔ a (in place) changes no slot').toBe(0)
        const copy = join(system, replica.state)
        expect(joinInto(ops, replica.state, copy), 'a ⊔ copy(a) changes no slot').toBe(0)
        expect(viewsOf(system, replica.state), 'views of a after a ⊔ a').toStrictEqual(before)
        expect(joinInto(ops, copy, replica.state), 'copy(a) ⊔ a changes no slot').toBe(0)
        expectSameViews(system, join(system, replica.state, replica.state), copy, 'a ⊔ a = a')
      }))
    })

    it('encoding round-trips: joining a state into an empty one keeps every view', () => {
      checkProperty(fc.property(histories, (history) => {
        const system = runHistory(adapter, history)
        for (const replica of system.replicas) {
          const copy = join(system, replica.state)
          expectSameViews(system, copy, replica.state, `copy of replica ${replica.origin}`)
          const versions = (state: State) => [...ops.slots(state)].map((slot) => `${ops.owner(state, slot)}@${ops.version(state, slot)}`).sort()
          expect(versions(copy), `slot versions of the copy of replica ${replica.origin}`).toStrictEqual(versions(replica.state))
        }
      }))
    })

    it('joining in place agrees with the join of copies', () => {
      checkProperty(fc.property(histories, picks, (history, [i, j]) => {
        const system = runHistory(adapter, history)
        const n = system.replicas.length
        const a = system.replicas[i % n]!.state
        const b = system.replicas[j % n]!.state
        const expected = join(system, a, b)
        joinInto(ops, a, b)
        expectSameViews(system, a, expected, 'a after joinInto(a, b)')
      }))
    })

    it('replicas that exchange everything converge to the join of all', () => {
      checkProperty(fc.property(histories, (history) => {
        const system = runHistory(adapter, history, { finish: false })
        syncToFixpoint(system)
        const everything = viewsOf(system, join(system, ...system.replicas.map((replica) => replica.state)))
        for (const replica of system.replicas) {
          expect(viewsOf(system, replica.state), `views of replica ${replica.origin}`).toStrictEqual(everything)
        }
      }))
    })
  })
}
