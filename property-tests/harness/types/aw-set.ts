import fc from 'fast-check'
import { type AWSetDelta, type AWSetState, type SetElement, add, awSetOps, createAWSet, has, localValues, remove, size, values } from '../../../crdts/aw-set.js'
import { type TypeAdapter, compareKeys } from '../replica-sim.js'

/** A small universe, so adds and removes of one element meet often; `7` and `'7'` are distinct. */
export const setUniverse: readonly SetElement[] = [0, 7, 'a', 'b', '7', '']

export interface AWSetOp {
  kind: 'add' | 'remove'
  element: SetElement
}

export const awSetOp: fc.Arbitrary<AWSetOp> = fc.record({
  kind: fc.constantFrom('add' as const, 'remove' as const),
  element: fc.constantFrom(...setUniverse),
})

export const awSetAdapter: TypeAdapter<AWSetState, AWSetDelta, AWSetOp> = {
  name: 'awSet',
  ops: awSetOps,
  create: (_context, fieldIndex, sink) => createAWSet(fieldIndex, sink),
  write: awSetOp,
  apply: (state, origin, op) => (op.kind === 'add' ? add : remove)(state, origin, op.element),
  views: (state, origins) => ({
    values: [...values(state)].sort(compareKeys),
    size: size(state),
    has: setUniverse.map((element) => has(state, element)),
    local: origins.map((origin) => [...localValues(state, origin)].sort(compareKeys)),
  }),
}
