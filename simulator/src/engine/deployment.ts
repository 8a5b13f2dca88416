/**
 * The deployment: which monitor instances exist, in what state, on the simulation. Scale-out
 * spawns `nf-<n>` with a fresh number; scale-in is graceful (the instance stops getting traffic at
 * once, hands its updates to a peer, then leaves); a crash loses the instance's memory and keeps
 * it on screen until it is restarted with the same id and a new incarnation.
 */
import type { Simulation } from 'elastic-state/sim'
import type { InstanceStatus, RunEventKind } from '../protocol.js'
import { TrafficMonitor, type MonitorReplica } from './monitor.js'

export interface Instance {
  readonly id: string
  readonly number: number
  replica: MonitorReplica
  status: InstanceStatus
  /** Packets the balancer sent here since the last rate update, and the rate then measured. */
  routedSinceUpdate: number
  routedPerSec: number
  /** The rate last published through the `rate` per-instance value. */
  publishedRate: number
  /** Replica bytes sent at the last sample, and the rate over the last sample period. */
  bytesSentAtSample: number
  bytesSentPerSec: number
  /** Order of its last crash among all crashes (0 if it never crashed): restart picks the latest. */
  crashSequence: number
}

export interface DeploymentHooks {
  /** Something the log should show. */
  event(kind: RunEventKind, text: string): void
  /** A live replica's state or membership changed (what the convergence indicator watches). */
  stateChanged(): void
}

export interface GossipSettings {
  intervalMs: number
  fanout: number
}

export class Deployment {
  private readonly instances = new Map<string, Instance>()
  private nextNumber = 1
  private runningIds: string[] = []
  private crashes = 0

  constructor(private readonly sim: Simulation, private readonly gossip: GossipSettings, private readonly hooks: DeploymentHooks) {}

  /** Every instance on screen (crashed ones included), in spawn order. */
  list(): Instance[] {
    return [...this.instances.values()]
  }

  get(id: string): Instance | undefined {
    return this.instances.get(id)
  }

  /** Ids the load balancer may send to, in spawn order. */
  running(): readonly string[] {
    return this.runningIds
  }

  /** Replicas that are live on the network (running or leaving). */
  live(): Instance[] {
    return this.list().filter((instance) => instance.status !== 'crashed')
  }

  scaleOut(): Instance {
    const number = this.nextNumber++
    const id = `nf-${number}`
    const instance: Instance = {
      id, number, replica: this.spawn(id), status: 'running',
      routedSinceUpdate: 0, routedPerSec: 0, publishedRate: 0, bytesSentAtSample: 0, bytesSentPerSec: 0, crashSequence: 0,
    }
    this.instances.set(id, instance)
    this.statusChanged()
    this.hooks.event('scale', `scale-out: ${id} joins`)
    return instance
  }

  /**
   * Start the graceful leave of `preferredId` (if running) or of the newest running instance.
   * The balancer stops sending to it now; the handoff runs on virtual time with the traffic.
   */
  scaleIn(preferredId: string | null): Instance | undefined {
    const instance = this.pick(preferredId, 'running') ?? this.newest('running')
    if (instance === undefined) return undefined
    instance.status = 'leaving'
    this.statusChanged()
    this.hooks.event('scale', `scale-in: ${instance.id} drains and hands over its updates`)
    const replica = instance.replica
    // Started from inside a simulated event, leave() only begins the handoff and lets the
    // running advance move time on, instead of running virtual time forward by itself.
    this.sim.network.scheduler(instance.id).schedule(0, () => {
      replica.leave().catch((error: unknown) => this.hooks.event('error', `leave of ${instance.id} failed: ${String(error)}`))
    })
    return instance
  }

  crash(preferredId: string | null): Instance | undefined {
    const instance = this.pick(preferredId, 'running') ?? this.pick(preferredId, 'leaving') ?? this.newest('running')
    if (instance === undefined) return undefined
    this.sim.crash(instance.id)
    instance.status = 'crashed'
    instance.crashSequence = ++this.crashes
    instance.routedPerSec = 0
    instance.bytesSentPerSec = 0
    this.statusChanged()
    this.hooks.event('failure', `crash: ${instance.id} stops; its memory is lost`)
    return instance
  }

  restart(preferredId: string | null): Instance | undefined {
    const crashed = this.list().filter((candidate) => candidate.status === 'crashed')
    const latest = crashed.sort((a, b) => b.crashSequence - a.crashSequence)[0]
    const instance = this.pick(preferredId, 'crashed') ?? latest
    if (instance === undefined) return undefined
    instance.replica = this.watch(this.sim.restart(instance.id) as MonitorReplica)
    instance.status = 'running'
    instance.publishedRate = 0
    instance.bytesSentAtSample = 0
    this.statusChanged()
    this.hooks.event('failure', `restart: ${instance.id} comes back as incarnation ${instance.replica.incarnation}, empty, and catches up`)
    return instance
  }

  /** Forget instances whose graceful leave has finished; call after every advance. */
  sweepDeparted(): void {
    for (const instance of this.instances.values()) {
      if (instance.status === 'leaving' && instance.replica.status === 'stopped') {
        this.instances.delete(instance.id)
        this.hooks.event('scale', `scale-in: ${instance.id} left`)
        this.hooks.stateChanged()
      }
    }
  }

  private spawn(id: string): MonitorReplica {
    return this.watch(this.sim.spawn(TrafficMonitor, { id, gossip: { intervalMs: this.gossip.intervalMs, fanout: this.gossip.fanout } }))
  }

  private watch(replica: MonitorReplica): MonitorReplica {
    const changed = () => this.hooks.stateChanged()
    replica.on('change', changed)
    replica.on('member-join', changed)
    replica.on('member-leave', changed)
    replica.on('error', (error) => this.hooks.event('error', `${replica.id}: ${error.message}`))
    return replica
  }

  private pick(id: string | null, status: InstanceStatus): Instance | undefined {
    const instance = id === null ? undefined : this.instances.get(id)
    return instance?.status === status ? instance : undefined
  }

  private newest(status: InstanceStatus): Instance | undefined {
    return this.list().reverse().find((instance) => instance.status === status)
  }

  private statusChanged(): void {
    this.runningIds = this.list().filter((instance) => instance.status === 'running').map((instance) => instance.id)
    this.hooks.stateChanged()
  }
}
