/**
 * Users' own state types (`custom(...)`) on the slot model.
 *
 * The user gives a join-semilattice: a state type `S` with `empty()` and `join(a, b)`, writes
 * that inflate a state in place, and an encoding. Each origin owns one slot, its
 * *contribution*: the state its own writes built from `empty()`. A replica's *merged* state is
 * the join of every contribution it holds (as in delta-state CRDTs, Almeida, Shoker & Baquero,
 * 2018, where the contribution is the join of an origin's deltas). Slots merge by version like
 * every other type's, so replication does not depend on the user's join; the join only combines
 * contributions into the merged state, lazily, at the next read.
 *
 * The user's code runs on the gossip path only in `encode` and `decode`, and both are contained
 * there: an `encode` that throws travels as an error that peers reject with a `DecodeError`, and
 * anything `decode` throws becomes a `DecodeError` (crdts/custom-codec.ts). Joins and views run
 * when the application reads.
 */
import { type CustomCodec, readCustomSlot, writeCustomSlot } from './custom-codec.js'
import type { Encoder, Reader } from './codec.js'
import { type OriginSlots, createOriginSlots, ensureOrigin, forgetOrigin, isNewer, markDirty, stampOrigin, stampedOrigins } from './origin-slots.js'
import type { DirtySink, SlotOps, TypeContext } from './slot-type.js'

/**
 * What a custom type's write is called with, besides its own arguments.
 * @typeParam S - the type's state.
 * @example
 * ```ts
 * import { custom, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * // A last-writer-wins note: each write stamps itself above every write merged so far.
 * const note = custom({
 *   name: 'note',
 *   empty: () => ({ stampMs: 0, origin: '', text: '' }),
 *   join: (a, b) => (b.stampMs > a.stampMs || (b.stampMs === a.stampMs && b.origin > a.origin) ? b : a),
 *   writes: {
 *     write({ own, merged, origin, now }, text: string) {
 *       own.stampMs = Math.max(now(), merged.stampMs + 1)
 *       own.origin = origin      // unique per incarnation: ties break the same way everywhere
 *       own.text = text
 *     },
 *   },
 *   global: (state) => state.text,
 *   encode(writer, state) { writer.varUint(state.stampMs); writer.string(state.origin); writer.string(state.text) },
 *   decode(reader) { return { stampMs: reader.varUint('stamp'), origin: reader.string('origin'), text: reader.string('text') } },
 * })
 * const sim = createSimulation({ seed: 1 })
 * const a = sim.spawn(defineState({ note }), { id: 'a' })
 * const b = sim.spawn(defineState({ note }), { id: 'b' })
 * a.state.note.write('first')
 * sim.runUntilConverged()
 * b.state.note.write('second')          // b has merged a's write, so it stamps above it
 * sim.runUntilConverged()
 * assert.equal(a.state.note.global, 'second')
 * ```
 */
export interface WriteContext<S> {
  /**
   * This replica's contribution: the state its own writes build, starting from `empty()`.
   * Writes change it in place, and only by inflating it (`join(before, after)` equals `after`).
   */
  readonly own: S
  /**
   * The join of every contribution this replica holds, its own included. Read it to observe
   * others' writes (an observed-remove, a timestamp above every one seen); never change it, and
   * copy what you take from it into `own`.
   */
  readonly merged: S
  /**
   * A key unique to this replica incarnation. Key per-writer entries by it, not by `id`: a
   * restarted instance reuses its id but must not reuse its former entries.
   */
  readonly origin: string
  /** This instance's id. */
  readonly id: string
  /** Time in ms by the replica's clock (virtual time in a simulation). */
  now(): number
}

/** A write: changes `context.own` in place; returns `false` when it changed nothing. */
export type CustomWriteFunction<S> = (context: WriteContext<S>, ...args: never[]) => boolean | void

/** What the runtime needs of a custom type's definition (the public, typed form is `CustomTypeDefinition`). */
export interface CustomDefinitionShape<S> extends CustomCodec<S> {
  empty(): S
  join(a: S, b: S): S
  readonly writes: Readonly<Record<string, CustomWriteFunction<S>>>
  global?(merged: S): unknown
  local?(own: S): unknown
}

export interface CustomState<S> extends OriginSlots {
  readonly type: CustomDefinitionShape<S>
  readonly context: TypeContext
  /** Each origin's contribution, by origin; `undefined` until it wrote or its slot arrived. */
  readonly contributions: (S | undefined)[]
  /** `empty()`, made once: the view of an origin that never wrote, and where `merged` starts. Never changed. */
  readonly bottom: S
  /** Join of the contributions, except those listed in `pending`. */
  merged: S
  /** Origins whose contribution changed since `merged` last took it in. */
  readonly pending: Set<number>
  /** Bumped on every change: the view caches below are valid for one epoch. */
  epoch: number
  globalCache: { epoch: number; value: unknown }
  localCache: { epoch: number; origin: number; value: unknown }
}

