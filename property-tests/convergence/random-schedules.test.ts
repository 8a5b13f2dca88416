/**
 * Convergence under random schedules: 2 to 8 replicas of a declaration that uses every state
 * type, on a simulated network with loss, duplication and reordering, while writes at random
 * live replicas interleave with virtual time, partitions, heals, crashes, restarts, joins and
 * graceful leaves. Once the network heals, the group converges within a bounded virtual time,
 * every live replica's snapshot is the same, and every live replica sees the same members.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkAsyncProperty } from './check-async.js'
import { FullState, fastGossip, writeOp } from './full-state.js'
import { createGroup, networkSetup, runSchedule, scheduleOp } from './schedule.js'

const CONVERGE_MAX_MS = 20_000

describe('replica groups under random schedules', () => {
  it('converge after healing: every live replica has the same snapshot and the same members', async () => {
    await checkAsyncProperty(fc.asyncProperty(
      networkSetup,
      fc.integer({ min: 2, max: 8 }),
      fc.array(scheduleOp(writeOp), { minLength: 1, maxLength: 80, size: 'max' }),
      async (setup, size, ops) => {
        const group = createGroup(setup, FullState, size)
        const { sim } = group
        const log = await runSchedule(group, ops)
        sim.heal()
        for (const replica of sim.replicas()) await replica.flush()
        sim.runUntilConverged({ maxMs: CONVERGE_MAX_MS })
        // Failure detection of crashed replicas, then convergence again (perInstance reads liveness).
        sim.advance(fastGossip.failureTimeoutMs * 3)
        sim.runUntilConverged({ maxMs: CONVERGE_MAX_MS })

        const live = sim.replicas()
        const liveIds = live.map((replica) => replica.id).sort()
        const reference = live[0]!.snapshot()
        for (const replica of live) {
          expect(replica.snapshot(), `snapshot of ${replica.id} after ${log.join('; ')}`).toStrictEqual(reference)
          expect(replica.members(), `members of ${replica.id} after ${log.join('; ')}`).toEqual(liveIds)
        }
        expect(sim.network.stats().handlerErrors + sim.network.stats().timerErrors).toBe(0)
      },
    ))
  })
})
