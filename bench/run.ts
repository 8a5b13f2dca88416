/**
 * The benchmark harness: runs every system of registry.ts on the nf-monitor workload
 * (../shared/WORKLOAD.md), each run in its own child process, runs interleaved across systems
 * so a change of machine load hits them all alike; then the convergence table and the
 * micro-benchmarks; writes bench/results/<time>-<mode>.json and regenerates docs/benchmarks.md.
 *
 *   npm run bench                 quick mode (reduced F and P, 3 runs), a few minutes
 *   npm run bench -- --full       the WORKLOAD's parameters, 5 runs; long
 *   npm run bench -- --help       every option
 *
 * Redis servers (one central, a 3-master cluster) are started on free loopback ports in a
 * temporary directory and stopped by pid at the end, on failure and on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ConvergenceFigures } from './convergence.js'
import type { RunFigures } from './driver.js'
import type { HotPathFigures } from './hot-path.js'
import { launch, type JobOutcome } from './launch.js'
import { describeMachine } from './machine.js'
import type { Job } from './messages.js'
import { type HarnessOptions, UsageError, parseArguments } from './options.js'
import { ProgressBoard } from './progress.js'
import { RedisUnavailable, startRedis, type RedisDeployment } from './redis/servers.js'
import { SYSTEMS, type SystemEntry } from './registry.js'
import { writeReport } from './report.js'
import { type BenchmarkResult, RESULT_FORMAT, type SystemResult, medianFigures, writeResult } from './results.js'
import { formatSummary } from './summary.js'

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))

/** Everything to undo if the run ends early: the running child, the Redis servers, the temporary directory. */
class Cleanup {
  childPid: number | null = null
  redis: RedisDeployment | null = null
  temporaryDir: string | null = null

  killChild(): void {
    if (this.childPid === null) return
    try {
      process.kill(this.childPid, 'SIGKILL')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
    }
    this.childPid = null
  }

  /** Synchronous: safe in an 'exit' handler. */
  now(): void {
    this.killChild()
    this.redis?.killNow()
    this.redis = null
    if (this.temporaryDir !== null) rmSync(this.temporaryDir, { recursive: true, force: true })
    this.temporaryDir = null
  }

  async orderly(): Promise<void> {
    this.killChild()
    await this.redis?.stop()
    this.redis = null
    if (this.temporaryDir !== null) rmSync(this.temporaryDir, { recursive: true, force: true })
    this.temporaryDir = null
  }
}

function selectSystems(options: HarnessOptions): SystemEntry[] {
  if (options.systems === null) return SYSTEMS
  const unknown = options.systems.filter((id) => !SYSTEMS.some((entry) => entry.id === id))
  if (unknown.length > 0) throw new UsageError(`unknown system(s) ${unknown.join(', ')}; known: ${SYSTEMS.map((entry) => entry.id).join(', ')}`)
  return SYSTEMS.filter((entry) => options.systems!.includes(entry.id))
}

function emptyResult(entry: SystemEntry, packets: number): SystemResult {
  return {
    id: entry.id, label: entry.label, family: entry.family, how: entry.how, variant: entry.variant,
    status: 'ok', reason: null, packets, runs: [], median: null, wallMs: [],
  }
}

function formatNs(ns: number): string {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e4 ? `${(ns / 1e3).toFixed(1)} µs` : `${ns.toFixed(0)} ns`
}

