/**
 * The asynchronous twin of `checkProperty` (property-tests/harness/runs.ts): the convergence
 * properties await `replica.leave()`, so they are `fc.asyncProperty`s. Same run count
 * (`PROPERTY_RUNS`), same replay variables (`PROPERTY_SEED`, `PROPERTY_PATH`), same report: on
 * failure the error carries fast-check's seed, path and shrunk counterexample, and the command
 * line that replays exactly that case.
 */
import fc from 'fast-check'
import { failureReport, propertyRuns, replayParameters } from '../harness/runs.js'

/**
 * Runs per property of this folder: `PROPERTY_RUNS` divided by `divisor` (rounded up). The
 * whole-group properties cost two to three orders of magnitude more per run than a law of one
 * type, and share the suite's time budget; the divisor of each is stated where it is used.
 */
export function convergenceRuns(divisor = 1): number {
  return Math.max(1, Math.ceil(propertyRuns() / divisor))
}

export async function checkAsyncProperty<Ts>(property: fc.IAsyncProperty<Ts>, parameters: fc.Parameters<Ts> = {}): Promise<void> {
  const details = await fc.check(property, {
    numRuns: convergenceRuns(),
    verbose: fc.VerbosityLevel.Verbose,
    ...replayParameters(),
    ...parameters,
  })
  if (details.failed) throw failureReport(details)
}
