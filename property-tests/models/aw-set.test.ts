/**
 * The add-wins set against a reference written from the definition of an observed-remove set
 * (Shapiro et al., 2011): every add creates a unique tag; a remove records the tags of the
 * element that its replica has seen; an element is present iff some tag of it is seen and no
 * seen remove observed it. Syncs stamp the sender first, so a replica's knowledge after a sync
 * is the union of both replicas' knowledge, and the reference is compared after every step.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { SetElement } from '../../crdts/aw-set.js'
import { has, localValues, size, values } from '../../crdts/aw-set.js'
import { type Step, compareKeys, historyArbitrary, runHistory } from '../harness/replica-sim.js'
import { EventLog } from '../harness/event-log.js'
import { checkProperty } from '../harness/runs.js'
import { type AWSetOp, awSetAdapter, setUniverse } from '../harness/types/aw-set.js'

type Event = { kind: 'add'; element: SetElement; origin: number } | { kind: 'remove'; element: SetElement; observed: ReadonlySet<number> }

class ObservedRemoveReference {
  private readonly log: EventLog<Event>

  constructor(replicaCount: number) {
    this.log = new EventLog(replicaCount)
  }

  private liveTags(replica: number, element: SetElement): number[] {
    const seen = this.log.seen(replica)
    const observed = new Set<number>()
    for (const id of seen) {
      const event = this.log.event(id)
      if (event.kind === 'remove') for (const tag of event.observed) observed.add(tag)
    }
    return seen.filter((id) => {
      const event = this.log.event(id)
      return event.kind === 'add' && event.element === element && !observed.has(id)
    })
  }

  add(replica: number, element: SetElement): void {
    this.log.record(replica, { kind: 'add', element, origin: replica })
  }

  remove(replica: number, element: SetElement): void {
    const observed = new Set(this.log.seen(replica).filter((id) => {
      const event = this.log.event(id)
      return event.kind === 'add' && event.element === element
    }))
    this.log.record(replica, { kind: 'remove', element, observed })
  }

  sync(from: number, to: number): void {
    this.log.sync(from, to)
  }

  has(replica: number, element: SetElement): boolean {
    return this.liveTags(replica, element).length > 0
  }

  /** Present elements with a live tag of `origin`'s own. */
  local(replica: number, origin: number): SetElement[] {
    return setUniverse.filter((element) => this.liveTags(replica, element).some((id) => {
      const event = this.log.event(id)
      return event.kind === 'add' && event.origin === origin
    }))
  }
}

const histories = historyArbitrary(awSetAdapter, { syncMode: 'stampFirst', maxSteps: 50 })

describe('awSet against an observed-remove reference', () => {
  it('every replica shows exactly the elements with an add no seen remove observed, after every step', () => {
    checkProperty(fc.property(histories, (history) => {
      const reference = new ObservedRemoveReference(history.ids.length)
      let stepIndex = 0
      runHistory(awSetAdapter, history, {
        observer: {
          before(_system, step: Step<AWSetOp>) {
            if (step.kind === 'write') {
              if (step.op.kind === 'add') reference.add(step.origin, step.op.element)
              else reference.remove(step.origin, step.op.element)
            } else if (step.kind === 'sync') {
              reference.sync(step.from, step.to)
            }
          },
          after(system) {
            stepIndex++
            for (const replica of system.replicas) {
              const where = `replica ${replica.origin} after step ${stepIndex}`
              const expected = setUniverse.filter((element) => reference.has(replica.origin, element))
              expect([...values(replica.state)].sort(compareKeys), `${where}: values`).toStrictEqual([...expected].sort(compareKeys))
              expect(size(replica.state), `${where}: size`).toBe(expected.length)
              for (const element of setUniverse) expect(has(replica.state, element), `${where}: has(${JSON.stringify(element)})`).toBe(expected.includes(element))
              for (const origin of system.origins) {
                expect([...localValues(replica.state, origin)].sort(compareKeys), `${where}: local values of ${origin}`)
                  .toStrictEqual(reference.local(replica.origin, origin).sort(compareKeys))
              }
            }
          },
        },
      })
    }))
  })
})
