/**
 * Operations of a convergence check: functions over `replica.state`, with a readable name in
 * counterexamples and, for checks against a reference model, the same operation on the model.
 */
import fc from 'fast-check'
import type { StateHandles } from '../handles.js'
import type { SchemaFields } from '../schema.js'
import { render } from './structure.js'

/**
 * Where an operation runs: the replica's id and its clock (virtual time in the check).
 * @example
 * ```ts
 * import type { OperationContext } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * // A rate limiter's windows follow the replica's clock.
 * const windowOf = (context: OperationContext) => Math.floor(context.nowMs / 1000)
 * assert.equal(windowOf({ id: 'r1', nowMs: 2500 }), 2)
 * ```
 */
export interface OperationContext {
  /** The replica's id. */
  readonly id: string
  /** The replica's clock, in ms. */
  readonly nowMs: number
}

/**
 * One operation: what it does to a replica's state and, optionally, to the reference model.
 * A plain function `(state) => void` is an operation; `op(...)` makes ones that print as
 * `name(args)` in failure reports and carry their model update.
 * @typeParam F - the declaration's fields.
 * @typeParam M - the reference model.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import type { Operation } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const State = defineState({ hits: counter() })
 * const hit: Operation<typeof State.fields> = (state) => state.hits.increment()
 * assert.equal(typeof hit, 'function')
 * ```
 */
export interface Operation<F extends SchemaFields, M = unknown> {
  (state: StateHandles<F>, context: OperationContext): void
  /** The same operation on the reference model; `id` is the replica it ran at. */
  readonly model?: (model: M, id: string) => void
}

/**
 * An arbitrary of operations named `name(args)` in counterexamples: `run` does it at a replica,
 * `model` (when checking against a reference model) does it to the model.
 * @param name - shown with the arguments in failure reports.
 * @param args - the operation's arguments.
 * @param run - the operation on a replica's state; `context` says which replica and its clock.
 * @param model - the operation on the reference model; `id` is the replica it ran at.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { counter, defineState } from 'elastic-state'
 * import { checkConvergence, op } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const State = defineState({ hits: counter() })
 * const property = checkConvergence(State, [
 *   op('hit', fc.integer({ min: 1, max: 5 }), (state, n) => state.hits.increment(n), (model: { hits: number }, n) => { model.hits += n }),
 * ], {
 *   numRuns: 5,
 *   model: { initial: () => ({ hits: 0 }), expected: (model) => ({ hits: model.hits }) },
 * })
 * await property.assert()
 * assert.ok(property.parameters.numRuns === 5)
 * ```
 */
export function op<F extends SchemaFields, A, M = unknown>(
  name: string,
  args: fc.Arbitrary<A>,
  run: (state: StateHandles<F>, args: A, context: OperationContext) => void,
  model?: (model: M, args: A, id: string) => void,
): fc.Arbitrary<Operation<F, M>> {
  return args.map((value) => {
    const operation = (state: StateHandles<F>, context: OperationContext) => run(state, value, context)
    const text = `${name}(${render(value)})`
    return Object.assign(operation, {
      model: model && ((target: M, id: string) => model(target, value, id)),
      [fc.toStringMethod]: () => text,
    })
  })
}
