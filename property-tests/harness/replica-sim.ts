/**
 * Mini replicas for property tests of one state type, without the runtime: one state object per
 * origin, each with its own increasing version sequence and a `DirtySink` that records the slots
 * its writes marked. A history is a random sequence of local writes, stamps (dirty slots get the
 * origin's next versions), syncs of arbitrary pairs (`joinInto`), clock advances and liveness
 * changes; running it gives *reachable* states, i.e. states of valid single-writer histories, in
 * which one `(origin, version)` always carries one value. The semilattice laws only hold there.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import { Reader, createEncoder, toBytes } from '../../crdts/codec.js'
import { identityOrigins, joinInto } from '../../crdts/join.js'
import type { DirtySink, SlotOps, TypeContext } from '../../crdts/slot-type.js'
import { type TestContext, type World, advance, createTestContext, createWorld } from './context.js'

/** Field index every state under test is created with (checked on each `markDirty`). */
export const FIELD_INDEX = 3

/** What the harness needs to know about one state type. */
export interface TypeAdapter<State, Delta, Op> {
  readonly name: string
  readonly ops: SlotOps<State, Delta>
  create(context: TypeContext, fieldIndex: number, sink: DirtySink | null): State
  /** One local write (or other local action, e.g. a sweep), whatever the origin. */
  readonly write: fc.Arbitrary<Op>
  apply(state: State, origin: number, op: Op): void
  /** Every observable view of `state` as plain data, with per-origin views for `origins`. */
  views(state: State, origins: readonly number[]): unknown
  /** Clock advances between steps (default: 0 to 40 ms). */
  readonly advanceMs?: fc.Arbitrary<number>
  /** Whether histories should toggle liveness (types whose views read `isLive`). */
  readonly usesLiveness?: boolean
  /** Whether replicas' clocks may be skewed (off for types whose views read `now()`). */
  readonly clockSkew?: boolean
}

export type Step<Op> =
  | { kind: 'write'; origin: number; op: Op }
  | { kind: 'stamp'; origin: number }
  /** `from`'s slots joined into `to`; `stampFirst` stamps `from` before, else its dirty slots are left out. */
  | { kind: 'sync'; from: number; to: number; stampFirst: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'live'; origin: number; live: boolean }

export interface History<Op> {
  readonly ids: readonly string[]
  readonly skewMs: readonly number[]
  readonly steps: readonly Step<Op>[]
}

export interface HistoryOptions {
  minOrigins?: number
  maxOrigins?: number
  maxSteps?: number
  /** 'stampFirst': a sync always stamps the sender first (what model tests assume). */
  syncMode?: 'mixed' | 'stampFirst'
}

const defaultAdvance = fc.integer({ min: 0, max: 40 })

/** Random histories for `adapter`. */
export function historyArbitrary<State, Delta, Op>(
  adapter: TypeAdapter<State, Delta, Op>,
  options: HistoryOptions = {},
): fc.Arbitrary<History<Op>> {
  const { minOrigins = 2, maxOrigins = 4, maxSteps = 40, syncMode = 'mixed' } = options
  return fc.integer({ min: minOrigins, max: maxOrigins }).chain((originCount) => {
    const origin = fc.nat(originCount - 1)
    const stampFirst = syncMode === 'stampFirst' ? fc.constant(true) : fc.boolean()
    const steps: fc.WeightedArbitrary<Step<Op>>[] = [
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), origin, op: adapter.write }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('stamp' as const), origin }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: origin, to: origin, stampFirst }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: adapter.advanceMs ?? defaultAdvance }) },
    ]
    if (adapter.usesLiveness) {
      steps.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('live' as const), origin, live: fc.boolean() }) })
    }
    const names = fc.shuffledSubarray(['ana', 'bo', 'cy', 'di', 'ed', 'fay'], { minLength: originCount, maxLength: originCount })
    const skews = adapter.clockSkew
      ? fc.array(fc.oneof(fc.integer({ min: -300, max: 300 }), fc.double({ min: -300, max: 300, noNaN: true })), { minLength: originCount, maxLength: originCount })
      : fc.constant(Array.from({ length: originCount }, () => 0))
    return fc.record({ ids: names, skewMs: skews, steps: fc.array(fc.oneof(...steps), { maxLength: maxSteps, size: 'max' }) })
  })
}

export interface MiniReplica<State> {
  readonly origin: number
  readonly state: State
  readonly context: TestContext
  /** Last version this origin handed out. */
  version: number
  /** Own slots marked dirty since the last stamp, in marking order. */
  readonly dirty: Set<number>
}

export interface System<State, Delta, Op> {
  readonly adapter: TypeAdapter<State, Delta, Op>
  readonly world: World
  readonly replicas: MiniReplica<State>[]
  readonly origins: readonly number[]
}

export function createSystem<State, Delta, Op>(adapter: TypeAdapter<State, Delta, Op>, history: Pick<History<Op>, 'ids' | 'skewMs'>): System<State, Delta, Op> {
  const world = createWorld(history.ids.length, { ids: history.ids, skewMs: history.skewMs })
  const replicas = history.ids.map((_, origin): MiniReplica<State> => {
    const dirty = new Set<number>()
    const sink: DirtySink = {
      markDirty(fieldIndex, slot) {
        if (fieldIndex !== FIELD_INDEX) throw new Error(`${adapter.name}: markDirty got field ${fieldIndex}, expected ${FIELD_INDEX}`)
        dirty.add(slot)
      },
    }
    const context = createTestContext(world, origin)
    return { origin, context, state: adapter.create(context, FIELD_INDEX, sink), version: 0, dirty }
  })
  return { adapter, world, replicas, origins: history.ids.map((_, origin) => origin) }
}

