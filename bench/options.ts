/**
 * Parameters of a harness run: the three modes (quick default, `--full` with the WORKLOAD's
 * parameters, `--smoke` for CI) and the command-line overrides.
 */
import type { WorkloadParameters } from './packets.js'

export type Mode = 'quick' | 'full' | 'smoke' | 'custom'

export interface ConvergenceParameters {
  replicaCounts: number[]
  losses: number[]
  seeds: number[]
}

export interface MicroParameters {
  runs: number
  flows: number
  flowOps: number
  counterOps: number
  deltaEntries: number
}

export interface HarnessOptions {
  mode: Mode
  workload: WorkloadParameters
  /** P for Automerge, whose per-packet change is two orders of magnitude slower (WORKLOAD allows a reduced P). */
  automergePackets: number
  /** Runs per system; figures are medians over them. */
  runs: number
  convergence: ConvergenceParameters
  micro: MicroParameters
  /** Ids of the systems to run (all by default). */
  systems: string[] | null
  resultsDir: string
  /** Regenerate docs/benchmarks.md (and its charts) after the run. */
  report: boolean
  /** Directory for the Redis servers' files and pid list (a fresh temporary one by default). */
  workDir: string | null
  /** A child taking longer than this is killed and its system has no result. */
  childTimeoutMs: number
}

const WORKLOAD_DEFAULTS: WorkloadParameters = { flows: 100_000, packets: 2_000_000, replicas: 4, syncEvery: 1_000, seed: 1 }

export const MODES: Record<'quick' | 'full' | 'smoke', Omit<HarnessOptions, 'mode' | 'systems' | 'resultsDir' | 'report' | 'workDir'>> = {
  full: {
    workload: WORKLOAD_DEFAULTS,
    // WORKLOAD.md quotes Automerge at P = 200,000; here one change per packet on a document of
    // 100,000 flows takes milliseconds each, so a run at 200,000 takes over half an hour. 20,000
    // packets give its per-packet cost in minutes (the report states the P used).
    automergePackets: 20_000,
    runs: 3,
    convergence: { replicaCounts: [4, 16, 64, 256], losses: [0, 0.1], seeds: [1, 2, 3, 4, 5] },
    micro: { runs: 5, flows: 100_000, flowOps: 2_000_000, counterOps: 20_000_000, deltaEntries: 10_000 },
    childTimeoutMs: 60 * 60_000,
  },
  quick: {
    workload: { ...WORKLOAD_DEFAULTS, flows: 20_000, packets: 100_000 },
    automergePackets: 2_000,
    runs: 3,
    convergence: { replicaCounts: [4, 16, 64], losses: [0, 0.1], seeds: [1, 2, 3] },
    micro: { runs: 3, flows: 20_000, flowOps: 400_000, counterOps: 5_000_000, deltaEntries: 10_000 },
    childTimeoutMs: 5 * 60_000,
  },
  smoke: {
    workload: { ...WORKLOAD_DEFAULTS, flows: 500, packets: 5_000, syncEvery: 250 },
    automergePackets: 500,
    runs: 1,
    convergence: { replicaCounts: [4, 16], losses: [0, 0.1], seeds: [1] },
    micro: { runs: 1, flows: 500, flowOps: 5_000, counterOps: 100_000, deltaEntries: 500 },
    childTimeoutMs: 60_000,
  },
}

const USAGE = `usage: tsx bench/run.ts [--full | --smoke] [options]
  --full                 the WORKLOAD's parameters (F=100,000, P=2,000,000), 3 runs; takes long
  --smoke                tiny parameters for CI
  --flows N --packets N --replicas N --sync-every N --seed N --automerge-packets N
                         override a workload parameter (the run's mode becomes "custom")
  --runs N               runs per system (medians over them)
  --systems a,b,...      only these systems (ids as listed by --list)
  --list                 list the systems and exit
  --results-dir DIR      where the result JSON goes (default bench/results)
  --no-report            do not regenerate docs/benchmarks.md (the default with --smoke; --report forces it)
  --work-dir DIR         directory for Redis files and the pid list (default: a new temporary one)`

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

function positiveInteger(name: string, text: string | undefined): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${name} needs a positive integer, got ${text}\n${USAGE}`)
  return value
}

export interface ParsedCommand {
  options: HarnessOptions
  list: boolean
}

export function parseArguments(args: readonly string[], defaultResultsDir: string): ParsedCommand {
  const modeName = args.includes('--full') ? 'full' : args.includes('--smoke') ? 'smoke' : 'quick'
  const base = MODES[modeName]
  const options: HarnessOptions = {
    mode: modeName,
    ...base,
    workload: { ...base.workload },
    convergence: { ...base.convergence },
    micro: { ...base.micro },
    systems: null,
    resultsDir: defaultResultsDir,
    // A smoke run checks the harness; it does not replace the report unless asked to.
    report: modeName !== 'smoke',
    workDir: null,
  }
  let list = false
  const overrides: Record<string, keyof WorkloadParameters> = {
    '--flows': 'flows', '--packets': 'packets', '--replicas': 'replicas', '--sync-every': 'syncEvery', '--seed': 'seed',
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const field = overrides[arg]
    if (field !== undefined) {
      options.workload[field] = positiveInteger(arg, args[++i])
      options.mode = 'custom'
    } else if (arg === '--automerge-packets') {
      options.automergePackets = positiveInteger(arg, args[++i])
      options.mode = 'custom'
    } else if (arg === '--runs') options.runs = positiveInteger(arg, args[++i])
    else if (arg === '--systems') options.systems = (args[++i] ?? '').split(',').filter((id) => id.length > 0)
    else if (arg === '--results-dir') options.resultsDir = args[++i] ?? defaultResultsDir
    else if (arg === '--work-dir') options.workDir = args[++i] ?? null
    else if (arg === '--no-report') options.report = false
    else if (arg === '--report') options.report = true
    else if (arg === '--list') list = true
    else if (arg === '--full' || arg === '--smoke' || arg === '--quick') continue
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE)
    else throw new UsageError(`unknown argument ${arg}\n${USAGE}`)
  }
  if (options.workload.replicas < 2) throw new UsageError(`--replicas needs at least 2 (a replica leaves during the run), got ${options.workload.replicas}`)
  if (options.workload.replicas > 1000) throw new UsageError(`--replicas at most 1000, got ${options.workload.replicas}`)
  options.automergePackets = Math.min(options.automergePackets, options.workload.packets)
  return { options, list }
}
