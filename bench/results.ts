/**
 * The result file of a harness run (bench/results/<time>-<mode>.json): parameters, machine and
 * versions, every run of every system with its medians, convergence and micro figures. The
 * report (report.ts) is generated from these files only.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ConvergenceFigures } from './convergence.js'
import type { RunFigures } from './driver.js'
import type { HotPathFigures } from './hot-path.js'
import type { MachineInfo } from './machine.js'
import type { HarnessOptions, Mode } from './options.js'
import { type Family, SYSTEMS } from './registry.js'
import { median } from './workload.js'

export const RESULT_FORMAT = 1

/** Medians over runs of every numeric figure of a run. */
export type MedianFigures = { [K in keyof RunFigures as RunFigures[K] extends number | null ? K : never]: RunFigures[K] }

export interface SystemResult {
  id: string
  label: string
  family: Family
  how: string
  variant: Record<string, string>
  /** `ok`: every run passed the check; `failed`: a run failed it or crashed (no result); `skipped`: not run. */
  status: 'ok' | 'failed' | 'skipped'
  reason: string | null
  /** P the system ran at. */
  packets: number
  runs: RunFigures[]
  median: MedianFigures | null
  /** Wall time of each run's child process, ms. */
  wallMs: number[]
}

export interface BenchmarkResult {
  format: typeof RESULT_FORMAT
  mode: Mode
  startedAt: string
  finishedAt: string
  durationMs: number
  machine: MachineInfo
  parameters: Pick<HarnessOptions, 'workload' | 'automergePackets' | 'runs' | 'convergence' | 'micro'>
  systems: SystemResult[]
  convergence: ConvergenceFigures | null
  convergenceFailure: string | null
  micro: HotPathFigures | null
  microFailure: string | null
}

const MEDIAN_FIELDS = [
  'packets', 'hotNsPerPacket', 'totalNsPerPacket', 'syncs', 'wireBytes', 'wireBytesPerPacket', 'wireBytesPerSync',
  'heapBytesPerFlowPerReplica', 'serverBytesPerFlow', 'catchUpMs', 'catchUpBytes', 'globalReadNs', 'flowReadNs',
] as const satisfies readonly (keyof MedianFigures)[]

export function medianFigures(runs: RunFigures[]): MedianFigures | null {
  if (runs.length === 0) return null
  const result: Record<string, number | null> = {}
  for (const field of MEDIAN_FIELDS) {
    const values = runs.map((run) => run[field]).filter((value): value is number => value !== null)
    result[field] = values.length === 0 ? null : median(values)
  }
  return result as MedianFigures
}

export function resultFileName(result: BenchmarkResult): string {
  return `${result.startedAt.replace(/[:.]/g, '-')}-${result.mode}.json`
}

export function writeResult(directory: string, result: BenchmarkResult): string {
  mkdirSync(directory, { recursive: true })
  const path = join(directory, resultFileName(result))
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n')
  return path
}

export interface StoredResult {
  path: string
  result: BenchmarkResult
}

/** Result files of the harness in `directory`, oldest first (other JSON files there are ignored). */
export function readResults(directory: string): StoredResult[] {
  let names: string[]
  try {
    names = readdirSync(directory)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const stored: StoredResult[] = []
  for (const name of names.filter((file) => /^\d{4}-.*-(quick|full|smoke|custom)\.json$/.test(file)).sort()) {
    const path = join(directory, name)
    const result = JSON.parse(readFileSync(path, 'utf8')) as BenchmarkResult
    if (result.format === RESULT_FORMAT) stored.push({ path, result })
  }
  return stored
}

/**
 * The latest full run of every system in `systemIds` (a run limited with `--systems` compares
 * only some), else the latest full run, else the latest run of any mode.
 */
export function latestForReport(directory: string, systemIds: readonly string[] = SYSTEMS.map((entry) => entry.id)): StoredResult | null {
  const stored = readResults(directory)
  const full = stored.filter((entry) => entry.result.mode === 'full')
  const complete = full.filter((entry) => systemIds.every((id) => entry.result.systems.some((system) => system.id === id)))
  return complete.at(-1) ?? full.at(-1) ?? stored.at(-1) ?? null
}
