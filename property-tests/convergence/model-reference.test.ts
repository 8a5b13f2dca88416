/**
 * Replica groups against a sequential reference, under random schedules with loss,
 * duplication, reordering, partitions, crashes, restarts, joins and graceful leaves:
 *
 * - counter: the global value is the sum of every increment ever made, departed instances'
 *   included. Nothing may be lost, so a replica is crashed only once the group is quiescent
 *   (flushed, converged, and every own change of every live replica confirmed by its peers);
 *   a graceful leave hands its last writes over, and those are made right before it.
 * - add-wins set: an element is present iff some add of it was observed by no delete. A delete
 *   observes exactly the adds its replica holds; the reference knows which those are when the
 *   replica was part of the last quiescent group and no other replica touched the element
 *   since, so a delete is preceded by a quiescent point whenever that does not hold, and the
 *   replica's `has()` is checked against the reference before it deletes.
 * - perInstance (reduce 'sum'): once healed, converged and past failure detection, the global
 *   value is the sum of the live replicas' last values, and `byInstance()` lists exactly them.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { counter, defineState, perInstance, set, type Replica } from '../../src/index.js'
import { createSimulation, type Simulation } from '../../src/sim/index.js'
import { checkAsyncProperty } from './check-async.js'
import { fastGossip } from './full-state.js'
import { type FoldLedger, heirOf, pendingFolds, tagOf } from './folds.js'
import { MAX_LIVE, networkSetup } from './schedule.js'

const ModelState = defineState({
  packets: counter(),
  blocked: set<string>(),
  load: perInstance<number>({ reduce: 'sum' }),
})
type ModelReplica = Replica<typeof ModelState.fields>

const elements = ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'evil.example'] as const
const QUIESCE_MAX_MS = 20_000

type ModelOp =
  | { kind: 'increment'; at: number; n: number }
  | { kind: 'add'; at: number; element: string }
  | { kind: 'delete'; at: number; element: string }
  | { kind: 'load'; at: number; value: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'partition'; sides: number[] }
  | { kind: 'heal' }
  | { kind: 'crash'; at: number }
  | { kind: 'restart'; at: number }
  | { kind: 'spawn' }
  | { kind: 'leave'; at: number; n: number; element: string }

const at = fc.nat(15)
const element = fc.constantFrom(...elements)
const modelOp: fc.Arbitrary<ModelOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('increment' as const), at, n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), at, element }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at, element }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('load' as const), at, value: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), sides: fc.array(fc.nat(1), { minLength: 1, maxLength: MAX_LIVE }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), at }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'spawn' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), at, n: fc.integer({ min: 1, max: 5 }), element }) },
)

type SetEvent =
  | { kind: 'add'; element: string; writer: string }
  | { kind: 'delete'; element: string; writer: string; observed: ReadonlySet<number> }

/** The sequential reference: what the group must show. */
class Reference {
  total = 0
  readonly events: SetEvent[] = []
  /** `events.length` at the last quiescent point: every replica then live held all of them. */
  quiescentEvents = 0
  /** Writers (`id#incarnation`) live at the last quiescent point. */
  synced = new Set<string>()
  /** Last perInstance value of each live replica that set one. */
  readonly load = new Map<string, number>()

  /** Whether the set events on `element` that `writer` holds are known exactly. */
  knowsHoldings(writer: string, element: string): boolean {
    if (!this.synced.has(writer)) return false
    for (let index = this.quiescentEvents; index < this.events.length; index++) {
      const event = this.events[index]!
      if (event.element === element && event.writer !== writer) return false
    }
    return true
  }

  /** Indices of the events on `element` held by `writer` (only when `knowsHoldings`). */
  private held(writer: string, element: string): number[] {
    const indices: number[] = []
    this.events.forEach((event, index) => {
      if (event.element === element && (index < this.quiescentEvents || event.writer === writer)) indices.push(index)
    })
    return indices
  }

  private presentAmong(indices: readonly number[]): boolean {
    const observed = new Set<number>()
    for (const index of indices) {
      const event = this.events[index]!
      if (event.kind === 'delete') for (const tag of event.observed) observed.add(tag)
    }
    return indices.some((index) => this.events[index]!.kind === 'add' && !observed.has(index))
  }

  hasAt(writer: string, element: string): boolean {
    return this.presentAmong(this.held(writer, element))
  }

