/** Starts replica processes (fixtures/replica-process.ts) and talks to them over IPC. */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const FIXTURE = fileURLToPath(new URL('./fixtures/replica-process.ts', import.meta.url))

export interface ProcessOptions {
  id: string
  peers: string[]
  dir?: string
  secret?: string
  schema?: 'main' | 'other'
}

export interface ReplicaProcess {
  readonly id: string
  readonly address: string
  readonly incarnation: number
  readonly child: ChildProcess
  /** What the process wrote to stderr so far. */
  readonly stderr: () => string
  call<T = unknown>(command: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** SIGKILL: no flush, no goodbye. */
  kill(): Promise<void>
  exited(): Promise<number | null>
}

const started = new Set<ChildProcess>()

export async function startProcess(options: ProcessOptions): Promise<ReplicaProcess> {
  const child = fork(FIXTURE, [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  started.add(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    started.delete(child)
    resolve(code)
  }))
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let seq = 0
  const ready = new Promise<{ address: string; incarnation: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${options.id} did not start in 20 s; stderr: ${stderr}`)), 20_000)
    child.on('message', (message: { ready?: boolean; address: string; incarnation: number; seq?: number; result?: unknown; error?: string }) => {
      if (message.ready) {
        clearTimeout(timer)
        resolve(message)
        return
      }
      const waiter = pending.get(message.seq!)
      pending.delete(message.seq!)
      if (message.error) waiter?.reject(new Error(message.error))
      else waiter?.resolve(message.result)
    })
    void exit.then((code) => {
      clearTimeout(timer)
      reject(new Error(`process ${options.id} exited with ${code} before it was ready; stderr: ${stderr}`))
    })
  })
  const { address, incarnation } = await ready
  return {
    id: options.id, address, incarnation, child,
    stderr: () => stderr,
    call<T>(command: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
      const id = ++seq
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${options.id}: ${JSON.stringify(command)} got no answer in ${timeoutMs} ms`)), timeoutMs)
        pending.set(id, {
          resolve: (value) => { clearTimeout(timer); resolve(value as T) },
          reject: (error) => { clearTimeout(timer); reject(error) },
        })
        child.send({ seq: id, command })
      })
    },
    async kill() {
      child.kill('SIGKILL')
      await exit
    },
    exited: () => exit,
  }
}

/** Kills every process still running (test clean-up). */
export async function killAll(): Promise<void> {
  const waits = [...started].map((child) => new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGKILL')
  }))
  await Promise.all(waits)
}

/** Polls `read` until `check` holds for its value, or throws with the last value after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T
  for (;;) {
    last = await read()
    if (check(last)) return last
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
