/**
 * Positive-negative counter (PN-Counter, Shapiro et al., 2011): two grow-only totals per origin,
 * increments and decrements. Global view = sum of increments − sum of decrements over every
 * origin ever; local view = the own difference. Both sums are maintained, so reads are O(1).
 */
import { type Encoder, type Reader, writeVarUint } from './codec.js'
import { type OriginSlots, createOriginSlots, ensureOrigin, forgetOrigin, isNewer, markDirty, stampOrigin, stampedOrigins } from './origin-slots.js'
import type { DirtySink, SlotOps } from './slot-type.js'
import { assertCount, assertTotal } from './validate.js'

export interface PNCounterState extends OriginSlots {
  readonly increments: number[]
  readonly decrements: number[]
  total: number
}

export interface PNDelta {
  increments: number
  decrements: number
}

export function createPNCounter(fieldIndex = 0, sink: DirtySink | null = null): PNCounterState {
  return { ...createOriginSlots(fieldIndex, sink), increments: [], decrements: [], total: 0 }
}

function ensure(state: PNCounterState, origin: number): void {
  ensureOrigin(state, origin)
  while (state.increments.length <= origin) {
    state.increments.push(0)
    state.decrements.push(0)
  }
}

/** @throws RangeError unless `n` is a non-negative safe integer. */
export function increment(state: PNCounterState, origin: number, n = 1): void {
  assertCount(n, 'pnCounter.increment')
  if (origin >= state.increments.length) ensure(state, origin)
  assertTotal(state.increments[origin]!, n, 'pnCounter.increment')
  state.increments[origin]! += n
  state.total += n
  markDirty(state, origin)
}

/** @throws RangeError unless `n` is a non-negative safe integer. */
export function decrement(state: PNCounterState, origin: number, n = 1): void {
  assertCount(n, 'pnCounter.decrement')
  if (origin >= state.increments.length) ensure(state, origin)
  assertTotal(state.decrements[origin]!, n, 'pnCounter.decrement')
  state.decrements[origin]! += n
  state.total -= n
  markDirty(state, origin)
}

export function localValue(state: PNCounterState, origin: number): number {
  return (state.increments[origin] ?? 0) - (state.decrements[origin] ?? 0)
}

export function globalValue(state: PNCounterState): number {
  return state.total
}

export const pnCounterOps: SlotOps<PNCounterState, PNDelta> = {
  version: (state, slot) => state.versions[slot] ?? 0,
  owner: (_state, slot) => slot,
  stamp: stampOrigin,
  encodeSlot(encoder: Encoder, state, slot) {
    writeVarUint(encoder, state.increments[slot]!)
    writeVarUint(encoder, state.decrements[slot]!)
  },
  decodeSlot(reader: Reader) {
    return { increments: reader.varUint('pnCounter increments'), decrements: reader.varUint('pnCounter decrements') }
  },
  applySlot(state, origin, version, delta) {
    if (!isNewer(state, origin, version)) return -1
    ensure(state, origin)
    state.total += delta.increments - state.increments[origin]! - (delta.decrements - state.decrements[origin]!)
    state.increments[origin] = delta.increments
    state.decrements[origin] = delta.decrements
    state.versions[origin] = version
    return origin
  },
  slots: stampedOrigins,
  absorb(state, from, into) {
    const increments = state.increments[from] ?? 0
    const decrements = state.decrements[from] ?? 0
    if (increments === 0 && decrements === 0) return
    if (into >= state.increments.length) ensure(state, into)
    state.increments[into]! += increments
    state.decrements[into]! += decrements
    state.total += increments - decrements
    markDirty(state, into)
  },
  dropOrigin(state, origin) {
    if (origin >= state.increments.length) return
    state.total -= state.increments[origin]! - state.decrements[origin]!
    state.increments[origin] = 0
    state.decrements[origin] = 0
    forgetOrigin(state, origin)
  },
}
