/**
 * The soak's result file: the options, the machine, the books of the traffic, the check, every
 * event of the schedule and every memory sample. soak/report.ts turns one into docs/soak.md and
 * its chart. Runs under SHORT_RUN_MINUTES are named `<timestamp>-short.json` and git-ignored;
 * longer ones are kept.
 */
import { cpus, totalmem } from 'node:os'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Totals } from '../examples/deployment/data-link.js'
import type { SoakEvent, SoakEventKind } from './churn.js'
import type { SoakOptions } from './options.js'
import type { DeploymentSample, ProcessSeries } from './sampler.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const RESULTS_DIR = join(ROOT, 'soak', 'results')

export interface SoakResult {
  version: 1
  /** ISO time the run started. */
  startedAt: string
  short: boolean
  /** Ended by a signal before its check: the samples so far, no verdict. */
  interrupted: boolean
  options: SoakOptions
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string; platform: string }
  /** How long traffic flowed, and the whole run. */
  trafficMs: number
  elapsedMs: number
  /** From the traffic stopping (every partition healed, every killed instance restarted) to agreement. */
  convergeMs: number | null
  sent: Totals
  acked: Totals
  /** In flight to an instance when it was killed. */
  lost: Totals
  heldBack: number
  check: { ok: boolean; line: string; problems: string[] }
  eventCounts: Record<SoakEventKind, number>
  /** Membership changes the instances reported (an instance seeing another fail or leave). */
  membershipChanges: number
  /** What the instances reported on their control channel (errors, failed flushes, ...), by text, most frequent first. */
  instanceMessages: { text: string; count: number }[]
  events: SoakEvent[]
  deployment: DeploymentSample[]
  processes: ProcessSeries[]
}

export function machine(): SoakResult['machine'] {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version, platform: `${process.platform} ${process.arch}` }
}

export function countEvents(events: readonly SoakEvent[]): Record<SoakEventKind, number> {
  const counts: Record<SoakEventKind, number> = { start: 0, kill: 0, restart: 0, 'scale-in': 0, 'scale-out': 0, partition: 0, heal: 0 }
  for (const event of events) counts[event.kind]++
  return counts
}

/** soak/results/<timestamp>.json, or <timestamp>-short.json for a short run. */
export function defaultResultPath(startedAt: Date, short: boolean): string {
  return join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}${short ? '-short' : ''}.json`)
}

export function writeResult(path: string, result: SoakResult): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(result) + '\n')
}

/** @throws Error naming the file when it is not a soak result. */
export function readResult(path: string): SoakResult {
  const result = JSON.parse(readFileSync(path, 'utf8')) as SoakResult
  if (result.version !== 1 || !Array.isArray(result.processes)) throw new Error(`${path} is not a soak result (version 1)`)
  return result
}

/**
 * The newest complete run in `dir`: a full one if there is any, else a short one; null when
 * there is none. Interrupted runs are skipped.
 */
export function latestResult(dir = RESULTS_DIR): { path: string; result: SoakResult } | null {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json')).sort().reverse()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  const runs = names.map((name) => ({ path: join(dir, name), result: readResult(join(dir, name)) })).filter((run) => !run.result.interrupted)
  return runs.find((run) => !run.result.short) ?? runs[0] ?? null
}
