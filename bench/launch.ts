/**
 * Starts one job in a child process (`node --import tsx --expose-gc bench/child.ts <job>`),
 * forwards its progress, and resolves with its result or the reason it has none. A child that
 * runs past its time limit is killed by its pid.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, Job, JobFigures } from './messages.js'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Heap limit of a child: Yjs at the full parameters holds several hundred MB per replica. */
const CHILD_HEAP_MB = 8192
const STDERR_TAIL_BYTES = 4000
/** After its result, a child gets this long to exit on its own before it is killed. */
const EXIT_GRACE_MS = 5000

export type JobOutcome =
  | { ok: true; figures: JobFigures; wallMs: number }
  | { ok: false; reason: string; checkFailed: boolean; wallMs: number }

export interface LaunchOptions {
  timeoutMs: number
  onProgress(fraction: number, phase: string): void
  /** Called with the child's pid once it runs, and with null once it has exited. */
  onPid?(pid: number | null): void
}

export function launch(job: Job, options: LaunchOptions): Promise<JobOutcome> {
  const started = performance.now()
  return new Promise((resolve) => {
    const child = fork(CHILD, [JSON.stringify(job)], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${CHILD_HEAP_MB}`, ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    if (child.pid !== undefined) options.onPid?.(child.pid)
    let stderr = ''
    let outcome: JobOutcome | null = null
    let graceTimer: NodeJS.Timeout | null = null
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES)
    })
    // A child's console output is not part of the protocol; keep it out of the progress display.
    child.stdout?.resume()
    const timeout = setTimeout(() => {
      outcome ??= { ok: false, reason: `timed out after ${Math.round(options.timeoutMs / 1000)} s`, checkFailed: false, wallMs: performance.now() - started }
      child.kill('SIGKILL')
    }, options.timeoutMs)
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') options.onProgress(message.fraction, message.phase)
      else if (outcome === null) {
        const wallMs = performance.now() - started
        outcome = message.type === 'result'
          ? { ok: true, figures: message.figures, wallMs }
          : { ok: false, reason: message.reason, checkFailed: message.checkFailed, wallMs }
        graceTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS)
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timeout)
      if (graceTimer !== null) clearTimeout(graceTimer)
      options.onPid?.(null)
      const tail = stderr.trim() ? `; stderr: ${stderr.trim().split('\n').slice(-8).join(' | ')}` : ''
      resolve(outcome ?? { ok: false, reason: `child exited (${signal ?? `code ${code}`}) without a result${tail}`, checkFailed: false, wallMs: performance.now() - started })
    })
  })
}
