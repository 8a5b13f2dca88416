/**
 * The benchmark harness end to end with tiny parameters (`bench/run.ts --smoke`): every system
 * runs in its child process, passes the end-of-run check, and the result file has the shape the
 * report reads; the report then renders from it. Redis servers and temporary directories are
 * removed afterwards even when the run fails or times out.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { redisServerVersion } from '../../bench/redis/servers.js'
import { SYSTEMS } from '../../bench/registry.js'
import { writeReport } from '../../bench/report.js'
import type { BenchmarkResult } from '../../bench/results.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TEST_TIMEOUT_MS = 110_000
const workDir = mkdtempSync(join(tmpdir(), 'elastic-state-bench-smoke-'))
const resultsDir = join(workDir, 'results')
const redisDir = join(workDir, 'work')
let harness: ChildProcess | null = null

function killLeftoverRedis(): void {
  const pidFile = join(redisDir, 'redis', 'redis-pids')
  if (!existsSync(pidFile)) return
  for (const line of readFileSync(pidFile, 'utf8').split('\n')) {
    const pid = Number(line)
    if (!Number.isSafeInteger(pid) || pid <= 0) continue
    try {
      process.kill(pid, 'SIGKILL')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
    }
  }
}

afterAll(async () => {
  if (harness !== null && harness.exitCode === null && harness.signalCode === null) {
    // SIGTERM lets the harness stop its child and its Redis servers itself; the pid file covers the rest.
    const exited = new Promise((resolve) => harness!.once('exit', resolve))
    harness.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8_000))])
    if (harness.exitCode === null && harness.signalCode === null) harness.kill('SIGKILL')
  }
  killLeftoverRedis()
  rmSync(workDir, { recursive: true, force: true })
})

function runHarness(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } })
    harness = child
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.on('exit', (code) => resolve({ code, output }))
  })
}

describe('benchmark harness, smoke mode', () => {
  it('runs every system in its own process; each passes the end-of-run check', async () => {
    const { code, output } = await runHarness(['--smoke', '--results-dir', resultsDir, '--work-dir', redisDir, '--no-report'])
    expect(code, output).toBe(0)
    const files = readdirSync(resultsDir)
    expect(files, output).toHaveLength(1)
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d-]+Z-smoke\.json$/)
    const result = JSON.parse(readFileSync(join(resultsDir, files[0]!), 'utf8')) as BenchmarkResult

    expect(result.format).toBe(1)
    expect(result.mode).toBe('smoke')
    expect(result.durationMs).toBeGreaterThan(0)
    expect(result.machine.node).toBe(process.version)
    expect(result.machine.packages['yjs']).toMatch(/^\d+\.\d+/)
    expect(result.parameters.workload).toMatchObject({ flows: 500, packets: 5_000, replicas: 4 })

    const redisInstalled = redisServerVersion() !== null
    expect(result.systems.map((system) => system.id)).toEqual(SYSTEMS.map((entry) => entry.id))
    for (const system of result.systems) {
      if (system.family === 'redis' && !redisInstalled) {
        expect(system.status, system.id).toBe('skipped')
        continue
      }
      expect({ id: system.id, status: system.status, reason: system.reason }).toEqual({ id: system.id, status: 'ok', reason: null })
      expect(system.runs).toHaveLength(1)
      const run = system.runs[0]!
      expect(run.check).toEqual({ replicas: 4, flowsChecked: expect.any(Number), afterJoin: true, afterLeave: true })
      expect(run.packets).toBe(system.packets)
      expect(run.hotNsPerPacket, system.id).toBeGreaterThan(0)
      expect(run.totalNsPerPacket, system.id).toBeGreaterThanOrEqual(run.hotNsPerPacket)
      expect(run.wireBytesPerPacket, system.id).toBeGreaterThan(0)
      expect(run.wireBytesPerSync, system.id).toBeGreaterThan(0)
      expect(Number.isFinite(run.heapBytesPerFlowPerReplica), system.id).toBe(true)
      expect(run.catchUpMs, system.id).toBeGreaterThan(0)
      expect(run.globalReadNs, system.id).toBeGreaterThan(0)
      expect(run.flowReadNs, system.id).toBeGreaterThan(0)
      expect(run.serverBytesPerFlow === null, system.id).toBe(system.family !== 'redis')
      expect(system.median?.totalNsPerPacket).toBe(run.totalNsPerPacket)
    }

    expect(result.convergenceFailure).toBeNull()
    expect(result.convergence!.rows.map((row) => [row.replicas, row.loss])).toEqual([[4, 0], [4, 0.1], [16, 0], [16, 0.1]])
    for (const row of result.convergence!.rows) expect(row.medianRounds).toBeGreaterThan(0)
    expect(result.microFailure).toBeNull()
    expect(result.micro!.counterIncrementNs).toBeGreaterThan(0)
    expect(result.micro!.flowWriteChurnNs).toBeGreaterThan(0)
    expect(result.micro!.flowWriteChurnOverSteady).toBeGreaterThan(0)
  }, TEST_TIMEOUT_MS)

  it('renders the report and its charts from that result', () => {
    const out = join(workDir, 'docs', 'benchmarks.md')
    const written = writeReport({ resultsDir, out })
    expect(written.mode).toBe('smoke')
    const markdown = readFileSync(out, 'utf8')
    expect(markdown).toContain('# Benchmarks')
    expect(markdown).toContain('**Not a full run.**')
    for (const entry of SYSTEMS) expect(markdown).toContain(entry.label)
    expect(written.charts.map((path) => path.split('/').at(-1)).sort()).toEqual(['bytes-per-packet.svg', 'convergence.svg', 'ns-per-packet.svg'])
    for (const chart of written.charts) expect(readFileSync(chart, 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  })
})
