import fc from 'fast-check'
import { type PNCounterState, type PNDelta, createPNCounter, decrement, globalValue, increment, localValue, pnCounterOps } from '../../../crdts/pn-counter.js'
import type { TypeAdapter } from '../replica-sim.js'
import { counterAmount } from './counter.js'

export interface PNCounterOp {
  direction: 'increment' | 'decrement'
  n: number
}

export const pnCounterAdapter: TypeAdapter<PNCounterState, PNDelta, PNCounterOp> = {
  name: 'pnCounter',
  ops: pnCounterOps,
  create: (_context, fieldIndex, sink) => createPNCounter(fieldIndex, sink),
  write: fc.record({ direction: fc.constantFrom('increment' as const, 'decrement' as const), n: counterAmount }),
  apply: (state, origin, op) => (op.direction === 'increment' ? increment : decrement)(state, origin, op.n),
  views: (state, origins) => ({
    global: globalValue(state),
    local: origins.map((origin) => localValue(state, origin)),
  }),
}
