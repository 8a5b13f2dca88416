/**
 * Determinism: a simulation is a pure function of its seed and of the calls made. Running the
 * same random schedule twice on the same seed gives, after every operation, the same network
 * counters and virtual time, the same sequence of replica events, and at the end the same
 * snapshots, members and replica stats.
 *
 * The declaration here has every state type but `doc()`: a doc's Yjs client id is drawn from
 * unseeded randomness, so two runs differ (the second test pins that library bug).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defineState, doc, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { checkAsyncProperty, convergenceRuns } from './check-async.js'
import { FullStateWithoutDoc, fastGossip, writeOpWithoutDoc } from './full-state.js'
import { type ScheduleOp, type NetworkSetup, applyScheduleOp, createGroup, networkSetup, scheduleOp } from './schedule.js'

interface Observation {
  /** Per operation: what it did, the virtual time and the network counters after it. */
  steps: unknown[]
  /** Every replica event, in order, with its virtual time. */
  events: string[]
  final: unknown
}

async function observe(setup: NetworkSetup, size: number, ops: readonly ScheduleOp[]): Promise<Observation> {
  const events: string[] = []
  const group = createGroup(setup, FullStateWithoutDoc, size, (replica: Replica) => {
    const record = (name: string) => (payload: unknown) => {
      const text = payload instanceof Error ? `${payload.name}: ${payload.message}` : JSON.stringify(payload)
      events.push(`${group.sim.now()} ${replica.id}#${replica.incarnation} ${name} ${text}`)
    }
    replica.on('change', record('change'))
    replica.on('member-join', record('member-join'))
    replica.on('member-leave', record('member-leave'))
    replica.on('error', record('error'))
  })
  const { sim } = group
  const steps: unknown[] = []
  for (const op of ops) {
    const did = await applyScheduleOp(group, op)
    steps.push({ did, nowMs: sim.now(), network: sim.network.stats() })
  }
  sim.heal()
  const convergedAfterMs = sim.runUntilConverged({ maxMs: 20_000 })
  const final = {
    convergedAfterMs,
    nowMs: sim.now(),
    network: sim.network.stats(),
    replicas: sim.replicas().map((replica) => ({
      id: replica.id, incarnation: replica.incarnation, status: replica.status,
      members: replica.members(), snapshot: replica.snapshot(), stats: replica.stats(),
    })),
  }
  return { steps, events, final }
}

describe('determinism of simulations', () => {
  it('the same seed and the same operations give the same run, step by step', async () => {
    await checkAsyncProperty(fc.asyncProperty(
      networkSetup,
      fc.integer({ min: 2, max: 8 }),
      fc.array(scheduleOp(writeOpWithoutDoc), { minLength: 1, maxLength: 40, size: 'max' }),
      async (setup, size, ops) => {
        const first = await observe(setup, size, ops)
        const second = await observe(setup, size, ops)
        expect(second.steps).toEqual(first.steps)
        expect(second.events).toEqual(first.events)
        expect(second.final).toEqual(first.final)
      },
    // Each run simulates the schedule twice: half the runs keep the cost of the other properties.
    ), { numRuns: convergenceRuns(2) })
  })

  // Library bug: a doc()'s Y.Doc takes its client id from unseeded randomness, so the same seed
  // gives different frames (the client id is in every doc update) and, for concurrent inserts
  // (ordered by client id), different documents. Expected to pass once client ids are seeded.
  it('a doc() field is deterministic too (Yjs client ids come from the seeded randomness)', () => {
    const Rules = defineState({ rules: doc() })
    const run = () => {
      const sim = createSimulation({ seed: 7, latencyMs: [1, 20] })
      const a = sim.spawn(Rules, { id: 'a', gossip: fastGossip })
      const b = sim.spawn(Rules, { id: 'b', gossip: fastGossip })
      sim.advance(100)
      a.state.rules.doc.getArray<string>('list').push(['from a'])
      b.state.rules.doc.getArray<string>('list').push(['from b'])
      sim.runUntilConverged({ maxMs: 5_000 })
      return { clientIds: [a.state.rules.doc.clientID, b.state.rules.doc.clientID], snapshot: a.snapshot(), network: sim.network.stats() }
    }
    const first = run()
    for (let i = 0; i < 5; i++) expect(run()).toEqual(first)
  })
})
