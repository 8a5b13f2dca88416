/**
 * A deployment on loopback, assembled: the temporary state root, the traffic source and its pump
 * (load balancer and data links), the fleet of instance processes, the console, the problems
 * noted along the way, and the clean-up that runs whatever ends the process. `npm start`
 * (orchestrator.ts, script.ts) drives one through a fixed script; the soak (soak/run.ts) through
 * a long random schedule.
 *
 * Clean-up: `shutdown()` stops the traffic and every instance (SIGTERM, then SIGKILL) and removes
 * the state root; `installExitHandlers()` makes Ctrl-C, SIGTERM and SIGHUP do the same, and makes
 * any exit kill what is left.
 */
import { rmSync } from 'node:fs'
import type { StateDigest } from './control.js'
import { LiveConsole, type Progress } from './display.js'
import type { Totals } from './data-link.js'
import { Fleet, type Instance } from './fleet.js'
import { TrafficPump } from './pump.js'
import { createStateRoot, removeStaleStateRoots } from './state-root.js'
import { TrafficSource } from './traffic.js'

export interface DeploymentSettings {
  flows: number
  seed: number
  packetsPerSecond: number
  gossipIntervalMs: number
  failureTimeoutMs: number
  ackDelayMs: number
  /** Plain periodic lines even on a terminal. */
  plain: boolean
  /** What to do with a line an instance reported; printed as an event by default. */
  instanceEvent?: (text: string) => void
}

const STATUS_MS = 500
const TICK_MS = 20
const BATCH_PACKETS = 4096
const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000
const DIGEST_TIMEOUT_MS = 5_000
const AGREEMENT_POLL_MS = 250

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

export class Deployment {
  readonly startedAt = Date.now()
  /** State roots of earlier, killed runs removed before this one started. */
  readonly staleRoots = removeStaleStateRoots()
  readonly stateRoot = createStateRoot()
  readonly screen: LiveConsole
  readonly source: TrafficSource
  readonly pump: TrafficPump
  readonly fleet: Fleet
  /** Everything that makes the run fail, in the order noticed. */
  readonly problems: string[] = []
  phase = 'starting'
  /** When `settleAndAgree` saw every instance agree (null: not yet, or never). */
  agreedAt: number | null = null
  readonly statusMs = STATUS_MS
  private refreshTimer: NodeJS.Timeout | null = null
  private hideLeft = false
  private shuttingDown: Promise<void> | null = null

  constructor(readonly settings: DeploymentSettings) {
    this.screen = new LiveConsole(process.stdout.isTTY === true && !settings.plain, this.startedAt)
    this.source = new TrafficSource(settings.flows, settings.seed)
    this.pump = new TrafficPump(this.source, {
      packetsPerSecond: settings.packetsPerSecond,
      tickMs: TICK_MS,
      batchPackets: BATCH_PACKETS,
      // About two seconds of traffic unacknowledged means the instances are behind.
      maxInFlightPackets: Math.max(10_000, 2 * settings.packetsPerSecond),
    }, (id, reason) => this.problem(`${id}: traffic connection lost (${reason}); the balancer stopped routing to it`))
    const instanceEvent = settings.instanceEvent ?? ((text: string) => this.screen.event(text))
    this.fleet = new Fleet({
      stateRoot: this.stateRoot,
      gossipIntervalMs: settings.gossipIntervalMs,
      failureTimeoutMs: settings.failureTimeoutMs,
      statusMs: STATUS_MS,
      ackDelayMs: settings.ackDelayMs,
      readyTimeoutMs: READY_TIMEOUT_MS,
      stopTimeoutMs: STOP_TIMEOUT_MS,
      onEvent: instanceEvent,
      onUnexpectedExit: (instance, how) => {
        this.pump.detach(instance.id)
        this.problem(`${instance.id} (pid ${instance.pid}) exited unexpectedly (${how}); the balancer stopped routing to it`)
      },
    })
  }

  /** Notes something that makes the run fail, without stopping it. */
  problem(text: string): void {
    this.problems.push(text)
    this.screen.event(`PROBLEM: ${text}`)
  }

  setPhase(phase: string): void {
    this.phase = phase
    if (this.screen.redrawsInPlace) this.screen.refresh(this.progress())
  }