/** Gives every dirty slot of `origin` a fresh version, as the runtime does once per round. */
export function stamp<State, Delta, Op>(system: System<State, Delta, Op>, origin: number): void {
  const replica = system.replicas[origin]!
  const { ops, name } = system.adapter
  for (const slot of replica.dirty) {
    const owner = ops.owner(replica.state, slot)
    if (owner !== origin) throw new Error(`${name}: origin ${origin} marked slot ${slot} dirty, but it is owned by ${owner}`)
    replica.version += 1
    ops.stamp(replica.state, slot, replica.version)
    if (ops.version(replica.state, slot) !== replica.version) throw new Error(`${name}: stamp(${slot}, ${replica.version}) did not take`)
  }
  replica.dirty.clear()
}

/** `joinInto` restricted to the slots `include` accepts (same wire path). */
function joinWhere<State, Delta>(ops: SlotOps<State, Delta>, into: State, from: State, include: (slot: number) => boolean): void {
  for (const slot of ops.slots(from)) {
    const version = ops.version(from, slot)
    if (version === 0 || !include(slot)) continue
    const encoder = createEncoder()
    ops.encodeSlot(encoder, from, slot, identityOrigins)
    const reader = new Reader(toBytes(encoder))
    const delta = ops.decodeSlot(reader, identityOrigins, into)
    reader.end('slot')
    ops.applySlot(into, ops.owner(from, slot), version, delta, identityOrigins)
  }
}

/**
 * Sends `from`'s state to `to`. A dirty slot's content no longer matches its version, so it is
 * either stamped first or left out: never sent under the old version.
 */
export function sync<State, Delta, Op>(system: System<State, Delta, Op>, from: number, to: number, stampFirst: boolean): void {
  const sender = system.replicas[from]!
  const receiver = system.replicas[to]!
  if (stampFirst) {
    stamp(system, from)
    joinInto(system.adapter.ops, receiver.state, sender.state)
  } else {
    joinWhere(system.adapter.ops, receiver.state, sender.state, (slot) => !sender.dirty.has(slot))
  }
}

export function applyStep<State, Delta, Op>(system: System<State, Delta, Op>, step: Step<Op>): void {
  switch (step.kind) {
    case 'write':
      system.adapter.apply(system.replicas[step.origin]!.state, step.origin, step.op)
      break
    case 'stamp':
      stamp(system, step.origin)
      break
    case 'sync':
      sync(system, step.from, step.to, step.stampFirst)
      break
    case 'advance':
      advance(system.world, step.ms)
      break
    case 'live':
      system.world.live[step.origin] = step.live
      break
  }
}

export interface StepObserver<State, Delta, Op> {
  before?(system: System<State, Delta, Op>, step: Step<Op>): void
  after?(system: System<State, Delta, Op>, step: Step<Op>): void
}

/** Runs a history; with `finish`, stamps every replica at the end (no pending writes left). */
export function runHistory<State, Delta, Op>(
  adapter: TypeAdapter<State, Delta, Op>,
  history: History<Op>,
  options: { finish?: boolean; observer?: StepObserver<State, Delta, Op> } = {},
): System<State, Delta, Op> {
  const system = createSystem(adapter, history)
  for (const step of history.steps) {
    options.observer?.before?.(system, step)
    applyStep(system, step)
    options.observer?.after?.(system, step)
  }
  if (options.finish ?? true) stampAll(system)
  return system
}

export function stampAll<State, Delta, Op>(system: System<State, Delta, Op>): void {
  for (const replica of system.replicas) stamp(system, replica.origin)
}

/**
 * Stamps everyone, then syncs every ordered pair until a whole round changes nothing. A state-based
 * join needs at most two rounds of all pairs; the bound is generous and a miss fails loudly.
 */
export function syncToFixpoint<State, Delta, Op>(system: System<State, Delta, Op>): void {
  stampAll(system)
  const { ops } = system.adapter
  const maxRounds = system.replicas.length + 2
  for (let round = 0; round < maxRounds; round++) {
    let changed = 0
    for (const from of system.replicas) {
      for (const to of system.replicas) if (from !== to) changed += joinInto(ops, to.state, from.state)
    }
    if (changed === 0) return
  }
  throw new Error(`${system.adapter.name}: slots still changing after ${maxRounds} rounds of all-pairs sync (join is not idempotent?)`)
}

/** An empty state with an observer's context (unskewed time, shared ids and liveness). */
export function freshState<State, Delta, Op>(system: System<State, Delta, Op>): State {
  return system.adapter.create(createTestContext(system.world, null), FIELD_INDEX, null)
}

/** The join of `states`, built in a fresh state through the wire path. */
export function join<State, Delta, Op>(system: System<State, Delta, Op>, ...states: State[]): State {
  const into = freshState(system)
  for (const state of states) joinInto(system.adapter.ops, into, state)
  return into
}

/** Plain data with `-0` read as `0` (as `snapshot()` equality does) and Maps as entry lists. */
export function plain(value: unknown): unknown {
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value
  if (Array.isArray(value)) return value.map(plain)
  if (value instanceof Map) return [...value].map(plain)
  if (value instanceof Uint8Array) return value
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]))
  }
  return value
}

export function viewsOf<State, Delta, Op>(system: System<State, Delta, Op>, state: State): unknown {
  return plain(system.adapter.views(state, system.origins))
}

export function expectSameViews<State, Delta, Op>(system: System<State, Delta, Op>, actual: State, expected: State, what: string): void {
  expect(viewsOf(system, actual), what).toStrictEqual(viewsOf(system, expected))
}

/** A total order on flow keys and set elements: numbers first, then strings. */
export function compareKeys(a: string | number, b: string | number): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}
