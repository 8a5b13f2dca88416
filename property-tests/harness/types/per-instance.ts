import fc from 'fast-check'
import {
  type PerInstanceDelta, type PerInstanceState, type Reduce, byInstance, createPerInstance, globalValue, localValue,
  perInstanceOps, set,
} from '../../../crdts/per-instance.js'
import type { TypeAdapter } from '../replica-sim.js'
import { mixedAdvanceMs, registerValue } from './register.js'

const finiteNumber = fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }))

/** A `perInstance` adapter for one reduce; numeric reduces get finite numbers, others any value. */
export function perInstanceAdapter(reduce: Reduce<unknown>, label = String(reduce)): TypeAdapter<PerInstanceState<unknown>, PerInstanceDelta, unknown> {
  const numeric = typeof reduce === 'string' && reduce !== 'latest'
  return {
    name: `perInstance(${label})`,
    ops: perInstanceOps,
    create: (context, fieldIndex, sink) => createPerInstance(reduce, context, fieldIndex, sink),
    write: numeric ? finiteNumber : registerValue,
    apply: (state, origin, value) => set(state, origin, value),
    views: (state, origins) => ({
      global: globalValue(state),
      byInstance: byInstance(state),
      local: origins.map((origin) => localValue(state, origin)),
    }),
    advanceMs: mixedAdvanceMs,
    usesLiveness: true,
    clockSkew: true,
  }
}

/** A user reduce: sees the values in instance-id order. */
export const joinReduce = (values: unknown[]): string => values.map((value) => JSON.stringify(value)).join('|')

export const perInstanceAdapters = [
  perInstanceAdapter('sum'),
  perInstanceAdapter('avg'),
  perInstanceAdapter('min'),
  perInstanceAdapter('max'),
  perInstanceAdapter('latest'),
  perInstanceAdapter(joinReduce, 'custom'),
]