  progress(): Progress {
    const pump = this.pump
    const shown = [...this.fleet.instances.values()].filter((instance) => !this.hideLeft || instance.phase !== 'left')
    return {
      phase: this.phase, sent: pump.sent, acked: pump.acked, lost: pump.lost, inFlight: pump.packetsInFlight, heldBack: pump.heldBack,
      instances: shown.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })),
      inFlightTo: (id) => pump.link(id)?.packetsInFlight ?? 0,
    }
  }

  /**
   * Redraws the live table (or prints the progress lines) every `intervalMs` until `shutdown`;
   * with `hideLeft`, instances that left for good drop out of it (a long run has many).
   */
  showLive(intervalMs: number, hideLeft = false): void {
    this.hideLeft = hideLeft
    this.refreshTimer ??= setInterval(() => this.screen.refresh(this.progress()), intervalMs)
  }

  /** Starts (or restarts) instance `id`, connects the traffic to it and routes flows to it. */
  async startServing(id: string, blocked: readonly string[] = []): Promise<Instance> {
    const instance = await this.fleet.start(id, blocked)
    await this.pump.attach(id, instance.dataPort)
    instance.phase = 'serving'
    return instance
  }

  /**
   * SIGKILL, as a crash: the balancer stops routing to `id` first, and what was in flight to it
   * is lost (never acknowledged). Resolves once the process is gone, with what was lost.
   */
  async kill(id: string): Promise<Totals> {
    const instance = this.fleet.instances.get(id)
    const lost = this.pump.detach(id)
    this.fleet.kill(id)
    this.screen.event(`SIGKILL ${id} (pid ${instance?.pid}); the balancer stopped routing to it first; ${lost.packets} packets were in flight to it, unacknowledged`)
    await instance?.exited
    return lost
  }

  /**
   * Graceful scale-in: the balancer stops routing to `id`, waits for its batches to be
   * acknowledged (a wait over `drainTimeoutMs` is a problem), then the instance hands its
   * updates over (`leave()`) and exits.
   */
  async scaleIn(id: string, drainTimeoutMs: number): Promise<void> {
    const instance = this.fleet.instances.get(id)
    if (instance) instance.phase = 'draining'
    this.screen.event(`scale in: the balancer stopped routing to ${id}; waiting for its batches to be acknowledged`)
    if (!(await this.pump.drain(id, drainTimeoutMs))) this.problem(`${id}: batches still unacknowledged after ${drainTimeoutMs} ms`)
    this.screen.event(`${id}: every batch acknowledged; leave()`)
    await this.fleet.leave(id)
    this.screen.event(`${id} left and exited`)
  }

  /**
   * After the traffic stopped: waits for the last acknowledgements, then until every running
   * instance reports the same digest of its global view, polling. A wait that runs out is a
   * problem; the digests are returned either way (null for an instance that did not answer).
   */
  async settleAndAgree(settleTimeoutMs: number, agreeTimeoutMs: number): Promise<Map<string, StateDigest | null>> {
    this.setPhase('settling')
    this.screen.event('traffic stopped; waiting for the last acknowledgements')
    if (!(await this.pump.settle(settleTimeoutMs))) this.problem(`batches still unacknowledged ${settleTimeoutMs} ms after the traffic stopped`)
    this.setPhase('converging')
    const startedAt = Date.now()
    for (;;) {
      const running = this.fleet.running().map((instance) => instance.id)
      const digests = await this.fleet.digests(running, DIGEST_TIMEOUT_MS)
      const all = new Map<string, StateDigest | null>(running.map((id) => [id, digests.get(id) ?? null]))
      if (agree(all)) {
        this.agreedAt = Date.now()
        this.screen.event(`all ${running.length} instances agree, ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the last acknowledgement`)
        return all
      }
      if (Date.now() - startedAt > agreeTimeoutMs) {
        this.problem(`the instances did not agree within ${agreeTimeoutMs / 1000} s`)
        return all
      }
      await sleep(AGREEMENT_POLL_MS)
    }
  }

  /** Stops the traffic and every instance, and removes the state directories. Runs once. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      if (this.refreshTimer) clearInterval(this.refreshTimer)
      this.pump.stop()
      this.pump.closeAll()
      await this.fleet.stopAll()
      rmSync(this.stateRoot, { recursive: true, force: true })
    })()
    return this.shuttingDown
  }

  /**
   * Whatever ends this process, no instance outlives it and no state directory stays behind:
   * on Ctrl-C, SIGTERM and SIGHUP, `beforeShutdown` runs (synchronously), then `shutdown()`,
   * then the process exits with 128 + the signal number; a second signal exits at once.
   */
  installExitHandlers(beforeShutdown: (signal: string) => void = () => {}): void {
    process.on('exit', () => {
      this.fleet.killAllNow()
      rmSync(this.stateRoot, { recursive: true, force: true })
    })
    const signalCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
    for (const [signal, code] of Object.entries(signalCodes)) {
      process.on(signal, () => {
        if (this.shuttingDown) process.exit(code)
        this.screen.finish()
        this.screen.print(`${signal}: stopping the traffic and every instance`)
        try {
          beforeShutdown(signal)
        } catch (error) {
          this.screen.print(`${signal}: ${(error as Error).message}`)
        }
        this.shutdown().then(
          () => this.screen.print('every instance stopped; state directories removed'),
          (error: Error) => this.screen.print(`stopping failed: ${error.message}`),
        ).finally(() => process.exit(code))
      })
    }
  }
}

function agree(digests: Map<string, StateDigest | null>): boolean {
  const answers = [...digests.values()]
  if (answers.length === 0 || answers.some((digest) => digest === null)) return false
  const first = JSON.stringify(answers[0])
  return answers.every((digest) => JSON.stringify(digest) === first)
}
