/**
 * `npm start` for real, shortened: the orchestrator starts monitor instance processes on
 * loopback, scales out, SIGKILLs and restarts one, scales in, and must end with a check line
 * that holds, exit 0, and leave no process and no state directory behind. A second run is
 * interrupted with SIGINT and must clean up the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))
const orchestrator = 'examples/deployment/orchestrator.ts'
const started: ChildProcess[] = []

interface Run {
  child: ChildProcess
  output: () => string
  /** Resolves with the first output line matching `pattern`. */
  line: (pattern: RegExp, timeoutMs: number) => Promise<string>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function startDemo(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', orchestrator, '--plain', ...args], {
    cwd: repositoryRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let text = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    text += chunk.toString()
    for (const listener of [...listeners]) listener()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  const line = (pattern: RegExp, timeoutMs: number) => new Promise<string>((resolve, reject) => {
    const look = () => {
      const found = text.split('\n').find((candidate) => pattern.test(candidate))
      if (found === undefined) return
      listeners.delete(look)
      clearTimeout(timer)
      resolve(found)
    }
    const timer = setTimeout(() => {
      listeners.delete(look)
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output so far:\n${text}`))
    }, timeoutMs)
    listeners.add(look)
    look()
  })
  return { child, output: () => text, line, exited }
}

/** Pids of live processes whose command line mentions `marker` (the run's state directory). */
function processesMentioning(marker: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry))
    } catch (error) {
      // The process ended while the list was read: it is not left over.
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ESRCH') throw error
    }
  }
  return pids
}

/** Every process of the run has ended, within a short grace period for SIGKILLed ones to be reaped. */
async function expectNothingLeft(stateRoot: string): Promise<void> {
  const deadline = Date.now() + 2_000
  let left = processesMentioning(stateRoot)
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    left = processesMentioning(stateRoot)
  }
  expect(left, `processes of the run still alive: ${left.join(', ')}`).toEqual([])
  expect(existsSync(stateRoot), `${stateRoot} still exists`).toBe(false)
}

afterEach(() => {
  // A failed assertion must not leave an orchestrator running (its instances follow it out).
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

describe('npm start (multi-process deployment on loopback)', () => {
  test('a short scripted run ends with a check line that holds, exits 0 and leaves nothing behind', async () => {
    const run = startDemo(['--duration', '12', '--rate', '5000', '--flows', '2000', '--seed', '3'])
    const stateRoot = (await run.line(/^state directories under /, 20_000)).replace(/^state directories under /, '').trim()
    const { code } = await run.exited
    const output = run.output()
    expect(code, output).toBe(0)

    expect(output).toMatch(/SIGKILL i2 \(pid \d+\)/)
    expect(output).toMatch(/i2 ready in [\d.]+ s .*restored from disk/)
    expect(output).toMatch(/i1 left and exited/)
    const check = /^check: sent (\d+), acknowledged (\d+), global (.+) -> OK/m.exec(output)
    expect(check, output).not.toBeNull()
    const sent = Number(check![1])
    const acknowledged = Number(check![2])
    const globals = check![3]!.split(' ').map((pair) => pair.split('='))
    // 3 instances, 2 more, 1 left: i2 (restarted), i3, i4, i5.
    expect(globals.map(([id]) => id).sort()).toEqual(['i2', 'i3', 'i4', 'i5'])
    const counts = new Set(globals.map(([, count]) => Number(count)))
    expect(counts.size, 'every instance holds the same global count').toBe(1)
    const global = [...counts][0]!
    expect(acknowledged).toBeGreaterThan(0)
    expect(acknowledged).toBeLessThanOrEqual(global)
    expect(global).toBeLessThanOrEqual(sent)

    await expectNothingLeft(stateRoot)
  }, 90_000)

  test('SIGINT while traffic flows stops every instance and removes the state directories', async () => {
    const run = startDemo(['--duration', '30', '--rate', '2000', '--flows', '500', '--scale-out', '0'])
    const stateRoot = (await run.line(/^state directories under /, 20_000)).replace(/^state directories under /, '').trim()
    await run.line(/traffic started/, 30_000)
    expect(processesMentioning(stateRoot).length, 'the instances run before the signal').toBeGreaterThanOrEqual(3)
    run.child.kill('SIGINT')
    const { code } = await run.exited
    expect(code, run.output()).toBe(130)
    await expectNothingLeft(stateRoot)
  }, 60_000)
})
