/**
 * Catching up a large state under random schedules: bulk writes of thousands of flows at random
 * replicas (the same keys from several of them, 5-tuples and other keys), joins and restarts
 * (a restarted replica comes back empty and catches up again), graceful leaves and crashes at
 * quiescent points, partitions, loss, duplication and reordering.
 *
 * An origin's state is then more changes than a frame keeps decoded (src/frame.ts,
 * `KEEP_DECODED_SLOTS`), so a replica that holds nothing of an origin receives it as one large
 * group: validated, counted per field, room made before it is applied (`SlotOps.reserve`, the
 * origin's log), decoded again change by change. The property checks that this path was taken.
 *
 * - Never more than was written: after every step, at every live replica, for a sample of keys.
 * - Nothing is lost: once healed and converged, every live replica holds every key written with
 *   exactly the packets written to it, the same snapshot, and the same number of flows.
 *
 * `PROPERTY_RUNS` sets the runs (a tenth of them here: each run moves about 100,000 slots).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowKey, flowTable, type Replica } from '../../src/index.js'
import { flowTableOps } from '../../crdts/flow-table-slots.js'
import { KEEP_DECODED_SLOTS } from '../../src/frame.js'
import { checkAsyncProperty, convergenceRuns } from './check-async.js'
import type { AnySchema } from './full-state.js'
import { type Group, MAX_LIVE, type ScheduleOp, applyScheduleOp, createGroup, networkSetup } from './schedule.js'

const Flows = defineState({ flows: flowTable({ fields: { packets: counter() } }) })
type FlowsReplica = Replica<typeof Flows.fields>

/** Half 5-tuples (kept packed), half other keys; a binding and a cell each: more slots than a frame keeps decoded. */
const KEY_COUNT = 2_600
const KEYS: readonly string[] = Array.from({ length: KEY_COUNT }, (_, i) => i % 2 === 0
  ? flowKey({ src: `10.0.${i >> 8}.${i & 255}`, sport: 1_000 + i, dst: '10.1.0.2', dport: 443, proto: 6 })
  : `flow-${i}`)
if (2 * KEY_COUNT <= KEEP_DECODED_SLOTS) throw new Error('the key pool must make groups larger than a frame keeps decoded')
const SAMPLE = [0, 1, 2, 3, 1_299, 1_300, KEY_COUNT - 2, KEY_COUNT - 1]
const QUIESCE_MAX_MS = 30_000

/** Bulk writes, or what a schedule does to the group (crashes and leaves at quiescent points). */
type Op = { kind: 'bulk'; at: number; from: number; count: number; n: number } | Exclude<ScheduleOp, { kind: 'write' | 'flush' }>

const at = fc.nat(15)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('bulk' as const), at, from: fc.nat(KEY_COUNT - 1), count: fc.integer({ min: 1, max: KEY_COUNT }), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), sides: fc.array(fc.nat(1), { minLength: 1, maxLength: MAX_LIVE }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), at }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'spawn' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), at }) },
)

interface World {
  group: Group
  /** Packets written to each key. */
  written: number[]
  log: string[]
}

function live(world: World): FlowsReplica[] {
  return world.group.sim.replicas() as FlowsReplica[]
}

function packetsOf(replica: FlowsReplica, key: number): number {
  return replica.state.flows.get(KEYS[key]!)?.packets.global ?? 0
}

function checkNoDoubleCount(world: World): void {
  for (const replica of live(world)) {
    for (const key of SAMPLE) expect(packetsOf(replica, key), `key ${key} at ${replica.id} after ${world.log.join('; ')}`).toBeLessThanOrEqual(world.written[key]!)
  }
}

function holdsEverything(world: World, replica: FlowsReplica): boolean {
  return replica.stats().lagMs === 0 && world.written.every((count, key) => packetsOf(replica, key) === count)
}

/** Heals and waits until every live replica holds every write. */
async function quiesce(world: World): Promise<void> {
  const { sim } = world.group
  sim.heal()
  for (const replica of live(world)) await replica.flush()
  const deadlineMs = sim.now() + QUIESCE_MAX_MS
  while (!live(world).every((replica) => holdsEverything(world, replica))) {
    if (sim.now() >= deadlineMs) {
      const behind = live(world).map((replica) => `${replica.id}: ${world.written.filter((count, key) => packetsOf(replica, key) !== count).length} keys differ, lagMs ${replica.stats().lagMs}`)
      throw new Error(`not quiescent within ${QUIESCE_MAX_MS} virtual ms:\n  ${behind.join('\n  ')}\nafter ${world.log.join('; ')}`)
    }
    sim.advance(10)
  }
  world.log.push('quiesce')
}

async function apply(world: World, step: Op): Promise<void> {
  if (step.kind === 'bulk') {
    const replicas = live(world)
    const replica = replicas[step.at % replicas.length]!
    for (let i = 0; i < step.count; i++) {
      const key = (step.from + i) % KEY_COUNT
      replica.state.flows.entry(KEYS[key]!).packets.increment(step.n)
      world.written[key]! += step.n
    }
    world.log.push(`${replica.id} +${step.n} to ${step.count} keys from ${step.from}`)
    return
  }
  // A replica that crashes, or leaves while cut off from every peer, takes its unsent writes with
  // it (docs/gotchas.md), which is not what this property is about: both wait for a quiescent point.
  if ((step.kind === 'crash' || step.kind === 'leave') && live(world).length >= 2) await quiesce(world)
  world.log.push(await applyScheduleOp(world.group, step))
}

describe('large catch-ups under random schedules', () => {
  it('a replica that holds nothing of an origin takes its thousands of changes as one large group, and nothing is lost or counted twice', async () => {
    // Counts the large-group path: room is reserved only before a group too large to keep decoded.
    const reserve = flowTableOps.reserve!
    let reserved = 0
    flowTableOps.reserve = (...args) => {
      reserved++
      reserve(...args)
    }
    try {
      await checkAsyncProperty(fc.asyncProperty(
        networkSetup,
        fc.integer({ min: 1, max: 3 }),
        fc.array(op, { minLength: 1, maxLength: 12 }),
        async (setup, size, ops) => {
          const group = createGroup(setup, Flows as unknown as AnySchema, size)
          const { sim } = group
          const world: World = { group, written: new Array<number>(KEY_COUNT).fill(0), log: [] }
          // Every key written once before the schedule, so a joiner always has a large state to take.
          await apply(world, { kind: 'bulk', at: 0, from: 0, count: KEY_COUNT, n: 1 })
          await apply(world, { kind: 'spawn' })
          for (const step of ops) {
            await apply(world, step)
            checkNoDoubleCount(world)
          }
          await quiesce(world)
          sim.runUntilConverged({ maxMs: QUIESCE_MAX_MS })

          const replicas = live(world)
          const reference = replicas[0]!.snapshot()
          for (const replica of replicas) {
            const where = `${replica.id} after ${world.log.join('; ')}`
            expect(replica.snapshot(), where).toStrictEqual(reference)
            expect(replica.state.flows.size, where).toBe(KEY_COUNT)
            for (let key = 0; key < KEY_COUNT; key++) expect(packetsOf(replica, key), `key ${key} at ${where}`).toBe(world.written[key])
          }
          expect(sim.network.stats().handlerErrors + sim.network.stats().timerErrors).toBe(0)
        },
      ), { numRuns: convergenceRuns(10) })
    } finally {
      flowTableOps.reserve = reserve
    }
    expect(reserved).toBeGreaterThan(0)
  })
})
