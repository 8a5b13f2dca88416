/**
 * Running the kit's properties in its own tests: every run takes a fresh random seed, and every
 * assertion about a run names that seed, so a surprise replays with `{ seed }`.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import { PropertyFailure } from '../../src/testing/index.js'

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31)
}

/** Runs a property that must fail; returns its failure. */
export async function expectFailure(assert: () => void | Promise<void>, seed: number): Promise<PropertyFailure> {
  try {
    await assert()
  } catch (error) {
    expect(error, `seed ${seed}: a PropertyFailure`).toBeInstanceOf(PropertyFailure)
    return error as PropertyFailure
  }
  throw new Error(`seed ${seed}: the property passed, but the type under test is broken`)
}

/** The shrunk counterexample as the report prints it. */
export function printed(failure: PropertyFailure): string {
  return fc.stringify(failure.counterexample)
}

/** Number of steps of a shrunk case (a law history or a convergence schedule). */
export function stepCount(failure: PropertyFailure): number {
  const value = failure.counterexample as { history?: { steps: unknown[] }; steps?: unknown[] }
  return (value.history?.steps ?? value.steps ?? []).length
}

/** What every report holds: the title, the failure, the printed counterexample, and how to replay it. */
export function expectReadableReport(failure: PropertyFailure, title: string, seed: number): void {
  const context = `seed ${seed}:\n${failure.message}`
  expect(failure.message.startsWith(`${title}: ${failure.failure}`), context).toBe(true)
  expect(failure.message, context).toContain(`Counterexample (found after ${failure.runs} run(s)`)
  expect(failure.message, context).toContain(printed(failure))
  expect(failure.message, context).toContain(`replay it with the options { seed: ${failure.seed}, path: ${JSON.stringify(failure.path)} }`)
  expect(failure.seed, context).toBe(seed)
  expect(printed(failure).length, `${context}\nthe counterexample prints short`).toBeLessThan(600)
}
