import fc from 'fast-check'
import { type RegisterDelta, type RegisterState, createRegister, globalValue, localValue, registerOps, set } from '../../../crdts/register.js'
import type { TypeAdapter } from '../replica-sim.js'

/** JSON-like values of the kinds users store in registers. */
export const registerValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constant('__proto__')), fc.integer(), { maxKeys: 2 }),
  fc.jsonValue({ maxDepth: 2 }),
)

/** Time moves in whole and in fractional milliseconds. */
export const mixedAdvanceMs = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 3, noNaN: true }))

export const registerAdapter: TypeAdapter<RegisterState<unknown>, RegisterDelta, unknown> = {
  name: 'register',
  ops: registerOps,
  create: (context, fieldIndex, sink) => createRegister<unknown>('initial', context, fieldIndex, sink),
  write: registerValue,
  apply: (state, origin, value) => set(state, origin, value),
  views: (state, origins) => ({
    global: globalValue(state),
    local: origins.map((origin) => localValue(state, origin)),
  }),
  advanceMs: mixedAdvanceMs,
  clockSkew: true,
}
