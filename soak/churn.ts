/**
 * Carries out the soak's schedule on a running deployment: SIGKILLs and the restarts that follow
 * them, graceful scale-ins, scale-outs with new ids, partitions and their heals, one at a time,
 * and logs each as an event with its time since the traffic started.
 *
 * A partition is made with the instances' `block`/`unblock` control commands (the WebSocket
 * transport's `block`): every instance blocks the other side's gossip addresses. An instance
 * that starts while a partition lasts (a restart, on its old side; a new one, on a random side)
 * is started with the other side blocked from its first round, and the other side then blocks
 * its new address.
 */
import type { Deployment } from '../examples/deployment/deployment.js'
import type { Instance } from '../examples/deployment/fleet.js'
import type { SoakAction, World } from './schedule.js'

export type SoakEventKind = 'start' | 'kill' | 'restart' | 'scale-in' | 'scale-out' | 'partition' | 'heal'

export interface SoakEvent {
  /** Milliseconds since the traffic started (negative: before). */
  atMs: number
  kind: SoakEventKind
  /** The instances it concerns (for a partition: the first side). */
  ids: string[]
  detail: string
}

/** Something due later: a killed instance's restart or a partition's heal. */
interface FollowUp {
  dueAt: number
  kind: 'restart' | 'heal'
  id: string
}

const DRAIN_TIMEOUT_MS = 15_000
const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })

export class Churn {
  readonly events: SoakEvent[] = []
  private partition: Map<string, 0 | 1> | null = null
  private readonly down = new Set<string>()
  private followUps: FollowUp[] = []
  private nextInstance: number
  /** Event times count from here (set by `trafficStarted`). */
  trafficStartedAt = Date.now()

  constructor(private readonly deployment: Deployment, initialInstances: number) {
    this.nextInstance = initialInstances + 1
  }

  world(): World {
    return {
      serving: [...this.deployment.pump.balancer.instances].sort(byNumber),
      down: [...this.down].sort(byNumber),
      partition: this.partition,
      nextInstance: this.nextInstance,
    }
  }

  /** When the next restart or heal is due (Infinity: none). */
  get nextFollowUpAt(): number {
    return this.followUps.reduce((earliest, followUp) => Math.min(earliest, followUp.dueAt), Infinity)
  }

  /** Starts the first `count` instances: one alone, so the others have a seed, then the rest together. */
  async startInitial(count: number): Promise<void> {
    await this.deployment.startServing('i1')
    await Promise.all(Array.from({ length: count - 1 }, (_, index) => this.deployment.startServing(`i${index + 2}`)))
  }

  /** Marks the start of the traffic: event times count from here. */
  trafficStarted(): void {
    this.trafficStartedAt = Date.now()
    const serving = this.world().serving
    this.log('start', [...serving], `${serving.length} instances serving; traffic starts`)
  }

  async perform(action: SoakAction): Promise<void> {
    switch (action.kind) {
      case 'kill': {
        const lost = await this.deployment.kill(action.id)
        this.down.add(action.id)
        this.followUps.push({ dueAt: Date.now() + action.restartAfterMs, kind: 'restart', id: action.id })
        this.log('kill', [action.id], `${lost.packets} packets in flight lost; restart in ${(action.restartAfterMs / 1000).toFixed(1)} s`)
        return
      }
      case 'scale-in':
        await this.deployment.scaleIn(action.id, DRAIN_TIMEOUT_MS)
        this.partition?.delete(action.id)
        this.log('scale-in', [action.id], 'left for good')
        return
      case 'scale-out':
        this.nextInstance++
        this.deployment.screen.event(`scale out: starting ${action.id}${action.side === null ? '' : ` on side ${action.side === 0 ? 'A' : 'B'} of the partition`}`)
        if (!(await this.tryStart(action.id, action.side))) return
        this.log('scale-out', [action.id], action.side === null ? 'new instance' : `new instance, side ${action.side === 0 ? 'A' : 'B'}`)
        return
      case 'partition':
        this.cut(action.sides)
        this.followUps.push({ dueAt: Date.now() + action.healAfterMs, kind: 'heal', id: '' })
        this.log('partition', action.sides[0], `side A ${action.sides[0].join(' ')}, side B ${action.sides[1].join(' ')}, for ${(action.healAfterMs / 1000).toFixed(1)} s`)
    }
  }

