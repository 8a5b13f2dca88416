/**
 * A toy replica that honours the contract `createSimulation` relies on (start, status, leave,
 * stop, snapshot, injected transport/scheduler/random/incarnation), so that the simulation can
 * be tested without the real runtime. State: a grow-only counter per origin
 * (`id#incarnation`), pushed in full to `fanout` random seeds every `intervalMs`.
 *
 * Behaviour switches are read from the schema object, which the simulation passes through:
 * `{ hangOnLeave: true }` never finishes a leave, `{ asyncStart: true }` starts in a microtask.
 */

import type { Scheduler } from '../../src/scheduler.js'
import type { Transport } from '../../src/transport.js'

export interface FakeSchema {
  hangOnLeave?: boolean
  asyncStart?: boolean
}

export interface FakeReplicaOptions {
  id: string
  transport: Transport
  scheduler: Scheduler
  random: () => number
  incarnation: number
}

const INTERVAL_MS = 20
const FANOUT = 2
const HANDOFF_MS = 30

/** Every replica created, in creation order, with the options it was given. */
export const createdReplicas: Array<{ replica: FakeReplica; options: FakeReplicaOptions }> = []

export class FakeReplica {
  status: 'created' | 'running' | 'leaving' | 'stopped' = 'created'
  readonly id: string
  readonly received: Uint8Array[] = []
  private readonly countsByOrigin: Record<string, number> = {}
  private roundTimer: unknown
  private readonly origin: string

  constructor(
    private readonly schema: FakeSchema,
    private readonly options: FakeReplicaOptions,
  ) {
    this.id = options.id
    this.origin = `${options.id}#${options.incarnation}`
  }

  start(): Promise<void> {
    const address = this.options.transport.open(this.id, (frame) => this.receive(frame))
    if (typeof address !== 'string' || this.schema.asyncStart === true) {
      return Promise.resolve(address).then(() => this.begin())
    }
    this.begin()
    return Promise.resolve()
  }

  increment(count = 1): void {
    this.countsByOrigin[this.origin] = (this.countsByOrigin[this.origin] ?? 0) + count
  }

  snapshot(): { total: number; origins: string[] } {
    const origins = Object.keys(this.countsByOrigin).sort()
    return { total: origins.reduce((sum, origin) => sum + this.countsByOrigin[origin]!, 0), origins }
  }

  leave(): Promise<void> {
    this.status = 'leaving'
    for (const peer of this.options.transport.seeds()) this.sendState(peer)
    if (this.schema.hangOnLeave === true) return new Promise(() => {})
    return new Promise((resolve) => {
      this.options.scheduler.schedule(HANDOFF_MS, () => {
        void this.stop().then(resolve)
      })
    })
  }

  async stop(): Promise<void> {
    this.options.scheduler.cancel(this.roundTimer)
    this.status = 'stopped'
    await this.options.transport.close()
  }

  private begin(): void {
    this.status = 'running'
    this.scheduleRound()
  }

  private scheduleRound(): void {
    this.roundTimer = this.options.scheduler.schedule(INTERVAL_MS, () => {
      const peers = [...this.options.transport.seeds()]
      for (let sent = 0; sent < FANOUT && peers.length > 0; sent++) {
        const [peer] = peers.splice(Math.floor(this.options.random() * peers.length), 1)
        this.sendState(peer!)
      }
      this.scheduleRound()
    })
  }

  private sendState(peer: string): void {
    this.options.transport.send(peer, new TextEncoder().encode(JSON.stringify(this.countsByOrigin)))
  }

  private receive(frame: Uint8Array): void {
    this.received.push(frame)
    const counts = JSON.parse(new TextDecoder().decode(frame)) as Record<string, number>
    for (const [origin, count] of Object.entries(counts)) {
      this.countsByOrigin[origin] = Math.max(this.countsByOrigin[origin] ?? 0, count)
    }
  }
}

export function createReplica(schema: FakeSchema, options: FakeReplicaOptions): FakeReplica {
  const replica = new FakeReplica(schema, options)
  createdReplicas.push({ replica, options })
  return replica
}
