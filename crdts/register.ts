/**
 * Last-writer-wins register (LWW-Register, Shapiro et al., 2011) on a hybrid logical clock.
 *
 * Each origin's slot holds its last written value and that write's HLC timestamp. The global
 * view is the value with the highest timestamp, ties broken by instance id, so every replica
 * picks the same winner. The local view is the own last write. Before any write both views are
 * the declared initial value.
 */
import { type Encoder, type Reader, writeString } from './codec.js'
import { decodeTimestampedValue, encodeTimestampedValue, storeTimestamped, writeTimestamped, type TimestampedValue } from './timestamped-value.js'
import { compareTimestamps } from './hlc.js'
import { type OriginSlots, createOriginSlots, ensureOrigin, forgetOrigin, isNewer, markDirty, stampOrigin, stampedOrigins } from './origin-slots.js'
import type { DirtySink, SlotOps, TypeContext } from './slot-type.js'

export interface RegisterState<T> extends OriginSlots {
  readonly initial: T
  readonly context: TypeContext
  readonly values: T[]
  readonly wallMs: number[]
  readonly logical: number[]
  /** Origin whose write currently wins, or -1. */
  winner: number
  /**
   * Tie-break rank of a write an heir took over from a folded origin (docs/compaction.md): the
   * folded writer's, so a fold never changes which of two writes with one timestamp wins.
   * Undefined for an origin's own writes (its rank is the origin's).
   */
  readonly ranks: (string | undefined)[]
}

/** One slot on the wire: the value, its write's timestamp, and the rank of a taken-over write ('' for none). */
export type RegisterDelta = TimestampedValue & { rank?: string }

export function createRegister<T>(initial: T, context: TypeContext, fieldIndex = 0, sink: DirtySink | null = null): RegisterState<T> {
  return { ...createOriginSlots(fieldIndex, sink), initial, context, values: [], wallMs: [], logical: [], winner: -1, ranks: [] }
}

function ensure<T>(state: RegisterState<T>, origin: number): void {
  ensureOrigin(state, origin)
  while (state.values.length <= origin) {
    state.values.push(state.initial)
    state.wallMs.push(-1)
    state.logical.push(0)
  }
}

function rankOf<T>(state: RegisterState<T>, origin: number): string {
  return state.ranks[origin] ?? state.context.originRank(origin)
}

function beats<T>(state: RegisterState<T>, a: number, b: number): boolean {
  if (b < 0) return true
  return compareTimestamps(
    state.wallMs[a]!, state.logical[a]!, rankOf(state, a),
    state.wallMs[b]!, state.logical[b]!, rankOf(state, b),
  ) > 0
}

function reconsider<T>(state: RegisterState<T>, origin: number): void {
  if (origin === state.winner) return
  if (beats(state, origin, state.winner)) state.winner = origin
}

/** Picks the winner among every origin holding a write. */
function electWinner<T>(state: RegisterState<T>): void {
  state.winner = -1
  for (const present of state.present) if (state.wallMs[present]! >= 0) reconsider(state, present)
}

/** Writes `value` with a fresh timestamp; it wins over every write this replica has seen. */
export function set<T>(state: RegisterState<T>, origin: number, value: T): void {
  if (origin >= state.values.length) ensure(state, origin)
  writeTimestamped(state, origin, value)
  state.ranks[origin] = undefined
  reconsider(state, origin)
  markDirty(state, origin)
}

export function localValue<T>(state: RegisterState<T>, origin: number): T {
  return state.wallMs[origin] === undefined || state.wallMs[origin]! < 0 ? state.initial : state.values[origin]!
}

export function globalValue<T>(state: RegisterState<T>): T {
  return state.winner < 0 ? state.initial : state.values[state.winner]!
}

export const registerOps: SlotOps<RegisterState<unknown>, RegisterDelta> = {
  version: (state, slot) => state.versions[slot] ?? 0,
  owner: (_state, slot) => slot,
  stamp: stampOrigin,
  encodeSlot(encoder: Encoder, state, slot) {
    encodeTimestampedValue(encoder, state.wallMs[slot]!, state.logical[slot]!, state.values[slot])
    writeString(encoder, state.ranks[slot] ?? '')
  },
  decodeSlot: (reader: Reader) => ({ ...decodeTimestampedValue(reader, 'register'), rank: reader.string('register rank', 1024) }),
  applySlot(state, origin, version, delta) {
    if (!isNewer(state, origin, version)) return -1
    ensure(state, origin)
    // An origin's newer version carries a later timestamp, except in a forged or corrupted frame:
    // then the winning origin may fall behind another, and the winner is elected again, so that
    // the view depends on the slots held, not on the order they arrived in.
    const demoted = origin === state.winner && compareTimestamps(delta.wallMs, delta.logical, '', state.wallMs[origin]!, state.logical[origin]!, '') < 0
    storeTimestamped(state, origin, version, delta)
    state.ranks[origin] = delta.rank ? delta.rank : undefined
    if (demoted) electWinner(state)
    else reconsider(state, origin)
    return origin
  },
  slots: stampedOrigins,
  absorb(state, from, into) {
    if ((state.wallMs[from] ?? -1) < 0) return
    if (into >= state.values.length) ensure(state, into)
    // The heir keeps the later of its own write and the departed one's, timestamp included, so
    // the global winner's value and time stay (only an exact timestamp tie with a third origin
    // may now break by the heir's rank instead).
    if (state.wallMs[into]! >= 0 && !beats(state, from, into)) return
    state.values[into] = state.values[from]
    state.wallMs[into] = state.wallMs[from]!
    state.logical[into] = state.logical[from]!
    state.ranks[into] = rankOf(state, from)
    reconsider(state, into)
    markDirty(state, into)
  },
  dropOrigin(state, origin) {
    if (origin >= state.values.length) return
    state.values[origin] = state.initial
    state.wallMs[origin] = -1
    state.logical[origin] = 0
    state.ranks[origin] = undefined
    forgetOrigin(state, origin)
    if (state.winner !== origin) return
    state.winner = -1
    for (const present of state.present) if (state.wallMs[present]! >= 0) reconsider(state, present)
  },
}