  add(writer: string, element: string): void {
    this.events.push({ kind: 'add', element, writer })
  }

  delete(writer: string, element: string): void {
    const observed = new Set(this.held(writer, element).filter((index) => this.events[index]!.kind === 'add'))
    this.events.push({ kind: 'delete', element, writer, observed })
  }

  present(): string[] {
    return elements.filter((element) => this.presentAmong(this.events.flatMap((event, index) => (event.element === element ? [index] : []))))
  }

  loadSum(liveIds: readonly string[]): number {
    let sum = 0
    for (const id of liveIds) sum += this.load.get(id) ?? 0
    return sum
  }
}

const writerOf = (replica: ModelReplica): string => `${replica.id}#${replica.incarnation}`
const sortedValues = (replica: ModelReplica): string[] => replica.state.blocked.values().slice().sort()

interface World extends FoldLedger {
  sim: Simulation
  reference: Reference
  ids: string[]
  log: string[]
}

function live(world: World): ModelReplica[] {
  return world.sim.replicas() as ModelReplica[]
}

/**
 * Heals, flushes and waits until the group is quiescent: converged, every live replica's own
 * changes confirmed by its live peers (`lagMs` 0), counter and set equal to the reference; then
 * a few more rounds so that changes relayed for departed writers reach everyone.
 */
async function quiesce(world: World): Promise<void> {
  const { sim, reference } = world
  sim.heal()
  for (const replica of live(world)) await replica.flush()
  sim.runUntilConverged({ maxMs: QUIESCE_MAX_MS })
  const deadlineMs = sim.now() + QUIESCE_MAX_MS
  const expectedSet = reference.present()
  // Folds that can happen have happened everywhere too: a fold re-adds a departed instance's
  // elements under its heir, and a delete concurrent with that would not see the re-add
  // (docs/compaction.md, Limits), which this sequential reference does not model.
  const settled = () => live(world).every((replica) => replica.stats().lagMs === 0
    && replica.state.packets.global === reference.total
    && JSON.stringify(sortedValues(replica)) === JSON.stringify(expectedSet))
    && pendingFolds(live(world), world.ids, world).length === 0
  while (!settled()) {
    if (sim.now() >= deadlineMs) {
      const views = live(world).map((replica) => `${replica.id}: packets ${replica.state.packets.global}, set ${JSON.stringify(sortedValues(replica))}, lagMs ${replica.stats().lagMs}`)
      throw new Error(`not quiescent within ${QUIESCE_MAX_MS} virtual ms: expected packets ${reference.total}, set ${JSON.stringify(expectedSet)}\n  ${views.join('\n  ')}\nafter ${world.log.join('; ')}`)
    }
    sim.advance(10)
  }
  sim.advance(fastGossip.intervalMs * 5)
  reference.quiescentEvents = reference.events.length
  reference.synced = new Set(live(world).map(writerOf))
  world.log.push('quiesce')
}

