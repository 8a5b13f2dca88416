/**
 * How many runs each property gets, and the one way every property here is checked.
 *
 * - `PROPERTY_RUNS` (default 200): runs per property.
 * - `PROPERTY_SEED` and `PROPERTY_PATH`: replay one failure; a failing property prints both,
 *   plus the counterexample and the command line that replays it.
 */
import fc from 'fast-check'
import { expect } from 'vitest'

const DEFAULT_RUNS = 200

/** Runs per property, from `PROPERTY_RUNS`. */
export function propertyRuns(): number {
  const text = process.env['PROPERTY_RUNS']
  if (text === undefined || text === '') return DEFAULT_RUNS
  const runs = Number(text)
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`PROPERTY_RUNS must be a positive integer, got ${JSON.stringify(text)}`)
  return runs
}

/** Seed and path to replay, from `PROPERTY_SEED` / `PROPERTY_PATH`, when set. */
/** `PROPERTY_SEED` and `PROPERTY_PATH`, when set: replay one recorded case. */
export function replayParameters(): { seed?: number; path?: string } {
  const seedText = process.env['PROPERTY_SEED']
  if (seedText === undefined || seedText === '') return {}
  const seed = Number(seedText)
  if (!Number.isSafeInteger(seed)) throw new RangeError(`PROPERTY_SEED must be an integer, got ${JSON.stringify(seedText)}`)
  const path = process.env['PROPERTY_PATH']
  return path ? { seed, path } : { seed }
}

/**
 * Checks a property with the shared settings. On failure, throws an error that carries
 * fast-check's report (seed, path, shrunk counterexample and the failures met while shrinking),
 * the assertion that failed (also as `cause`), and the command that replays exactly that case.
 */
export function checkProperty<Ts>(property: fc.IProperty<Ts>, parameters: fc.Parameters<Ts> = {}): void {
  const details = fc.check(property, {
    numRuns: propertyRuns(),
    verbose: fc.VerbosityLevel.Verbose,
    ...replayParameters(),
    ...parameters,
  })
  if (details.failed) throw failureReport(details)
}

/** The error thrown for a failed property: fast-check's report, the failure, and the replay command. */
export function failureReport<Ts>(details: fc.RunDetails<Ts>): Error {
  const report = fc.defaultReportMessage(details) ?? 'property failed'
  const testPath = expect.getState().testPath ?? '<test file>'
  const testName = expect.getState().currentTestName ?? ''
  const replay = `PROPERTY_SEED=${details.seed} PROPERTY_PATH=${JSON.stringify(details.counterexamplePath ?? '')} `
    + `npx vitest run ${testPath} -t ${JSON.stringify(fullNamePattern(testName))}`
  const failure = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
  return new Error(`${report}\n\nFailure: ${failure}\n\nReplay with:\n  ${replay}`, { cause: details.errorInstance })
}

/** A `vitest -t` pattern matching exactly this test: its full name (describe blocks and title), regex-escaped. */
function fullNamePattern(currentTestName: string): string {
  const fullName = currentTestName.split(' > ').join(' ')
  return `^${fullName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`
}
