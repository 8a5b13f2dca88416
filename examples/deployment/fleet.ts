/**
 * The monitor instance processes of the deployment: starts each as a child process with the IPC
 * channel (`node --import tsx instance.ts`), with its own id, state directory and seeds; follows
 * its reports; kills, restarts, retires and stops it; and knows which exits were expected.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type InstanceConfig, type InstanceMessage, type InstanceStatus, type OrchestratorMessage, type StateDigest, instanceArgs } from './control.js'

export type InstancePhase = 'starting' | 'serving' | 'draining' | 'leaving' | 'left' | 'killed' | 'stopping' | 'stopped' | 'failed'

export interface Instance {
  readonly id: string
  readonly dir: string
  phase: InstancePhase
  pid: number
  /** Times this id was started (2 after a restart). */
  starts: number
  address: string | null
  dataPort: number
  incarnation: number
  status: InstanceStatus | null
  child: ChildProcess | null
  /** Whether the process may exit now without that being a failure. */
  exitExpected: boolean
  exited: Promise<void>
}

export interface FleetOptions {
  /** Directory holding every instance's state directory. */
  stateRoot: string
  gossipIntervalMs: number
  failureTimeoutMs: number
  statusMs: number
  ackDelayMs: number
  readyTimeoutMs: number
  stopTimeoutMs: number
  onEvent(text: string): void
  /** A process exited when it was not told to. */
  onUnexpectedExit(instance: Instance, how: string): void
}

const instanceEntry = fileURLToPath(new URL('./instance.ts', import.meta.url))
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))
/** The tsx loader, by absolute path so children find it whatever their working directory. */
const tsxLoader = import.meta.resolve('tsx')

export class Fleet {
  readonly instances = new Map<string, Instance>()
  private readonly digestWaiters = new Map<string, ((digest: StateDigest) => void)[]>()

  constructor(private readonly options: FleetOptions) {}

  /** Instances whose process runs (whatever they are doing). */
  running(): Instance[] {
    return [...this.instances.values()].filter((instance) => instance.child !== null)
  }