async function apply(world: World, op: ModelOp): Promise<void> {
  const { sim, reference } = world
  const replicas = live(world)
  const pick = (index: number) => replicas[index % replicas.length]!
  switch (op.kind) {
    case 'increment': {
      const replica = pick(op.at)
      replica.state.packets.increment(op.n)
      reference.total += op.n
      world.log.push(`${replica.id} +${op.n}`)
      return
    }
    case 'add': {
      const replica = pick(op.at)
      replica.state.blocked.add(op.element)
      reference.add(writerOf(replica), op.element)
      world.log.push(`${replica.id} add ${op.element}`)
      return
    }
    case 'delete': {
      let replica = pick(op.at)
      if (!reference.knowsHoldings(writerOf(replica), op.element)) {
        await quiesce(world)
        replica = live(world)[op.at % live(world).length]!
      }
      const expected = reference.hasAt(writerOf(replica), op.element)
      expect(replica.state.blocked.has(op.element), `${replica.id}.has(${op.element}) after ${world.log.join('; ')}`).toBe(expected)
      expect(replica.state.blocked.delete(op.element)).toBe(expected)
      reference.delete(writerOf(replica), op.element)
      world.log.push(`${replica.id} delete ${op.element}`)
      return
    }
    case 'load': {
      const replica = pick(op.at)
      replica.state.load.set(op.value)
      reference.load.set(replica.id, op.value)
      world.log.push(`${replica.id} load ${op.value}`)
      return
    }
    case 'advance':
      sim.advance(op.ms)
      world.log.push(`advance ${op.ms}`)
      return
    case 'partition': {
      const groups: string[][] = [[], []]
      replicas.forEach((replica, index) => groups[op.sides[index % op.sides.length]!]!.push(replica.id))
      sim.partition(...groups.filter((members) => members.length > 0))
      world.log.push(`partition ${JSON.stringify(groups)}`)
      return
    }
    case 'heal':
      sim.heal()
      world.log.push('heal')
      return
    case 'crash': {
      if (replicas.length < 2) return
      await quiesce(world)
      const replica = live(world)[op.at % live(world).length]!
      sim.crash(replica.id)
      reference.load.delete(replica.id)
      world.log.push(`crash ${replica.id}`)
      return
    }
    case 'restart': {
      const dead = world.ids.filter((id) => sim.replica(id) === undefined)
      if (dead.length === 0 || replicas.length >= MAX_LIVE) return
      const id = dead[op.at % dead.length]!
      sim.restart(id)
      world.lastLeft.delete(id)
      world.log.push(`restart ${id}`)
      // So is the fold of its former incarnation.
      await quiesce(world)
      return
    }
    case 'spawn': {
      if (replicas.length >= MAX_LIVE) return
      const replica = sim.spawn(ModelState, { gossip: fastGossip })
      world.ids.push(replica.id)
      world.log.push(`spawn ${replica.id}`)
      return
    }
    case 'leave': {
      if (replicas.length < 2) return
      // Quiescent first, so the leaver knows its live peers; then fresh writes it must hand over.
      await quiesce(world)
      const replica = live(world)[op.at % live(world).length]!
      const errors: Error[] = []
      replica.on('error', (error) => errors.push(error))
      replica.state.packets.increment(op.n)
      reference.total += op.n
      replica.state.blocked.add(op.element)
      reference.add(writerOf(replica), op.element)
      await replica.leave()
      const heir = heirOf(replica)
      if (heir) world.leaves.push({ departed: tagOf(replica), heir })
      world.lastLeft.add(replica.id)
      expect(errors.map((error) => error.message), `errors of ${replica.id} while leaving`).toEqual([])
      expect(replica.status).toBe('stopped')
      reference.load.delete(replica.id)
      world.log.push(`${replica.id} +${op.n}, add ${op.element}, leave`)
      // The fold of the departed instance is part of its leave here (see quiesce).
      await quiesce(world)
      return
    }
  }
}

describe('replica groups against a sequential reference', () => {
  it('counter = every increment ever made, set = add-wins reference, perInstance sum = live replicas\' last values', async () => {
    await checkAsyncProperty(fc.asyncProperty(
      networkSetup,
      fc.integer({ min: 2, max: 6 }),
      fc.array(modelOp, { minLength: 1, maxLength: 60, size: 'max' }),
      async (setup, size, ops) => {
        const sim = createSimulation({ ...setup, leaveStepMs: 10 })
        const world: World = { sim, reference: new Reference(), ids: [], log: [], leaves: [], lastLeft: new Set() }
        for (let i = 0; i < size; i++) world.ids.push(sim.spawn(ModelState, { gossip: fastGossip }).id)
        for (const op of ops) await apply(world, op)

        sim.heal()
        for (const replica of live(world)) await replica.flush()
        sim.runUntilConverged({ maxMs: QUIESCE_MAX_MS })
        sim.advance(fastGossip.failureTimeoutMs * 3)
        sim.runUntilConverged({ maxMs: QUIESCE_MAX_MS })

        const { reference } = world
        const liveIds = live(world).map((replica) => replica.id).sort()
        const history = world.log.join('; ')
        for (const replica of live(world)) {
          expect(replica.state.packets.global, `packets at ${replica.id} after ${history}`).toBe(reference.total)
          expect(sortedValues(replica), `set at ${replica.id} after ${history}`).toEqual(reference.present())
          expect(replica.state.load.global, `load at ${replica.id} after ${history}`).toBe(reference.loadSum(liveIds))
          expect([...replica.state.load.byInstance().keys()], `load by instance at ${replica.id}`)
            .toEqual(liveIds.filter((id) => reference.load.has(id)))
          expect(replica.members()).toEqual(liveIds)
        }
      },
    ))
  })
})
