import fc from 'fast-check'
import { type CustomDefinitionShape, type CustomState, applyWrite, createCustom, customOps, globalValue, localValue, writeContext } from '../../../crdts/custom.js'
import type { CustomSpec } from '../../../src/custom-spec.js'
import { gCounter } from '../../../test/testing/types/g-counter.js'
import { lwwRegister } from '../../../test/testing/types/lww-register.js'
import type { TypeAdapter } from '../replica-sim.js'

export interface CustomOp {
  name: string
  args: unknown[]
}

/** A slot-level adapter for a custom type: its writes by name with generated arguments. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any custom type
export function customAdapter(spec: CustomSpec<any, any, any, any>, write: fc.Arbitrary<CustomOp>): TypeAdapter<CustomState<unknown>, unknown, CustomOp> {
  const definition = spec.definition as CustomDefinitionShape<unknown>
  return {
    name: `custom(${spec.name})`,
    ops: customOps,
    create: (context, fieldIndex, sink) => createCustom(definition, context, fieldIndex, sink),
    write,
    apply: (state, origin, op) => applyWrite(state, origin, writeContext(state, origin), op.name, op.args),
    views: (state, origins) => ({
      global: globalValue(state),
      local: origins.map((origin) => localValue(state, origin)),
    }),
  }
}

export const gCounterAdapter = customAdapter(gCounter, fc.record({ name: fc.constant('increment'), args: fc.tuple(fc.nat(20)) }))

export const lwwRegisterAdapter = customAdapter(lwwRegister, fc.record({ name: fc.constant('set'), args: fc.tuple(fc.constantFrom('allow', 'deny', 'log')) }))
