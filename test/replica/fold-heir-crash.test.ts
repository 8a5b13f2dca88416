/**
 * A replica that is told of a departed origin's fold before it holds the heir's versions that
 * carry the fold keeps counting the departed origin's own changes until those versions arrive.
 * Found by the random-schedule property (seed 1709575666): the heir crashed before its versions
 * spread, and a replica that had learned the fold ignored the departed origin's decrement that
 * its peers relayed, for good.
 */
import { describe, expect, it } from 'vitest'
import { FullState } from '../../property-tests/convergence/full-state.js'
import { type ScheduleOp, createGroup, runSchedule } from '../../property-tests/convergence/schedule.js'

describe('folding when the heir crashes', () => {
  it('a replica told of the fold but not sent the heir\'s versions still takes the departed origin\'s changes from its peers', async () => {
    // The shrunk counterexample's network, exactly (the loss and duplication draws shape the run).
    const setup = { seed: 269456545, latencyMs: [0, 7] as [number, number], loss: 5e-324, duplicate: 5e-324, reorder: false }
    const schedule: ScheduleOp[] = [
      { kind: 'leave', at: 0 },
      { kind: 'write', at: 7, op: { type: 'pnDecrement', n: 1 } },
      { kind: 'spawn' },
      { kind: 'leave', at: 8 },
      { kind: 'crash', at: 1 },
      { kind: 'partition', sides: [0] },
    ]
    const group = createGroup(setup, FullState, 7)
    const { sim } = group
    const log = await runSchedule(group, schedule)
    // The decrementing replica leaves, its heir crashes before its versions carrying the fold spread.
    expect(log).toEqual(['leave r1', 'write pnDecrement at r3', 'spawn r8', 'leave r3', 'crash r4', expect.stringMatching(/^partition/)])
    sim.heal()
    for (const replica of sim.replicas()) await replica.flush()
    sim.runUntilConverged({ maxMs: 20_000 })
    // No replica holds the record folding r3 without the heir's versions that carry it (they
    // died with r4): a record is learnt only with them.
    type Internals = { gossip: { folds: { all(): Iterable<{ id: string; heir: number; to: number }> } }; origins: { known: number[] } }
    const unapplied = sim.replicas().filter((replica) => {
      const { gossip, origins } = replica as unknown as Internals
      return [...gossip.folds.all()].some((record) => record.id === 'r3' && origins.known[record.heir]! < record.to)
    })
    expect(unapplied.map((replica) => replica.id)).toEqual([])
    for (const replica of sim.replicas()) expect((replica.state as unknown as { active: { global: number } }).active.global, replica.id).toBe(-1)
  })
})