  /** Runs the follow-ups due by `now`, earliest first; with `now` = Infinity, all of them (the end of the run). */
  async runFollowUps(now: number): Promise<void> {
    for (;;) {
      const due = this.followUps.filter((followUp) => followUp.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt)[0]
      if (!due) return
      this.followUps = this.followUps.filter((followUp) => followUp !== due)
      if (due.kind === 'heal') this.heal()
      else await this.restart(due.id)
    }
  }

  private async restart(id: string): Promise<void> {
    // An instance that was down when the partition began joins the smaller side.
    const side = this.partition ? (this.partition.get(id) ?? this.smallerSide(this.partition)) : null
    this.deployment.screen.event(`restarting ${id} on its state directory`)
    const instance = await this.tryStart(id, side)
    this.down.delete(id)
    if (instance) this.log('restart', [id], `pid ${instance.pid}, incarnation ${instance.incarnation}`)
  }

  /** A start that fails is a problem of the run, not its end: the schedule goes on without the instance. */
  private async tryStart(id: string, side: 0 | 1 | null): Promise<Instance | null> {
    try {
      return await this.startOnSide(id, side)
    } catch (error) {
      this.partition?.delete(id)
      this.deployment.problem(`${id} did not start: ${(error as Error).message}`)
      return null
    }
  }

  private async startOnSide(id: string, side: 0 | 1 | null): Promise<Instance> {
    const partition = this.partition
    if (!partition || side === null) return this.deployment.startServing(id)
    partition.set(id, side)
    const otherSide = this.running().filter((other) => other !== id && partition.get(other) !== side)
    const instance = await this.deployment.startServing(id, this.addresses(otherSide))
    for (const other of otherSide) this.deployment.fleet.block(other, [instance.address!])
    return instance
  }

  private cut(sides: [string[], string[]]): void {
    this.partition = new Map([...sides[0].map((id) => [id, 0] as const), ...sides[1].map((id) => [id, 1] as const)])
    this.deployment.screen.event(`partition: ${sides[0].join(' ')} | ${sides[1].join(' ')}`)
    for (const [index, side] of sides.entries()) {
      const blocked = this.addresses(sides[1 - index]!)
      for (const id of side) this.deployment.fleet.block(id, blocked)
    }
  }

  private heal(): void {
    const partition = this.partition
    if (!partition) return
    this.partition = null
    const running = this.running()
    // What each instance's membership made of the cut, from its last status report (every 0.5 s).
    const seen = running.map((id) => `${id}${partition.get(id) === 0 ? 'A' : 'B'}=${this.deployment.fleet.instances.get(id)?.status?.members ?? '?'}`)
    for (const id of running) this.deployment.fleet.unblock(id)
    this.deployment.screen.event(`partition healed: ${running.length} instances unblocked (live members each saw: ${seen.join(' ')})`)
    this.log('heal', running, `every instance unblocked; live members each saw before: ${seen.join(' ')}`)
  }

  private smallerSide(partition: ReadonlyMap<string, 0 | 1>): 0 | 1 {
    const running = this.running()
    const onSideA = running.filter((id) => partition.get(id) === 0).length
    return onSideA <= running.length - onSideA ? 0 : 1
  }

  private running(): string[] {
    return this.deployment.fleet.running().map((instance) => instance.id)
  }

  private addresses(ids: readonly string[]): string[] {
    return ids.map((id) => this.deployment.fleet.instances.get(id)?.address).filter((address): address is string => typeof address === 'string')
  }

  private log(kind: SoakEventKind, ids: string[], detail: string): void {
    this.events.push({ atMs: Date.now() - this.trafficStartedAt, kind, ids, detail })
  }
}
