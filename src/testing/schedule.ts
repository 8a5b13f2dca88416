/**
 * Random schedules for `checkConvergence`: the user's operations at live replicas, interleaved
 * with virtual time, flushes, partitions and heals, crashes, restarts, scale-out (spawn) and
 * graceful scale-in (leave), on a network with random latency, loss, duplication and reordering.
 * Steps name replicas by position, modulo the live count, so every schedule is valid whatever
 * happened before it, and shrinking keeps it valid.
 */
import fc from 'fast-check'
import type { SchemaFields } from '../schema.js'
import type { Operation } from './operation.js'

export type ScheduleStep<F extends SchemaFields, M> =
  | { readonly kind: 'write'; readonly at: number; readonly op: Operation<F, M> }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'flush'; readonly at: number }
  | { readonly kind: 'partition'; readonly sides: readonly number[] }
  | { readonly kind: 'heal' }
  | { readonly kind: 'crash'; readonly at: number }
  | { readonly kind: 'restart'; readonly at: number }
  | { readonly kind: 'spawn' }
  | { readonly kind: 'leave'; readonly at: number }

export interface NetworkSetup {
  readonly seed: number
  readonly latencyMs: [number, number]
  readonly loss: number
  readonly duplicate: number
  readonly reorder: boolean
}

export interface ConvergenceCase<F extends SchemaFields, M> {
  readonly network: NetworkSetup
  /** Replicas started before the first step. */
  readonly replicas: number
  readonly steps: readonly ScheduleStep<F, M>[]
}

/**
 * Faults and scale events a schedule may contain.
 * @example
 * ```ts
 * import type { Faults } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * // A calm network without crashes: only loss, and at most 5 % of it.
 * const calm: Faults = { loss: 0.05, duplicate: 0, reorder: false, partitions: false, crashes: false }
 * assert.equal(calm.scaling, undefined)   // scale-out and scale-in stay on
 * ```
 */
export interface Faults {
  /** Highest probability of losing a frame (drawn per run from 0 to this). Default 0.2. */
  loss?: number
  /** Highest probability of delivering a frame twice. Default 0.1. */
  duplicate?: number
  /** Whether frames may overtake each other (drawn per run when true). Default true. */
  reorder?: boolean
  /** Partitions and heals. Default true. */
  partitions?: boolean
  /** Crashes (memory lost) and restarts (a new incarnation of the id). Default true. */
  crashes?: boolean
  /** Scale-out (a new replica joins) and graceful scale-in (`leave()`). Default true. */
  scaling?: boolean
}

const position = fc.nat(15)

function withText<T extends object>(value: T, text: () => string): T {
  return Object.assign(value, { [fc.toStringMethod]: text })
}

export function describeScheduleStep<F extends SchemaFields, M>(step: ScheduleStep<F, M>): string {
  switch (step.kind) {
    case 'write': return `${fc.stringify(step.op)} at #${step.at}`
    case 'advance': return `advance ${step.ms} ms`
    case 'flush': return `flush #${step.at}`
    case 'partition': return `partition ${JSON.stringify(step.sides)}`
    case 'heal': return 'heal'
    case 'crash': return `crash #${step.at}`
    case 'restart': return `restart #${step.at}`
    case 'spawn': return 'spawn'
    case 'leave': return `leave #${step.at}`
  }
}

function probability(max: number): fc.Arbitrary<number> {
  return max === 0 ? fc.constant(0) : fc.double({ min: 0, max, noNaN: true })
}

export function networkSetup(faults: Required<Faults>): fc.Arbitrary<NetworkSetup> {
  return fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    latencyMs: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 25 })).map(([min, extra]): [number, number] => [min, min + extra]),
    loss: probability(faults.loss),
    duplicate: probability(faults.duplicate),
    reorder: faults.reorder ? fc.boolean() : fc.constant(false),
  })
}

/** Random cases: a network, a starting group size and a schedule of at most `maxSteps` steps. */
export function convergenceCases<F extends SchemaFields, M>(
  operations: fc.Arbitrary<Operation<F, M>>,
  faults: Required<Faults>,
  maxInitial: number,
  maxSteps: number,
): fc.Arbitrary<ConvergenceCase<F, M>> {
  const steps: fc.WeightedArbitrary<ScheduleStep<F, M>>[] = [
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('write' as const), at: position, op: operations }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 120 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), at: position }) },
  ]
  if (faults.partitions) {
    steps.push(
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), sides: fc.array(fc.nat(2), { minLength: 1, maxLength: 8 }) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
    )
  }
  if (faults.crashes) {
    steps.push(
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), at: position }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), at: position }) },
    )
  }
  if (faults.scaling) {
    steps.push(
      { weight: 1, arbitrary: fc.constant({ kind: 'spawn' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), at: position }) },
    )
  }
  const step = fc.oneof(...steps).map((value) => withText({ ...value }, () => describeScheduleStep(value)))
  return fc.record({
    network: networkSetup(faults),
    replicas: fc.integer({ min: 2, max: maxInitial }),
    steps: fc.array(step, { minLength: 1, maxLength: maxSteps }),
  }).map((value) => withText(value, () => {
    const { seed, latencyMs, loss, duplicate, reorder } = value.network
    const network = `network seed ${seed}, latency ${latencyMs[0]}–${latencyMs[1]} ms, loss ${loss.toFixed(3)}, duplicate ${duplicate.toFixed(3)}, ${reorder ? 'reordering' : 'in order'}`
    return `${value.replicas} replicas; ${network}; steps: ${value.steps.map(describeScheduleStep).join('; ')}`
  }))
}
