/**
 * The properties the kit returns: fast-check properties that carry their run parameters and
 * an `assert()` that runs them and, on failure, throws a `PropertyFailure` with the seed, the
 * path, the shrunk counterexample and what failed for it.
 */
import fc from 'fast-check'

/**
 * Run parameters every check accepts.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { custom } from 'elastic-state'
 * import { checkLaws, type RunOptions } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 * const maximum = custom({
 *   name: 'maximum',
 *   empty: () => ({ value: 0 }),
 *   join: (a, b) => ({ value: Math.max(a.value, b.value) }),
 *   writes: { raise({ own }, value: number) { own.value = Math.max(own.value, value) } },
 *   encode(writer, state) { writer.varUint(state.value) },
 *   decode(reader) { return { value: reader.varUint('value') } },
 * })
 * const run: RunOptions = { numRuns: 20, seed: 42 }   // the same 20 cases every time
 * const laws = checkLaws(maximum, { writes: { raise: fc.tuple(fc.nat(9)) }, ...run })
 * laws.assert()
 * assert.equal(laws.parameters.seed, 42)
 * ```
 */
export interface RunOptions {
  /** Runs of the property (random cases tried). */
  numRuns?: number
  /** Seed of the random cases; with `path`, replays one case from a failure report. */
  seed?: number
  /** Path of a failing case, from a failure report (needs `seed`). */
  path?: string
  /** Also report every failure met while shrinking. */
  verbose?: boolean
}

/**
 * A synchronous kit property: a fast-check property (usable with `fc.assert(property,
 * property.parameters)`) plus `assert()`.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { custom } from 'elastic-state'
 * import { checkLaws, type KitProperty } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const maximum = custom({
 *   name: 'maximum',
 *   empty: () => ({ value: 0 }),
 *   join: (a, b) => ({ value: Math.max(a.value, b.value) }),
 *   writes: { raise({ own }, value: number) { own.value = Math.max(own.value, value) } },
 *   encode(writer, state) { writer.varUint(state.value) },
 *   decode(reader) { return { value: reader.varUint('value') } },
 * })
 * const laws: KitProperty<unknown> = checkLaws(maximum, { writes: { raise: fc.tuple(fc.nat(100)) }, numRuns: 20 })
 * laws.assert()
 * fc.assert(laws, laws.parameters)   // the same, through fast-check
 * assert.equal(laws.parameters.numRuns, 20)
 * ```
 */
export interface KitProperty<Ts> extends fc.IProperty<[Ts]> {
  /** The parameters `assert()` runs with (from the options: numRuns, seed, path, verbose). */
  readonly parameters: fc.Parameters<[Ts]>
  /** Runs the property. @throws PropertyFailure for the first failing case, shrunk. */
  assert(): void
}

/**
 * An asynchronous kit property (`checkConvergence`): `await property.assert()`.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { counter, defineState } from 'elastic-state'
 * import { checkConvergence, type KitAsyncProperty } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const State = defineState({ hits: counter() })
 * const convergence: KitAsyncProperty<unknown> = checkConvergence(State, [
 *   fc.nat(5).map((n) => (state: { hits: { increment(n: number): void } }) => state.hits.increment(n)),
 * ], { numRuns: 3 })
 * await convergence.assert()
 * assert.equal(convergence.parameters.numRuns, 3)
 * ```
 */
export interface KitAsyncProperty<Ts> extends fc.IAsyncProperty<[Ts]> {
  /** The parameters `assert()` runs with (from the options: numRuns, seed, path, verbose). */
  readonly parameters: fc.Parameters<[Ts]>
  /** Runs the property. @throws PropertyFailure for the first failing case, shrunk. */
  assert(): Promise<void>
}

/**
 * A property failed. The message holds what failed, the shrunk counterexample and how to replay
 * it; the fields hold the same for programs.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { custom } from 'elastic-state'
 * import { checkLaws, PropertyFailure } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * // Adding totals is not idempotent: join(a, a) counts everything twice.
 * const doubling = custom({
 *   name: 'doubling',
 *   empty: () => ({ total: 0 }),
 *   join: (a, b) => ({ total: a.total + b.total }),
 *   writes: { add({ own }, n: number) { own.total += n } },
 *   encode(writer, state) { writer.varUint(state.total) },
 *   decode(reader) { return { total: reader.varUint('total') } },
 * })
 * try {
 *   checkLaws(doubling, { writes: { add: fc.tuple(fc.integer({ min: 1, max: 9 })) } }).assert()
 *   assert.fail('the laws should fail')
 * } catch (error) {
 *   assert.ok(error instanceof PropertyFailure)
 *   assert.match(error.failure, /join is not idempotent/)
 *   assert.equal(typeof error.seed, 'number')
 * }
 * ```
 */
export class PropertyFailure extends Error {
  override name = 'PropertyFailure'
  /** Seed of the run that failed: pass it, with `path`, as options to replay the case. */
  readonly seed: number
  /** Path of the shrunk failing case. */
  readonly path: string
  /** The shrunk failing case, as generated. */
  readonly counterexample: unknown
  /** What failed for it: the message of the error the case raised. */
  readonly failure: string
  /** Cases run before the failure. */
  readonly runs: number

  constructor(title: string, details: fc.RunDetails<unknown>) {
    const failure = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
    const path = details.counterexamplePath ?? ''
    const counterexample = (details.counterexample as unknown[] | null)?.[0]
    const lines = [
      `${title}: ${failure}`,
      '',
      `Counterexample (found after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)):`,
      `  ${fc.stringify(counterexample)}`,
      '',
      `Seed ${details.seed}, path ${JSON.stringify(path)}: replay it with the options { seed: ${details.seed}, path: ${JSON.stringify(path)} }.`,
    ]
    // fast-check's own report repeats the above; verbose runs add the failures met while shrinking.
    if (details.verbose >= fc.VerbosityLevel.Verbose) lines.push('', fc.defaultReportMessage(details) ?? '')
    const message = lines.join('\n')
    super(message, { cause: details.errorInstance })
    this.seed = details.seed
    this.path = path
    this.counterexample = counterexample
    this.failure = failure
    this.runs = details.numRuns
  }
}

/** fast-check parameters from the kit's options. */
export function runParameters<Ts>(options: RunOptions, defaultRuns: number): fc.Parameters<Ts> {
  const { numRuns = defaultRuns, seed, path, verbose = false } = options
  if (!Number.isSafeInteger(numRuns) || numRuns < 1) throw new RangeError(`numRuns must be a positive integer, got ${String(numRuns)}`)
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`)
  if (path !== undefined && seed === undefined) throw new RangeError('path replays a case of one seed: give seed too')
  return {
    numRuns,
    verbose: verbose ? fc.VerbosityLevel.Verbose : fc.VerbosityLevel.None,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
  }
}

export function kitProperty<Ts>(title: string, property: fc.IPropertyWithHooks<[Ts]>, parameters: fc.Parameters<[Ts]>): KitProperty<Ts> {
  return Object.assign(property, {
    parameters,
    assert(): void {
      const details = fc.check(property, parameters)
      if (details.failed) throw new PropertyFailure(title, details as fc.RunDetails<unknown>)
    },
  })
}

export function kitAsyncProperty<Ts>(title: string, property: fc.IAsyncPropertyWithHooks<[Ts]>, parameters: fc.Parameters<[Ts]>): KitAsyncProperty<Ts> {
  return Object.assign(property, {
    parameters,
    async assert(): Promise<void> {
      const details = await fc.check(property, parameters)
      if (details.failed) throw new PropertyFailure(title, details as fc.RunDetails<unknown>)
    },
  })
}
