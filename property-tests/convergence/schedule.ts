/**
 * Random schedules for a replica group on the simulated network: writes at live replicas,
 * virtual time, partitions and heals, crashes, restarts, joins (spawn) and graceful leaves.
 *
 * Operations name replicas by position (modulo the current count), so every generated
 * schedule is valid whatever happened before, and shrinking a schedule keeps it valid.
 */
import fc from 'fast-check'
import type { Replica } from '../../src/index.js'
import { createSimulation, type Simulation } from '../../src/sim/index.js'
import { type AnySchema, type WriteOp, applyWrite, fastGossip } from './full-state.js'

export type ScheduleOp =
  | { kind: 'write'; at: number; op: WriteOp }
  | { kind: 'advance'; ms: number }
  | { kind: 'flush'; at: number }
  | { kind: 'partition'; sides: number[] }
  | { kind: 'heal' }
  | { kind: 'crash'; at: number }
  | { kind: 'restart'; at: number }
  | { kind: 'spawn' }
  | { kind: 'leave'; at: number }

export interface NetworkSetup {
  seed: number
  latencyMs: [number, number]
  loss: number
  duplicate: number
  reorder: boolean
}

export const MAX_LIVE = 8

/** Network conditions: loss 0 to 0.3, duplication 0 to 0.2, reordering on or off. */
export const networkSetup: fc.Arbitrary<NetworkSetup> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  latencyMs: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 25 })).map(([min, extra]): [number, number] => [min, min + extra]),
  loss: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  reorder: fc.boolean(),
})

const position = fc.nat(15)

/** Operations of a schedule, writes the most frequent. */
export function scheduleOp(write: fc.Arbitrary<WriteOp>, options: { membership?: boolean } = {}): fc.Arbitrary<ScheduleOp> {
  const ops: fc.WeightedArbitrary<ScheduleOp>[] = [
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('write' as const), at: position, op: write }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 120 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), at: position }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), sides: fc.array(fc.nat(2), { minLength: 1, maxLength: MAX_LIVE }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
  ]
  if (options.membership ?? true) {
    ops.push(
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), at: position }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), at: position }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'spawn' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), at: position }) },
    )
  }
  return fc.oneof(...ops)
}

export interface Group {
  sim: Simulation
  schema: AnySchema
  /** Ids spawned so far, in first-spawn order. */
  ids: string[]
  /** Called with every replica the group starts (spawned or restarted). */
  onStart: ((replica: Replica) => void) | undefined
}

export function createGroup(setup: NetworkSetup, schema: AnySchema, initialSize: number, onStart?: (replica: Replica) => void): Group {
  const sim = createSimulation({ ...setup, leaveStepMs: 10 })
  const group: Group = { sim, schema, ids: [], onStart }
  for (let i = 0; i < initialSize; i++) spawn(group)
  return group
}

function spawn(group: Group): Replica {
  const replica = group.sim.spawn(group.schema as AnySchema, { gossip: fastGossip }) as Replica
  if (!group.ids.includes(replica.id)) group.ids.push(replica.id)
  group.onStart?.(replica)
  return replica
}

function live(group: Group): Replica[] {
  return group.sim.replicas()
}

function dead(group: Group): string[] {
  return group.ids.filter((id) => group.sim.replica(id) === undefined)
}

/** Applies one operation; returns a short description of what it did (for failure reports). */
export async function applyScheduleOp(group: Group, op: ScheduleOp): Promise<string> {
  const { sim } = group
  const replicas = live(group)
  switch (op.kind) {
    case 'write': {
      const replica = replicas[op.at % replicas.length]!
      applyWrite(replica as Parameters<typeof applyWrite>[0], op.op)
      return `write ${op.op.type} at ${replica.id}`
    }
    case 'advance':
      sim.advance(op.ms)
      return `advance ${op.ms}`
    case 'flush': {
      const replica = replicas[op.at % replicas.length]!
      await replica.flush()
      return `flush ${replica.id}`
    }
    case 'partition': {
      const groups: string[][] = [[], [], []]
      replicas.forEach((replica, index) => groups[op.sides[index % op.sides.length]!]!.push(replica.id))
      sim.partition(...groups.filter((members) => members.length > 0))
      return `partition ${JSON.stringify(groups)}`
    }
    case 'heal':
      sim.heal()
      return 'heal'
    case 'crash': {
      if (replicas.length < 2) return 'crash skipped (last replica)'
      const replica = replicas[op.at % replicas.length]!
      sim.crash(replica.id)
      return `crash ${replica.id}`
    }
    case 'restart': {
      const candidates = dead(group)
      if (candidates.length === 0 || replicas.length >= MAX_LIVE) return 'restart skipped'
      const id = candidates[op.at % candidates.length]!
      group.onStart?.(sim.restart(id))
      return `restart ${id}`
    }
    case 'spawn': {
      if (replicas.length >= MAX_LIVE) return 'spawn skipped'
      return `spawn ${spawn(group).id}`
    }
    case 'leave': {
      if (replicas.length < 2) return 'leave skipped (last replica)'
      const replica = replicas[op.at % replicas.length]!
      await replica.leave()
      return `leave ${replica.id}`
    }
  }
}

export async function runSchedule(group: Group, ops: readonly ScheduleOp[]): Promise<string[]> {
  const log: string[] = []
  for (const op of ops) log.push(await applyScheduleOp(group, op))
  return log
}

