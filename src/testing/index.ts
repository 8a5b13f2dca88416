/**
 * `elastic-state/testing`: the property-test kit (fast-check) for users' own state: the laws
 * of a custom type (`checkLaws`), and convergence of a whole declaration on a simulated network
 * with faults and scale events (`checkConvergence`). Runs in Node and browsers; needs
 * `fast-check` 4 next to `elastic-state`, and the arbitraries you pass must come from it.
 * @module
 */
export { checkLaws } from './laws.js'
export type { LawsOptions } from './laws.js'
export { checkConvergence } from './convergence.js'
export type { ConvergenceOptions, ReferenceModel } from './convergence.js'
export type { Faults } from './schedule.js'
export { op } from './operation.js'
export type { Operation, OperationContext } from './operation.js'
export { PropertyFailure } from './property.js'
export type { KitAsyncProperty, KitProperty, RunOptions } from './property.js'
