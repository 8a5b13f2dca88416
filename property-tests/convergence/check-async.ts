/**
 * The asynchronous twin of `checkProperty` (property-tests/harness/runs.ts): the convergence
 * properties await `replica.leave()`, so they are `fc.asyncProperty`s. Same run count
 * (`PROPERTY_RUNS`), same replay variables (`PROPERTY_SEED`, `PROPERTY_PATH`), same report: on
 * failure the error carries fast-check's seed, path and shrunk counterexample, and the command
 * line that replays exactly that case.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import { propertyRuns } from '../harness/runs.js'

function replayParameters(): { seed?: number; path?: string } {
  const seedText = process.env['PROPERTY_SEED']
  if (seedText === undefined || seedText === '') return {}
  const seed = Number(seedText)
  if (!Number.isSafeInteger(seed)) throw new RangeError(`PROPERTY_SEED must be an integer, got ${JSON.stringify(seedText)}`)
  const path = process.env['PROPERTY_PATH']
  return path ? { seed, path } : { seed }
}

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
  if (!details.failed) return
  const report = fc.defaultReportMessage(details) ?? 'property failed'
  const testPath = expect.getState().testPath ?? '<test file>'
  const testName = expect.getState().currentTestName ?? ''
  const replay = `PROPERTY_SEED=${details.seed} PROPERTY_PATH=${JSON.stringify(details.counterexamplePath ?? '')} `
    + `npx vitest run ${testPath} -t ${JSON.stringify(fullNamePattern(testName))}`
  const failure = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
  throw new Error(`${report}\n\nFailure: ${failure}\n\nReplay with:\n  ${replay}`, { cause: details.errorInstance })
}

/** A `vitest -t` pattern matching exactly this test: its full name (describe blocks and title), regex-escaped. */
function fullNamePattern(currentTestName: string): string {
  const fullName = currentTestName.split(' > ').join(' ')
  return `^${fullName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`
}