async function main(): Promise<void> {
  const { options, list } = parseArguments(process.argv.slice(2), RESULTS_DIR)
  if (list) {
    for (const entry of SYSTEMS) console.log(`${entry.id.padEnd(28)} ${entry.how}`)
    return
  }
  const systems = selectSystems(options)
  const startedAt = new Date()
  const machine = describeMachine()
  const cleanup = new Cleanup()
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the running child and the Redis servers\n`)
    cleanup.orderly().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', () => cleanup.now())

  const workDir = options.workDir ?? mkdtempSync(join(os.tmpdir(), 'elastic-state-bench-'))
  if (options.workDir === null) cleanup.temporaryDir = workDir
  const results = new Map(systems.map((entry) => [entry.id, emptyResult(entry, entry.reducedPackets ? options.automergePackets : options.workload.packets)]))

  const board = new ProgressBoard([
    ...systems.map((entry) => ({ id: entry.id, label: entry.label })),
    { id: 'convergence', label: 'convergence (sim)' },
    { id: 'micro', label: 'micro-benchmarks' },
  ])
  const p = options.workload
  board.note(`elastic-state benchmark, ${options.mode} mode: F=${p.flows} P=${p.packets} R=${p.replicas} B=${p.syncEvery} seed=${p.seed}, ${options.runs} run(s) per system (Automerge at P=${options.automergePackets})`)

  try {
    if (systems.some((entry) => entry.needsRedis)) {
      board.note('starting redis-server (central) and a 3-master Redis Cluster on loopback')
      try {
        cleanup.redis = await startRedis(join(workDir, 'redis'))
      } catch (error) {
        // Without servers the Redis systems have no result; the others still run.
        const skipped = error instanceof RedisUnavailable
        const reason = skipped ? error.message : `the Redis servers did not start: ${(error as Error).message}`
        for (const entry of systems.filter((system) => system.needsRedis)) {
          const result = results.get(entry.id)!
          result.status = skipped ? 'skipped' : 'failed'
          result.reason = reason
          board.step(entry.id, 1, `${result.status}: ${reason}`)
        }
      }
    }
    const redis = cleanup.redis ? { central: cleanup.redis.central, cluster: cleanup.redis.cluster } : null

    const runJob = (id: string, job: Job, base: number, share: number, label: string): Promise<JobOutcome> =>
      launch(job, {
        timeoutMs: options.childTimeoutMs,
        onProgress: (fraction, phase) => board.update(id, base + fraction * share, `${label} · ${phase}`),
        onPid: (pid) => { cleanup.childPid = pid },
      })

    for (let run = 0; run < options.runs; run++) {
      for (const entry of systems) {
        const result = results.get(entry.id)!
        if (result.status !== 'ok') continue
        const label = `run ${run + 1}/${options.runs}`
        const workload = { ...options.workload, packets: result.packets }
        const outcome = await runJob(entry.id, { kind: 'system', system: entry.id, run, workload, redis }, run / options.runs, 1 / options.runs, label)
        result.wallMs.push(outcome.wallMs)
        if (outcome.ok) {
          const figures = outcome.figures as RunFigures
          result.runs.push(figures)
          board.step(entry.id, (run + 1) / options.runs, `${label} done: ${formatNs(figures.totalNsPerPacket)}/packet total, ${formatNs(figures.hotNsPerPacket)} hot`)
        } else {
          result.status = 'failed'
          result.reason = outcome.checkFailed ? `failed the end-of-run check: ${outcome.reason}` : outcome.reason
          result.runs = []
          board.step(entry.id, 1, `FAILED (${label}): ${result.reason}`)
        }
      }
    }
    for (const result of results.values()) result.median = result.status === 'ok' ? medianFigures(result.runs) : null

    const convergenceOutcome = await runJob('convergence', { kind: 'convergence', parameters: options.convergence }, 0, 1, `R = ${options.convergence.replicaCounts.join(', ')}`)
    board.step('convergence', 1, convergenceOutcome.ok ? 'done' : `FAILED: ${convergenceOutcome.reason}`)
    const microOutcome = await runJob('micro', { kind: 'micro', parameters: options.micro }, 0, 1, `${options.micro.runs} run(s)`)
    board.step('micro', 1, microOutcome.ok ? 'done' : `FAILED: ${microOutcome.reason}`)
    board.close()

    const finishedAt = new Date()
    machine.loadAverage.end = os.loadavg()[0]!
    const result: BenchmarkResult = {
      format: RESULT_FORMAT,
      mode: options.mode,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      machine,
      parameters: { workload: options.workload, automergePackets: options.automergePackets, runs: options.runs, convergence: options.convergence, micro: options.micro },
      systems: [...results.values()],
      convergence: convergenceOutcome.ok ? convergenceOutcome.figures as ConvergenceFigures : null,
      convergenceFailure: convergenceOutcome.ok ? null : convergenceOutcome.reason,
      micro: microOutcome.ok ? microOutcome.figures as HotPathFigures : null,
      microFailure: microOutcome.ok ? null : microOutcome.reason,
    }
    const path = writeResult(options.resultsDir, result)
    console.log(`\n${formatSummary(result)}\n\nresults: ${path} (${(result.durationMs / 1000).toFixed(0)} s)`)
    if (options.report) {
      const written = writeReport({ resultsDir: options.resultsDir })
      console.log(`report: ${written.markdown} from ${written.source} (${written.mode} run)`)
    }
    const failed = result.systems.filter((system) => system.status === 'failed')
    if (failed.length > 0 || !convergenceOutcome.ok || !microOutcome.ok) {
      console.error(`no result for: ${[...failed.map((system) => system.id), ...(convergenceOutcome.ok ? [] : ['convergence']), ...(microOutcome.ok ? [] : ['micro'])].join(', ')}`)
      process.exitCode = 1
    }
  } finally {
    await cleanup.orderly()
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    const helpAsked = process.argv.includes('--help') || process.argv.includes('-h')
    console[helpAsked ? 'log' : 'error'](error.message)
    process.exitCode = helpAsked ? 0 : 2
  } else {
    console.error(error)
    process.exitCode = 1
  }
})
