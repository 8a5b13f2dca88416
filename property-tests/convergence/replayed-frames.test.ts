/**
 * Duplicated and replayed frames are harmless. The transports of the group record every frame
 * sent (also those the network then loses) and every frame delivered, and tests re-inject them
 * with `sim.network.inject`.
 *
 * - Duplicates: frames re-injected into the replica they were delivered to, after convergence,
 *   in any order and any number of times, change no snapshot and no member list and raise no
 *   error, also after failure detection has run again. (A frame handed to a replica other than
 *   its receiver, or one the network lost, is not a duplicate but a late delivery: it may carry
 *   news, e.g. the last writes of a replica that crashed before anyone else heard them.)
 * - Late deliveries and replays while writes go on: any frame sent, re-injected into any
 *   replica any number of times, leaves the group where the same run without them ends. That
 *   comparison needs a final state that does not depend on delivery timing, so no replica
 *   crashes, the writes leave out deletes (observed-remove: what a delete observes depends on
 *   what has arrived) and the doc (its client ids are not seeded: determinism.test.ts), and
 *   happen at distinct virtual milliseconds (so hybrid-clock timestamps do not depend on what
 *   was seen).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ElasticStateError, Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { CapturingGroup } from './capturing-group.js'
import { checkAsyncProperty } from './check-async.js'
import { FullState, FullStateWithoutDoc, type WriteOp, applyWrite, fastGossip, writeOp, writeOpWithoutDoc } from './full-state.js'
import { MAX_LIVE, type NetworkSetup, type ScheduleOp, networkSetup, scheduleOp } from './schedule.js'

const CONVERGE_MAX_MS = 20_000

type ReplayOp =
  | { kind: 'replay'; frame: number; target: number; times: number }
  | { kind: 'advance'; ms: number }

const replayOp: fc.Arbitrary<ReplayOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('replay' as const), frame: fc.nat(), target: fc.nat(15), times: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }) },
)

/** Re-injects a frame delivered to a running replica into that same replica. */
function duplicate(group: CapturingGroup, op: ReplayOp): void {
  if (op.kind === 'advance') {
    group.sim.advance(op.ms)
    return
  }
  const candidates = group.delivered.filter((frame) => frame.receiver.status === 'running')
  if (candidates.length === 0) return
  const frame = candidates[op.frame % candidates.length]!
  for (let i = 0; i < op.times; i++) group.sim.network.inject(frame.receiver.id, frame.bytes)
}

/** Injects any frame sent so far into any running replica. */
function deliverLate(group: CapturingGroup, op: ReplayOp): void {
  if (op.kind === 'advance') {
    group.sim.advance(op.ms)
    return
  }
  const live = group.live()
  if (group.sent.length === 0 || live.length === 0) return
  const frame = group.sent[op.frame % group.sent.length]!
  const target = live[op.target % live.length]!
  for (let i = 0; i < op.times; i++) group.sim.network.inject(target.id, frame.bytes)
}

async function applyHistory(group: CapturingGroup, op: ScheduleOp): Promise<void> {
  const { sim } = group
  const live = group.live()
  switch (op.kind) {
    case 'write': applyWrite(live[op.at % live.length] as Parameters<typeof applyWrite>[0], op.op); return
    case 'advance': sim.advance(op.ms); return
    case 'flush': await live[op.at % live.length]!.flush(); return
    case 'partition': {
      const groups: string[][] = [[], [], []]
      live.forEach((replica, index) => groups[op.sides[index % op.sides.length]!]!.push(replica.id))
      sim.partition(...groups.filter((members) => members.length > 0))
      return
    }
    case 'heal': sim.heal(); return
    case 'crash': if (live.length > 1) group.crash(live[op.at % live.length]!); return
    case 'restart': {
      const stopped = group.stopped()
      if (stopped.length > 0 && live.length < MAX_LIVE) group.start(stopped[op.at % stopped.length]!)
      return
    }
    case 'spawn': if (live.length < MAX_LIVE) group.start(); return
    case 'leave': if (live.length > 1) await group.leave(live[op.at % live.length]!); return
  }
}

function settle(group: CapturingGroup): void {
  group.sim.heal()
  group.runUntilConverged(CONVERGE_MAX_MS)
  group.sim.advance(fastGossip.failureTimeoutMs * 3)
  group.runUntilConverged(CONVERGE_MAX_MS)
}

function view(replicas: readonly Replica[]): unknown {
  return replicas.map((replica) => ({ id: replica.id, incarnation: replica.incarnation, snapshot: replica.snapshot(), members: replica.members() }))
}

describe('replayed and duplicated frames', () => {
  it('duplicates of delivered frames, after convergence, in any order and any number of times, change nothing', async () => {
    await checkAsyncProperty(fc.asyncProperty(
      networkSetup,
      fc.integer({ min: 2, max: 6 }),
      fc.array(scheduleOp(writeOp), { minLength: 1, maxLength: 30, size: 'max' }),
      fc.array(replayOp, { minLength: 1, maxLength: 60, size: 'max' }),
      async (setup: NetworkSetup, size, history, replays) => {
        const group = new CapturingGroup(createSimulation({ ...setup, leaveStepMs: 10 }), FullState, setup.seed)
        for (let i = 0; i < size; i++) group.start()
        for (const op of history) await applyHistory(group, op)
        settle(group)
        const live = group.live()
        const before = view(live)
        const errors: ElasticStateError[] = []
        for (const replica of live) replica.on('error', (error) => errors.push(error))

        group.recording = false
        for (const op of replays) {
          duplicate(group, op)
          expect(view(live), `after ${JSON.stringify(op)}`).toEqual(before)
        }
        expect(errors.map((error) => `${error.name}: ${error.message}`)).toEqual([])
        settle(group)
        expect(group.live()).toEqual(live)
        expect(view(live)).toEqual(before)
      },
    ))
  })

  it('late deliveries and replays of any frame while writes go on leave the group where the same run without them ends', async () => {
    const writeWithoutDelete = writeOpWithoutDoc.filter((op) => op.type !== 'setDelete' && op.type !== 'flowDelete')
    type Step = { kind: 'write'; at: number; op: WriteOp; thenMs: number } | ReplayOp
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('write' as const), at: fc.nat(15), op: writeWithoutDelete, thenMs: fc.integer({ min: 1, max: 40 }) }) },
      { weight: 2, arbitrary: replayOp },
    )
    const run = (setup: NetworkSetup, size: number, steps: readonly Step[], withReplays: boolean): unknown => {
      const group = new CapturingGroup(createSimulation(setup), FullStateWithoutDoc, setup.seed)
      for (let i = 0; i < size; i++) group.start()
      for (const current of steps) {
        if (current.kind === 'write') {
          const live = group.live()
          applyWrite(live[current.at % live.length] as Parameters<typeof applyWrite>[0], current.op)
          group.sim.advance(current.thenMs)
        } else if (withReplays || current.kind === 'advance') {
          deliverLate(group, current)
        }
      }
      settle(group)
      return view(group.live())
    }
    await checkAsyncProperty(fc.asyncProperty(
      networkSetup,
      fc.integer({ min: 2, max: 6 }),
      fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
      async (setup, size, steps) => {
        expect(run(setup, size, steps, true)).toEqual(run(setup, size, steps, false))
      },
    ))
  })
})