export function createCustom<S>(type: CustomDefinitionShape<S>, context: TypeContext, fieldIndex = 0, sink: DirtySink | null = null): CustomState<S> {
  const bottom = type.empty()
  return {
    ...createOriginSlots(fieldIndex, sink),
    type, context, contributions: [], bottom, merged: bottom, pending: new Set(), epoch: 0,
    globalCache: { epoch: -1, value: undefined },
    localCache: { epoch: -1, origin: -1, value: undefined },
  }
}

function ensure<S>(state: CustomState<S>, origin: number): void {
  ensureOrigin(state, origin)
  while (state.contributions.length <= origin) state.contributions.push(undefined)
}

/** The contribution of `origin`, created empty on first use (writes need an object to change). */
export function contribution<S>(state: CustomState<S>, origin: number): S {
  if (origin >= state.contributions.length) ensure(state, origin)
  let own = state.contributions[origin]
  if (own === undefined) {
    own = state.type.empty()
    state.contributions[origin] = own
  }
  return own
}

/** The merged state, first joining in every contribution that changed since the last read. */
export function merged<S>(state: CustomState<S>): S {
  if (state.pending.size > 0) {
    let joined = state.merged
    for (const origin of state.pending) joined = state.type.join(joined, state.contributions[origin]!)
    // Cleared only once every join succeeded: a join that throws leaves the work for the next read.
    state.pending.clear()
    state.merged = joined
  }
  return state.merged
}

function changed<S>(state: CustomState<S>, origin: number): void {
  state.pending.add(origin)
  state.epoch++
}

/** The write context of `origin`, made once per handle: writes allocate nothing for it. */
export function writeContext<S>(state: CustomState<S>, origin: number): WriteContext<S> {
  const id = state.context.originId(origin)
  // originRank orders origins by id then incarnation, so it is unique per origin; the separator is made readable.
  const key = state.context.originRank(origin).replace('\u0000', '#')
  return {
    get own() { return contribution(state, origin) },
    get merged() { return merged(state) },
    origin: key,
    id,
    now: () => state.context.now(),
  }
}

/**
 * Runs the write `name` for `origin`. The slot is marked dirty unless the write returned `false`;
 * a write that throws is marked too, since it may have changed the state before throwing.
 * @throws whatever the write throws (a `RangeError` for bad arguments, by convention).
 */
export function applyWrite<S>(state: CustomState<S>, origin: number, context: WriteContext<S>, name: string, args: unknown[]): void {
  const write = state.type.writes[name]!
  contribution(state, origin)
  let result: boolean | void
  try {
    result = (write as (context: WriteContext<S>, ...rest: unknown[]) => boolean | void)(context, ...args)
  } catch (error) {
    changed(state, origin)
    markDirty(state, origin)
    throw error
  }
  if (result === false) return
  changed(state, origin)
  markDirty(state, origin)
}

/** The global view: the type's `global` of the merged state (the merged state itself without one). Cached per change. */
export function globalValue<S>(state: CustomState<S>): unknown {
  const cache = state.globalCache
  if (cache.epoch !== state.epoch) {
    const all = merged(state)
    cache.value = state.type.global ? state.type.global(all) : all
    cache.epoch = state.epoch
  }
  return cache.value
}

/** The local view of `origin`: the type's `local` of its contribution, else its `global` of it. Cached per change. */
export function localValue<S>(state: CustomState<S>, origin: number): unknown {
  const cache = state.localCache
  if (cache.epoch !== state.epoch || cache.origin !== origin) {
    const own = state.contributions[origin] ?? state.bottom
    const type = state.type
    cache.value = type.local ? type.local(own) : type.global ? type.global(own) : own
    cache.epoch = state.epoch
    cache.origin = origin
  }
  return cache.value
}

export const customOps: SlotOps<CustomState<unknown>, unknown> = {
  version: (state, slot) => state.versions[slot] ?? 0,
  owner: (_state, slot) => slot,
  stamp: stampOrigin,
  encodeSlot(encoder: Encoder, state, slot) {
    writeCustomSlot(encoder, state.type, state.contributions[slot])
  },
  decodeSlot: (reader: Reader, _origins, state) => readCustomSlot(reader, state.type),
  applySlot(state, origin, version, delta) {
    if (!isNewer(state, origin, version)) return -1
    ensure(state, origin)
    // A newer version of a contribution is an inflation of the older one, so it replaces it.
    state.contributions[origin] = delta
    state.versions[origin] = version
    changed(state, origin)
    return origin
  },
  slots: stampedOrigins,
  // The merged state is the join of all contributions, so joining the departed contribution
  // into the heir's (an inflation of it) and dropping it leaves the merged state as it was.
  absorb(state, from, into) {
    const departed = state.contributions[from]
    if (departed === undefined) return
    const own = contribution(state, into)
    state.contributions[into] = state.type.join(own, departed)
    changed(state, into)
    markDirty(state, into)
  },
  dropOrigin(state, origin) {
    if (state.contributions[origin] === undefined) return
    state.contributions[origin] = undefined
    forgetOrigin(state, origin)
    state.merged = state.bottom
    state.pending.clear()
    for (const present of state.present) if (state.contributions[present] !== undefined) state.pending.add(present)
    state.epoch++
  },
}
