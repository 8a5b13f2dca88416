/**
 * A replica group on a simulation's network whose transports record every frame their replica
 * sends (including frames the network then loses) and every frame it is handed, so that tests
 * can replay them later with `sim.network.inject`. Replicas are built with `createReplica` and a
 * wrapping `Transport`, on the network's virtual-time schedulers, so the run is still
 * deterministic from the seed.
 */
import * as prng from 'lib0/prng'
import { createReplica, type Replica, type Transport } from '../../src/index.js'
import type { Simulation } from '../../src/sim/index.js'
import { deepEqual } from '../../src/sim/deep-equal.js'
import { type AnySchema, fastGossip } from './full-state.js'

export interface SentFrame {
  from: string
  to: string
  bytes: Uint8Array
}

export interface DeliveredFrame {
  /** The receiving replica (that incarnation of its id). */
  receiver: Replica
  bytes: Uint8Array
}

export class CapturingGroup {
  /** Every frame passed to a transport's `send`, in order. */
  readonly sent: SentFrame[] = []
  /** Every frame a replica was handed while `recording`, in order. */
  readonly delivered: DeliveredFrame[] = []
  recording = true
  /** Latest incarnation of every id, in first-start order. */
  private readonly byId = new Map<string, Replica>()
  private nextId = 1

  constructor(readonly sim: Simulation, readonly schema: AnySchema, private readonly seed: number) {}

  /** Starts a new replica (a fresh id), or the next incarnation of `id`. */
  start(id = `r${this.nextId++}`): Replica {
    const previous = this.byId.get(id)
    const incarnation = (previous?.incarnation ?? 0) + 1
    const network = this.sim.network.attach(id)
    const transport: Transport = {
      open: (localId, onFrame) => network.open(localId, (frame) => {
        if (this.recording) this.delivered.push({ receiver: replica, bytes: frame.slice() })
        onFrame(frame)
      }),
      seeds: () => network.seeds(),
      send: (address, frame) => {
        if (this.recording) this.sent.push({ from: id, to: address, bytes: frame.slice() })
        network.send(address, frame)
      },
      close: () => network.close(),
    }
    const random = prng.create(this.seed * 1_000_003 + incarnation * 7919 + this.byId.size)
    const replica = createReplica(this.schema as AnySchema, {
      id, incarnation, transport, gossip: fastGossip,
      scheduler: this.sim.network.scheduler(id),
      random: () => random.next(),
    }) as Replica
    void replica.start()
    this.byId.set(id, replica)
    return replica
  }

  /** Running replicas, in first-start order of their ids. */
  live(): Replica[] {
    return [...this.byId.values()].filter((replica) => replica.status === 'running')
  }

  /** Ids whose latest incarnation is stopped. */
  stopped(): string[] {
    return [...this.byId.values()].filter((replica) => replica.status === 'stopped').map((replica) => replica.id)
  }

  /** A crash: frames in flight to and from it are dropped, its timers cancelled, its memory lost. */
  crash(replica: Replica): void {
    this.sim.network.detach(replica.id)
    void replica.stop()
  }

  /** A graceful leave, running virtual time until the handoff is done. */
  async leave(replica: Replica, maxMs = 60_000): Promise<void> {
    const leaving = replica.leave()
    const deadlineMs = this.sim.now() + maxMs
    while (replica.status !== 'stopped') {
      if (this.sim.now() >= deadlineMs) throw new Error(`${replica.id} did not finish leave() within ${maxMs} virtual ms`)
      this.sim.advance(10)
    }
    await leaving
  }

  converged(): boolean {
    const live = this.live()
    return live.every((replica) => deepEqual(replica.snapshot(), live[0]!.snapshot()))
  }

  /** Advances until every running replica has the same snapshot; returns the virtual ms it took. */
  runUntilConverged(maxMs: number): number {
    const startMs = this.sim.now()
    while (!this.converged()) {
      if (this.sim.now() - startMs >= maxMs) {
        const views = this.live().map((replica) => `${replica.id}: ${JSON.stringify(replica.snapshot())}`)
        throw new Error(`no convergence within ${maxMs} virtual ms (now ${this.sim.now()} ms):\n  ${views.join('\n  ')}`)
      }
      this.sim.advance(10)
    }
    return this.sim.now() - startMs
  }
}
