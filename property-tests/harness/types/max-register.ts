import fc from 'fast-check'
import { type MaxRegisterState, createMaxRegister, globalValue, localValue, maxRegisterOps, set } from '../../../crdts/max-register.js'
import type { TypeAdapter } from '../replica-sim.js'

/** Finite numbers, with many repeats and both zeros. */
export const maxRegisterValue = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.constantFrom(0, -0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

export const maxRegisterAdapter: TypeAdapter<MaxRegisterState, number, number> = {
  name: 'maxRegister',
  ops: maxRegisterOps,
  create: (_context, fieldIndex, sink) => createMaxRegister(fieldIndex, sink),
  write: maxRegisterValue,
  apply: (state, origin, n) => set(state, origin, n),
  views: (state, origins) => ({
    global: globalValue(state),
    local: origins.map((origin) => localValue(state, origin)),
  }),
}
