/**
 * Per-instance value: E-State's `get_global(key, reduce)` made a local read. Each origin's slot
 * holds that instance's latest value (with an HLC timestamp); the global view reduces the values
 * of the instances that are live members right now: `latest` (most recent write), `sum`, `avg`,
 * `min`, `max`, or a function given the values ordered by instance id. Departed and failed
 * instances drop out of the reduction (their slots stay, so a returning id is not confused).
 */
import type { Encoder, Reader } from './codec.js'
import { decodeTimestampedValue, encodeTimestampedValue, storeTimestamped, writeTimestamped, type TimestampedValue } from './timestamped-value.js'
import { compareTimestamps } from './hlc.js'
import { type OriginSlots, createOriginSlots, ensureOrigin, forgetOrigin, isNewer, markDirty, stampOrigin, stampedOrigins } from './origin-slots.js'
import type { DirtySink, SlotOps, TypeContext } from './slot-type.js'
import { DecodeError } from '../src/errors.js'

/**
 * The reductions `perInstance` offers by name: the most recent value, or the sum, average, minimum or maximum of the live instances' numbers.
 * @example
 * ```ts
 * import { perInstance, type BuiltinReduce } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const reduces: BuiltinReduce[] = ['latest', 'sum', 'avg', 'min', 'max']
 * assert.deepEqual(reduces.map((reduce) => perInstance<number>({ reduce }).reduce), reduces)
 * ```
 */
export type BuiltinReduce = 'latest' | 'sum' | 'avg' | 'min' | 'max'
/**
 * How a `perInstance` global view combines the live instances' values: a built-in reduction by name, or a function given the values in instance-id order.
 * @typeParam T - each instance's value.
 * @typeParam R - what the function returns.
 * @example
 * ```ts
 * import { perInstance, type Reduce } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const overloaded: Reduce<number, number> = (loads) => loads.filter((load) => load > 0.8).length
 * assert.equal(perInstance({ reduce: overloaded }).kind, 'perInstance')
 * ```
 */
export type Reduce<T, R = unknown> = BuiltinReduce | ((values: T[]) => R)

export interface PerInstanceState<T> extends OriginSlots {
  readonly reduce: Reduce<T>
  readonly context: TypeContext
  readonly values: (T | undefined)[]
  readonly wallMs: number[]
  readonly logical: number[]
}

/** One slot on the wire: the value and its write's timestamp. */
export type PerInstanceDelta = TimestampedValue

export function createPerInstance<T>(reduce: Reduce<T>, context: TypeContext, fieldIndex = 0, sink: DirtySink | null = null): PerInstanceState<T> {
  return { ...createOriginSlots(fieldIndex, sink), reduce, context, values: [], wallMs: [], logical: [] }
}

function ensure<T>(state: PerInstanceState<T>, origin: number): void {
  ensureOrigin(state, origin)
  while (state.values.length <= origin) {
    state.values.push(undefined)
    state.wallMs.push(-1)
    state.logical.push(0)
  }
}

function isNumericReduce(reduce: unknown): boolean {
  return typeof reduce === 'string' && reduce !== 'latest'
}

/** @throws RangeError for a numeric reduce (`sum`, `avg`, `min`, `max`) given a non-finite number. */
export function set<T>(state: PerInstanceState<T>, origin: number, value: T): void {
  if (isNumericReduce(state.reduce) && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new RangeError(`perInstance with reduce '${state.reduce}' takes a finite number, got ${String(value)}`)
  }
  if (origin >= state.values.length) ensure(state, origin)
  writeTimestamped(state, origin, value)
  markDirty(state, origin)
}

export function localValue<T>(state: PerInstanceState<T>, origin: number): T | undefined {
  return state.values[origin]
}

/** Live instances' values, keyed by instance id, in id order. */
export function byInstance<T>(state: PerInstanceState<T>): Map<string, T> {
  const entries: [string, T][] = []
  for (const origin of state.present) {
    if ((state.wallMs[origin] ?? -1) < 0 || !state.context.isLive(origin)) continue
    entries.push([state.context.originId(origin), state.values[origin] as T])
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return new Map(entries)
}

/** The reduction over live instances; `undefined` when no live instance has a value (for built-ins). */
export function globalValue<T>(state: PerInstanceState<T>): unknown {
  const reduce = state.reduce
  if (typeof reduce === 'function') return reduce([...byInstance(state).values()])
  if (reduce === 'latest') {
    let best = -1
    for (const origin of state.present) {
      if ((state.wallMs[origin] ?? -1) < 0 || !state.context.isLive(origin)) continue
      if (best < 0 || compareTimestamps(
        state.wallMs[origin]!, state.logical[origin]!, state.context.originRank(origin),
        state.wallMs[best]!, state.logical[best]!, state.context.originRank(best)) > 0) best = origin
    }
    return best < 0 ? undefined : state.values[best]
  }
  // Numeric reductions run in instance-id order so floating-point sums agree on every replica.
  const numbers = [...byInstance(state).values()] as unknown as number[]
  if (numbers.length === 0) return reduce === 'sum' ? 0 : undefined
  switch (reduce) {
    case 'sum': return numbers.reduce((a, b) => a + b, 0)
    case 'avg': return numbers.reduce((a, b) => a + b, 0) / numbers.length
    case 'min': return Math.min(...numbers)
    case 'max': return Math.max(...numbers)
  }
}

export const perInstanceOps: SlotOps<PerInstanceState<unknown>, PerInstanceDelta> = {
  version: (state, slot) => state.versions[slot] ?? 0,
  owner: (_state, slot) => slot,
  stamp: stampOrigin,
  encodeSlot(encoder: Encoder, state, slot) {
    encodeTimestampedValue(encoder, state.wallMs[slot]!, state.logical[slot]!, state.values[slot])
  },
  decodeSlot(reader: Reader, _origins, state) {
    const delta = decodeTimestampedValue(reader, 'perInstance')
    // `set` only lets finite numbers into a numeric reduce; a value from the wire is held to the same rule.
    if (isNumericReduce(state.reduce) && (typeof delta.value !== 'number' || !Number.isFinite(delta.value))) {
      throw new DecodeError(`perInstance with reduce '${String(state.reduce)}' got a non-number value`)
    }
    return delta
  },
  applySlot(state, origin, version, delta) {
    if (!isNewer(state, origin, version)) return -1
    ensure(state, origin)
    storeTimestamped(state, origin, version, delta)
    return origin
  },
  slots: stampedOrigins,
  // A departed instance is out of every reduction already: its heir takes nothing over.
  absorb() {},
  dropOrigin(state, origin) {
    if (origin >= state.values.length) return
    state.values[origin] = undefined
    state.wallMs[origin] = -1
    state.logical[origin] = 0
    forgetOrigin(state, origin)
  },
}