  /**
   * Starts (or restarts, on the same directory) instance `id` and resolves once it is ready.
   * `blocked`: gossip addresses it must not talk to from its first round on (inside a partition).
   */
  start(id: string, blocked: readonly string[] = []): Promise<Instance> {
    const previous = this.instances.get(id)
    if (previous?.child) throw new Error(`instance ${id} is already running (pid ${previous.pid})`)
    const dir = previous?.dir ?? join(this.options.stateRoot, id)
    const config: InstanceConfig = {
      id, dir, seeds: this.seedsFor(id), gossipIntervalMs: this.options.gossipIntervalMs,
      failureTimeoutMs: this.options.failureTimeoutMs, statusMs: this.options.statusMs, ackDelayMs: this.options.ackDelayMs,
      blocked: [...blocked],
    }
    const forkedAt = Date.now()
    const child = fork(instanceEntry, instanceArgs(config), {
      cwd: repositoryRoot,
      execArgv: ['--import', tsxLoader],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    let markExited!: () => void
    const instance: Instance = {
      id, dir, phase: 'starting', pid: child.pid ?? 0, starts: (previous?.starts ?? 0) + 1, address: null, dataPort: 0,
      incarnation: 0, status: null, child, exitExpected: false, exited: new Promise<void>((resolve) => (markExited = resolve)),
    }
    this.instances.set(id, instance)
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.options.onEvent(`${id} (pid ${instance.pid}): ${line}`))
    }
    return new Promise<Instance>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`instance ${id} was not ready within ${this.options.readyTimeoutMs} ms`))
        this.kill(id)
      }, this.options.readyTimeoutMs)
      child.on('message', (message: InstanceMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer)
          instance.address = message.address
          instance.dataPort = message.dataPort
          instance.incarnation = message.incarnation
          resolve(instance)
          this.options.onEvent(`${id} ready in ${((Date.now() - forkedAt) / 1000).toFixed(1)} s (pid ${instance.pid}, ${message.address}, incarnation ${message.incarnation}`
            + `${message.restoredPackets > 0 ? `, ${message.restoredPackets} packets restored from disk` : ''})`)
        } else if (message.type === 'status') {
          instance.status = message
        } else if (message.type === 'digest') {
          this.digestWaiters.get(id)?.shift()?.(message)
        } else if (message.type === 'event') {
          this.options.onEvent(message.text)
        } else if (message.type === 'left') {
          instance.phase = 'left'
        }
      })
      child.on('error', (error) => this.options.onEvent(`${id}: process error: ${error.message}`))
      child.on('exit', (code, signal) => {
        clearTimeout(timer)
        instance.child = null
        markExited()
        const how = signal ? `signal ${signal}` : `code ${code}`
        // No effect once it was ready.
        reject(new Error(`instance ${id} exited before it was ready (${how})`))
        if (instance.exitExpected && (signal === 'SIGKILL' || signal === 'SIGTERM' || code === 0)) return
        instance.phase = 'failed'
        this.options.onUnexpectedExit(instance, how)
      })
    })
  }

  /** SIGKILL, as a crash: nothing is flushed or announced. */
  kill(id: string): void {
    const instance = this.instances.get(id)
    if (!instance?.child) return
    instance.exitExpected = true
    instance.phase = 'killed'
    instance.child.kill('SIGKILL')
  }

  /** Graceful scale-in: the instance acknowledges what it took, hands its updates over, and exits. */
  async leave(id: string): Promise<void> {
    const instance = this.instances.get(id)
    if (!instance?.child) return
    instance.exitExpected = true
    instance.phase = 'leaving'
    this.send(instance, { type: 'leave' })
    await this.waitForExit(instance)
    if (instance.phase === 'leaving') instance.phase = 'left'
  }

  /** Cuts `id`'s gossip to and from these addresses until `unblock` (one side of a partition). */
  block(id: string, addresses: readonly string[]): void {
    const instance = this.instances.get(id)
    if (instance?.child && addresses.length > 0) this.send(instance, { type: 'block', addresses: [...addresses] })
  }

  /** Lets `id` gossip with every address again. */
  unblock(id: string): void {
    const instance = this.instances.get(id)
    if (instance?.child) this.send(instance, { type: 'unblock' })
  }

  /**
   * Stops every running instance: SIGTERM (it stops its replica and exits; one still loading its
   * code just ends), then SIGKILL if it has not exited within `stopTimeoutMs`.
   */
  async stopAll(): Promise<void> {
    await Promise.all(this.running().map(async (instance) => {
      instance.exitExpected = true
      if (instance.phase !== 'leaving') instance.phase = 'stopping'
      instance.child?.kill('SIGTERM')
      await this.waitForExit(instance)
      if (instance.phase === 'stopping') instance.phase = 'stopped'
    }))
  }

  /** Last resort on the way out: SIGKILL to every process still running. Synchronous. */
  killAllNow(): void {
    for (const instance of this.running()) {
      instance.exitExpected = true
      instance.child?.kill('SIGKILL')
    }
  }

  /** The digest of each given instance's global view (an instance that does not answer is left out). */
  async digests(ids: readonly string[], timeoutMs: number): Promise<Map<string, StateDigest>> {
    const answers = await Promise.all(ids.map((id) => this.digest(id, timeoutMs)))
    const digests = new Map<string, StateDigest>()
    ids.forEach((id, index) => {
      const answer = answers[index]
      if (answer) digests.set(id, answer)
    })
    return digests
  }

  private digest(id: string, timeoutMs: number): Promise<StateDigest | null> {
    const instance = this.instances.get(id)
    if (!instance?.child) return Promise.resolve(null)
    return new Promise((resolve) => {
      const waiters = this.digestWaiters.get(id) ?? []
      this.digestWaiters.set(id, waiters)
      const timer = setTimeout(() => {
        const index = waiters.indexOf(answer)
        if (index >= 0) waiters.splice(index, 1)
        resolve(null)
      }, timeoutMs)
      const answer = (digest: StateDigest) => {
        clearTimeout(timer)
        resolve(digest)
      }
      waiters.push(answer)
      this.send(instance, { type: 'digest' })
    })
  }

  /** WebSocket addresses of the running instances other than `except`: the seeds of a new one. */
  private seedsFor(except: string): string[] {
    return this.running().filter((instance) => instance.id !== except && instance.address !== null).map((instance) => instance.address!)
  }

  private send(instance: Instance, message: OrchestratorMessage): void {
    if (instance.child?.connected) instance.child.send(message)
  }

  private async waitForExit(instance: Instance): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.stopTimeoutMs)))
    const late = await Promise.race([instance.exited.then(() => false), timedOut])
    clearTimeout(timer)
    if (late) {
      this.options.onEvent(`${instance.id} did not exit within ${this.options.stopTimeoutMs} ms: killing it`)
      instance.child?.kill('SIGKILL')
      await instance.exited
    }
  }
}
