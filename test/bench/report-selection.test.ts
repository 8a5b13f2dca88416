/**
 * Which stored run docs/benchmarks.md is made from (`latestForReport`): the latest full run of
 * every system. A full run limited with `--systems` (say elastic-state and the floor alone, to
 * time one change) must not replace the report of the whole comparison.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RESULT_FORMAT, latestForReport } from '../../bench/results.js'
import { SYSTEMS } from '../../bench/registry.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A results directory holding runs of (file time, mode, system ids). */
function resultsDir(runs: [string, string, string[]][]): string {
  const dir = mkdtempSync(join(tmpdir(), 'es-results-'))
  dirs.push(dir)
  for (const [time, mode, ids] of runs) {
    writeFileSync(join(dir, `${time}-${mode}.json`), JSON.stringify({ format: RESULT_FORMAT, mode, systems: ids.map((id) => ({ id })) }))
  }
  return dir
}

const every = SYSTEMS.map((entry) => entry.id)

describe('the run the report is made from', () => {
  it('is the latest full run of every system, not a later full run of some of them or a later quick run', () => {
    const dir = resultsDir([
      ['2026-01-01T00-00-00-000Z', 'full', every],
      ['2026-01-02T00-00-00-000Z', 'full', every],
      ['2026-01-03T00-00-00-000Z', 'full', ['elastic-state', 'floor']],
      ['2026-01-04T00-00-00-000Z', 'quick', every],
    ])
    expect(latestForReport(dir)?.path).toBe(join(dir, '2026-01-02T00-00-00-000Z-full.json'))
  })

  it('falls back to the latest full run, then to the latest run of any mode', () => {
    const partial = resultsDir([['2026-01-01T00-00-00-000Z', 'full', ['floor']], ['2026-01-02T00-00-00-000Z', 'quick', every]])
    expect(latestForReport(partial)?.path).toBe(join(partial, '2026-01-01T00-00-00-000Z-full.json'))
    const quick = resultsDir([['2026-01-01T00-00-00-000Z', 'quick', every], ['2026-01-02T00-00-00-000Z', 'smoke', every]])
    expect(latestForReport(quick)?.path).toBe(join(quick, '2026-01-02T00-00-00-000Z-smoke.json'))
    expect(latestForReport(resultsDir([]))).toBeNull()
  })
})
