/**
 * Max register: every origin keeps the largest number it ever set; the global view is the
 * largest over all origins (a join-semilattice on its own, like a G-Counter's slots). Used for
 * high-water marks such as a flow's `lastSeen`. Before any `set`, both views are `undefined`.
 */
import { type Encoder, type Reader, writeFloat64 } from './codec.js'
import { type OriginSlots, createOriginSlots, ensureOrigin, forgetOrigin, isNewer, markDirty, stampOrigin, stampedOrigins } from './origin-slots.js'
import { DecodeError } from '../src/errors.js'
import type { DirtySink, SlotOps } from './slot-type.js'
import { assertFiniteNumber } from './validate.js'

export interface MaxRegisterState extends OriginSlots {
  /** Per origin; -Infinity = never set. */
  readonly values: number[]
  max: number
}

export function createMaxRegister(fieldIndex = 0, sink: DirtySink | null = null): MaxRegisterState {
  return { ...createOriginSlots(fieldIndex, sink), values: [], max: -Infinity }
}

function ensure(state: MaxRegisterState, origin: number): void {
  ensureOrigin(state, origin)
  while (state.values.length <= origin) state.values.push(-Infinity)
}

/**
 * Raises the own slot to `n` if `n` is larger (a smaller `n` changes nothing).
 * @throws RangeError unless `n` is a finite number.
 */
export function set(state: MaxRegisterState, origin: number, n: number): void {
  assertFiniteNumber(n, 'maxRegister.set')
  if (origin >= state.values.length) ensure(state, origin)
  if (n <= state.values[origin]!) return
  state.values[origin] = n
  if (n > state.max) state.max = n
  markDirty(state, origin)
}

function largestValue(state: MaxRegisterState): number {
  let max = -Infinity
  for (const present of state.present) if (state.values[present]! > max) max = state.values[present]!
  return max
}

export function localValue(state: MaxRegisterState, origin: number): number | undefined {
  const value = state.values[origin]
  return value === undefined || value === -Infinity ? undefined : value
}

export function globalValue(state: MaxRegisterState): number | undefined {
  return state.max === -Infinity ? undefined : state.max
}

export const maxRegisterOps: SlotOps<MaxRegisterState, number> = {
  version: (state, slot) => state.versions[slot] ?? 0,
  owner: (_state, slot) => slot,
  stamp: stampOrigin,
  encodeSlot(encoder: Encoder, state, slot) {
    writeFloat64(encoder, state.values[slot]!)
  },
  decodeSlot(reader: Reader) {
    const value = reader.float64('maxRegister value')
    if (!Number.isFinite(value)) throw new DecodeError(`maxRegister value ${value} is not finite`)
    return value
  },
  applySlot(state, origin, version, value) {
    if (!isNewer(state, origin, version)) return -1
    ensure(state, origin)
    const previous = state.values[origin]!
    state.values[origin] = value
    if (value > state.max) state.max = value
    // An origin's newer value is never smaller, except in a forged or corrupted frame: then the
    // maximum is recomputed, so that the view depends on the slots held, not on their order.
    else if (value < previous && previous === state.max) state.max = largestValue(state)
    state.versions[origin] = version
    return origin
  },
  slots: stampedOrigins,
  absorb(state, from, into) {
    const value = state.values[from] ?? -Infinity
    if (into >= state.values.length) ensure(state, into)
    if (value <= state.values[into]!) return
    state.values[into] = value
    markDirty(state, into)
  },
  dropOrigin(state, origin) {
    if (origin >= state.values.length) return
    state.values[origin] = -Infinity
    forgetOrigin(state, origin)
    // The heir took the value over, so the maximum stays; recomputed to hold the invariant alone.
    let max = -Infinity
    for (const present of state.present) if (state.values[present]! > max) max = state.values[present]!
    state.max = max
  },
}
