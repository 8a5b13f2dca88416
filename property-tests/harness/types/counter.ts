import fc from 'fast-check'
import { type CounterState, counterOps, createCounter, globalValue, increment, localValue } from '../../../crdts/counter.js'
import type { TypeAdapter } from '../replica-sim.js'

/** Increments: mostly small, sometimes up to 2^32 (sums stay far below 2^53). */
export const counterAmount = fc.oneof(fc.nat(10), fc.nat(2 ** 32))

export const counterAdapter: TypeAdapter<CounterState, number, number> = {
  name: 'counter',
  ops: counterOps,
  create: (_context, fieldIndex, sink) => createCounter(fieldIndex, sink),
  write: counterAmount,
  apply: (state, origin, n) => increment(state, origin, n),
  views: (state, origins) => ({
    global: globalValue(state),
    local: origins.map((origin) => localValue(state, origin)),
  }),
}
