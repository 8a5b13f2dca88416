/**
 * An heir that folds a departed instance's heir origin and crashes before its versions spread:
 * a replica told of that fold but never sent those versions still takes the heir origin's
 * changes from its peers. Found by the random-schedule property (fast-check seed -484058773):
 * r4 added a set element while cut off, left to r5, and r5 left to r9; r9 folded r5's heir
 * origin (which carried r4's add) and crashed at once. The one replica that had been told of
 * the fold ignored r5's heir origin from then on and never got the add; the others kept it.
 */
import { describe, expect, it } from 'vitest'
import { FullState, fastGossip } from '../../property-tests/convergence/full-state.js'
import { type ScheduleOp, createGroup, runSchedule } from '../../property-tests/convergence/schedule.js'

describe('folding an heir origin when the heir crashes', () => {
  it('a replica told of the fold but not sent the heir\'s versions keeps what the folded heir origin carried', async () => {
    // The shrunk counterexample's network, exactly (the loss and duplication draws shape the run).
    const setup = { seed: 50329244, latencyMs: [2, 23] as [number, number], loss: 5e-324, duplicate: 5e-324, reorder: false }
    const schedule: ScheduleOp[] = [
      { kind: 'advance', ms: 44 },
      { kind: 'partition', sides: [1, 1, 2, 0, 0, 1, 2] },
      { kind: 'advance', ms: 9 },
      { kind: 'write', at: 11, op: { type: 'setAdd', element: '10.0.0.1' } },
      { kind: 'flush', at: 10 },
      { kind: 'advance', ms: 70 },
      { kind: 'leave', at: 11 },
      { kind: 'write', at: 0, op: { type: 'registerSet', value: 'allow' } },
      { kind: 'flush', at: 10 },
      { kind: 'spawn' },
      { kind: 'leave', at: 13 },
      { kind: 'leave', at: 11 },
      { kind: 'flush', at: 2 },
      { kind: 'heal' },
      { kind: 'advance', ms: 45 },
      { kind: 'write', at: 1, op: { type: 'docMapSet', key: 'mode', value: 0 } },
      { kind: 'spawn' },
      { kind: 'write', at: 0, op: { type: 'flowWrite', key: '10.0.0.1:1234>10.1.0.1:80/6', field: 'packets', value: 0 } },
      { kind: 'leave', at: 10 },
      { kind: 'crash', at: 4 },
      { kind: 'write', at: 0, op: { type: 'pnDecrement', n: 0 } },
    ]
    const group = createGroup(setup, FullState, 8)
    const { sim } = group
    const log = await runSchedule(group, schedule)
    // r4 adds while cut off with r5 and leaves to it; r5 leaves to r9, which crashes right after.
    expect(log).toEqual([
      'advance 44', 'partition [["r4","r5"],["r1","r2","r6","r8"],["r3","r7"]]', 'advance 9', 'write setAdd at r4', 'flush r3',
      'advance 70', 'leave r4', 'write registerSet at r1', 'flush r5', 'spawn r9', 'leave r7', 'leave r6', 'flush r3', 'heal',
      'advance 45', 'write docMapSet at r2', 'spawn r10', 'write flowWrite at r1', 'leave r5', 'crash r9', 'write pnDecrement at r1',
    ])
    sim.heal()
    for (const replica of sim.replicas()) await replica.flush()
    sim.runUntilConverged({ maxMs: 20_000 })
    sim.advance(fastGossip.failureTimeoutMs * 3)
    sim.runUntilConverged({ maxMs: 20_000 })

    // Every replica keeps r4's add, which only r5's heir origin carries now.
    for (const replica of sim.replicas()) {
      expect((replica.state as unknown as { blocked: { has(element: string): boolean } }).blocked.has('10.0.0.1'), replica.id).toBe(true)
    }
    const reference = sim.replicas()[0]!.snapshot()
    for (const replica of sim.replicas()) expect(replica.snapshot(), replica.id).toStrictEqual(reference)
    // No replica holds a fold record without the heir's versions that carry it.
    type Internals = { gossip: { folds: { all(): Iterable<{ heir: number; to: number }> } }; origins: { known: number[] } }
    for (const replica of sim.replicas()) {
      const { gossip, origins } = replica as unknown as Internals
      expect([...gossip.folds.all()].filter((record) => origins.known[record.heir]! < record.to), replica.id).toEqual([])
    }
  })
})
