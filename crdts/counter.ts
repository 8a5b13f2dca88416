/**
 * Grow-only counter (G-Counter, Shapiro et al., "A comprehensive study of CRDTs", 2011).
 *
 * Each origin owns one slot: the total of its own increments. The local view is the own slot,
 * the global view is the sum over every origin that ever wrote, departed ones included, so a
 * count is never lost when an instance scales in. The global sum is maintained on every write
 * and merge, so reading it is O(1).
 */
import { type Encoder, type Reader, writeVarUint } from './codec.js'
import { type OriginSlots, createOriginSlots, ensureOrigin, forgetOrigin, isNewer, markDirty, stampOrigin, stampedOrigins } from './origin-slots.js'
import type { DirtySink, SlotOps } from './slot-type.js'
import { assertCount, assertTotal } from './validate.js'

export interface CounterState extends OriginSlots {
  readonly counts: number[]
  /** Sum of all slots (the global view), kept current on every change. */
  total: number
}

export function createCounter(fieldIndex = 0, sink: DirtySink | null = null): CounterState {
  return { ...createOriginSlots(fieldIndex, sink), counts: [], total: 0 }
}

function ensure(state: CounterState, origin: number): void {
  ensureOrigin(state, origin)
  while (state.counts.length <= origin) state.counts.push(0)
}

/**
 * Adds `n` to the own slot of `origin`.
 * @throws RangeError unless `n` is a non-negative safe integer and the own total stays one
 * (nothing changes then).
 */
export function increment(state: CounterState, origin: number, n = 1): void {
  // The per-packet case first, small enough to be inlined into the caller: the checks of the
  // general case below are only called when this one does not apply.
  const counts = state.counts
  if (origin < counts.length && Number.isSafeInteger(n) && n >= 0 && counts[origin]! + n <= Number.MAX_SAFE_INTEGER) {
    counts[origin]! += n
    state.total += n
    if (!state.dirty[origin]) markDirty(state, origin)
    return
  }
  checkedIncrement(state, origin, n)
}

function checkedIncrement(state: CounterState, origin: number, n: number): void {
  assertCount(n, 'counter.increment')
  if (origin >= state.counts.length) ensure(state, origin)
  assertTotal(state.counts[origin]!, n, 'counter.increment')
  state.counts[origin]! += n
  state.total += n
  markDirty(state, origin)
}

/** This origin's own total. */
export function localValue(state: CounterState, origin: number): number {
  return state.counts[origin] ?? 0
}

/** Sum over all origins ever. */
export function globalValue(state: CounterState): number {
  return state.total
}

export const counterOps: SlotOps<CounterState, number> = {
  version: (state, slot) => state.versions[slot] ?? 0,
  owner: (_state, slot) => slot,
  stamp: stampOrigin,
  encodeSlot(encoder: Encoder, state, slot) {
    writeVarUint(encoder, state.counts[slot]!)
  },
  decodeSlot(reader: Reader) {
    return reader.varUint('counter value')
  },
  applySlot(state, origin, version, count) {
    if (!isNewer(state, origin, version)) return -1
    ensure(state, origin)
    state.total += count - state.counts[origin]!
    state.counts[origin] = count
    state.versions[origin] = version
    return origin
  },
  slots: stampedOrigins,
  absorb(state, from, into) {
    const count = state.counts[from] ?? 0
    if (count === 0) return
    if (into >= state.counts.length) ensure(state, into)
    state.counts[into]! += count
    state.total += count
    markDirty(state, into)
  },
  dropOrigin(state, origin) {
    if (origin >= state.counts.length) return
    state.total -= state.counts[origin]!
    state.counts[origin] = 0
    forgetOrigin(state, origin)
  },
}
