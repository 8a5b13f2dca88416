/**
 * A simulation: replicas on one `SimNetwork`, driven on virtual time. Every random choice
 * (network latency, loss, duplication, and each replica's own `random`) derives from the one
 * seed, so the same seed and the same calls give the same run, message for message.
 */

import * as prng from 'lib0/prng'
import { createReplica, type Replica, type ReplicaOptions } from '../replica.js'
import type { Schema, SchemaFields } from '../schema.js'
import { deepEqual } from './deep-equal.js'
import { describeValue, type SimNetworkOptions } from './network-options.js'
import { SimNetwork } from './network.js'
import { deriveSeed } from './seed.js'
import { describeDisagreement, groupBySnapshot } from './snapshot-groups.js'

/**
 * Options of `createSimulation`: the network's (seed, latency, loss, duplication, reordering)
 * and how an awaited `leave()` runs virtual time.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation, type SimulationOptions } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const options: SimulationOptions = { seed: 1, latencyMs: [5, 50], loss: 0.2, reorder: true, leaveStepMs: 10, leaveMaxMs: 30_000 }
 * const sim = createSimulation(options)
 * const a = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * await a.leave()                    // runs virtual time until the handoff is done
 * assert.equal(a.status, 'stopped')
 * ```
 */
export interface SimulationOptions extends SimNetworkOptions {
  /** Virtual ms advanced per step while an awaited `leave()` hands off. Default 5. */
  leaveStepMs?: number
  /** Virtual ms a `leave()` may take before it fails with an explanation. Default 60 000. */
  leaveMaxMs?: number
}

/**
 * Options of `Simulation.spawn`: those of `createReplica`, less what the simulation supplies
 * (transport, scheduler and with it the clock, random source and incarnation).
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation, type SpawnOptions } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const options: SpawnOptions = { id: 'edge-1', gossip: { intervalMs: 20 }, secret: 'cluster-key' }
 * const replica = createSimulation({ seed: 1 }).spawn(defineState({ packets: counter() }), options)
 * assert.equal(replica.id, 'edge-1')
 * ```
 */
export type SpawnOptions = Omit<ReplicaOptions, 'transport' | 'scheduler' | 'clock' | 'random' | 'incarnation'>

/**
 * Options of `Simulation.runUntilConverged`.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation, type RunUntilConvergedOptions } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 3 })
 * const a = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * sim.partition(['a'], ['b'])
 * a.state.packets.increment()
 * const options: RunUntilConvergedOptions = { maxMs: 500, stepMs: 50 }
 * assert.throws(() => sim.runUntilConverged(options), /did not converge within 500 virtual ms/)
 * ```
 */
export interface RunUntilConvergedOptions {
  /** Virtual ms to wait at most. Default 60 000. */
  maxMs?: number
  /** Virtual ms advanced between two convergence checks. Default 10. */
  stepMs?: number
}

/**
 * Replicas on one simulated network, driven on virtual time: spawn, crash, restart, partition,
 * heal, advance, and wait for convergence. Every run replays from its seed.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation, type Simulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const Monitor = defineState({ packets: counter() })
 * const sim: Simulation = createSimulation({ seed: 7 })
 * sim.spawn(Monitor, { id: 'a' })
 * const b = sim.spawn(Monitor, { id: 'b' })
 * b.state.packets.increment(4)
 * sim.runUntilConverged()
 * sim.crash('b')                                       // memory lost, id free for a restart
 * const again = sim.restart('b') as typeof b           // next incarnation
 * again.state.packets.increment(1)
 * const tookMs = sim.runUntilConverged({ maxMs: 5_000 })
 * assert.ok(tookMs >= 0 && sim.converged())
 * assert.equal(sim.replica('a')?.snapshot().packets, 5)
 * assert.deepEqual(sim.replicas().map((replica) => replica.id), ['a', 'b'])
 * ```
 */
export interface Simulation {
  /** The simulated network, for its stats, its last callback error and direct control. */
  readonly network: SimNetwork
  /**
   * Create and start a replica on the simulated network; it is running when this returns.
   * Its id defaults to `r1`, `r2`, ... (the first unused). Spawning an id that crashed, left
   * or stopped earlier starts its next incarnation with fresh memory. Awaiting the replica's
   * `leave()` runs virtual time forward until its handoff is done.
   * @throws RangeError if a live replica has this id.
   */
  spawn<F extends SchemaFields>(schema: Schema<F>, options?: SpawnOptions): Replica<F>
  /** See `SimNetwork.partition`: frames between groups are dropped; unnamed ids form one group. */
  partition(...groups: string[][]): void
  /** Remove any partition. */
  heal(): void
  /**
   * Change the network's loss, latency, duplication or reordering during the run (see
   * `SimNetwork.configure`): options not given keep their value, frames already in flight keep
   * their delivery time, frames sent from now on use the new settings. Calls at the same virtual
   * times give the same run.
   * @throws RangeError naming the first invalid option and its value; nothing changes then.
   * @example
   * ```ts
   * import { counter, defineState } from 'elastic-state'
   * import { createSimulation } from 'elastic-state/sim'
   * import assert from 'node:assert/strict'
   *
   * const Monitor = defineState({ packets: counter() })
   * const sim = createSimulation({ seed: 5 })
   * const a = sim.spawn(Monitor, { id: 'a' })
   * const b = sim.spawn(Monitor, { id: 'b' })
   *
   * sim.configure({ loss: 1 })                  // every frame sent from now on is lost
   * a.state.packets.increment(3)
   * sim.advance(1000)
   * assert.equal(b.state.packets.global, 0)
   *
   * sim.configure({ loss: 0.2, latencyMs: [5, 50] })
   * sim.runUntilConverged()
   * assert.equal(b.state.packets.global, 3)
   * assert.throws(() => sim.configure({ duplicate: -1 }), /duplicate must be a probability/)
   * ```
   */
  configure(options: Partial<SimNetworkOptions>): void
  /**
   * Crash a live replica: detach it from the network (frames in flight to and from it are
   * dropped, its timers cancelled), then stop it. It is no longer live; its memory is lost.
   * @throws RangeError if no live replica has this id.
   */
  crash(id: string): void
  /**
   * Start the next incarnation of a replica that crashed, left or stopped, with the schema
   * and options of its last spawn and fresh memory.
   * @throws RangeError if the id was never spawned or is live.
   */
  restart(id: string): Replica
  /** Run virtual time forward by `ms` (see `SimNetwork.advance`). */
  advance(ms: number): void
  /**
   * Advance in steps of `stepMs` until `converged()`, checking first, and return the virtual
   * ms that took (0 if already converged).
   * @throws Error naming the replicas that disagree and where their snapshots differ, if not
   * converged after `maxMs`; RangeError for invalid options.
   */
  runUntilConverged(options?: RunUntilConvergedOptions): number
  /** `true` when every live replica's `snapshot()` is deep-equal (trivially with 0 or 1). */
  converged(): boolean
  /** Deliver raw bytes to a live replica now, as if from the network. */
  inject(id: string, bytes: Uint8Array): void
  /** Virtual time in ms. */
  now(): number
  /** Live replicas (neither crashed nor stopped), in the order their ids were first spawned. */
  replicas(): Replica[]
  /** The live replica with this id, or `undefined`. */
  replica(id: string): Replica | undefined
}

/** What the simulation remembers of an id across incarnations. */
interface ReplicaRecord {
  readonly schema: Schema
  readonly options: SpawnOptions
  readonly incarnation: number
  /** Null once it stopped: the simulation does not keep a departed replica's state alive. */
  replica: Replica | null
  crashed: boolean
}

const DEFAULT_LEAVE_STEP_MS = 5
const DEFAULT_LEAVE_MAX_MS = 60_000
const DEFAULT_CONVERGE_MAX_MS = 60_000
const DEFAULT_CONVERGE_STEP_MS = 10

function requirePositiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Create a simulation on a fresh `SimNetwork`.
 * @throws RangeError naming the first invalid option and its value.
 * @example
 * ```ts
 * import { counter, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const Monitor = defineState({ packets: counter() })
 * const sim = createSimulation({ seed: 42, latencyMs: [1, 20], loss: 0.1, duplicate: 0.05 })
 * const [a, b, c] = ['a', 'b', 'c'].map((id) => sim.spawn(Monitor, { id }))
 * a!.state.packets.increment(1)
 * b!.state.packets.increment(2)
 * sim.partition(['a', 'b'], ['c'])
 * sim.advance(1000)
 * assert.equal(c!.state.packets.global, 0)    // cut off
 * sim.heal()
 * sim.runUntilConverged()
 * assert.equal(c!.state.packets.global, 3)
 * ```
 */
export function createSimulation(options: SimulationOptions): Simulation {
  const {
    leaveStepMs = DEFAULT_LEAVE_STEP_MS,
    leaveMaxMs = DEFAULT_LEAVE_MAX_MS,
    ...networkOptions
  } = options ?? ({} as SimulationOptions)
  requirePositiveMs('SimulationOptions.leaveStepMs', leaveStepMs)
  requirePositiveMs('SimulationOptions.leaveMaxMs', leaveMaxMs)
  const network = new SimNetwork(networkOptions)
  const seed = networkOptions.seed
  /** Latest incarnation per id; insertion order is first-spawn order. */
  const records = new Map<string, ReplicaRecord>()
  let defaultIdCounter = 0

  const isLive = (record: ReplicaRecord): boolean => record.replica !== null && !record.crashed && record.replica.status !== 'stopped'

  const liveReplicas = (): Replica[] => {
    const live: Replica[] = []
    for (const record of records.values()) {
      if (isLive(record)) live.push(record.replica!)
      else record.replica = null
    }
    return live
  }

  const converged = (): boolean => {
    const live = liveReplicas()
    if (live.length < 2) return true
    const reference = live[0]!.snapshot()
    return live.every((replica, index) => index === 0 || deepEqual(reference, replica.snapshot()))
  }

  const nextDefaultId = (): string => {
    let id: string
    do id = `r${++defaultIdCounter}`
    while (records.has(id))
    return id
  }

  /** Run virtual time until the replica has stopped; bounded by `leaveMaxMs`. */
  const advanceUntilStopped = (replica: Replica): void => {
    const deadlineMs = network.now() + leaveMaxMs
    while (replica.status !== 'stopped') {
      if (network.now() >= deadlineMs) {
        throw new Error(
          `replica ${describeValue(replica.id)} did not finish leave() within ${leaveMaxMs} virtual ms ` +
            `(status ${describeValue(replica.status)} at ${network.now()} ms); ` +
            'its handoff may be waiting for peers that are crashed or partitioned away',
        )
      }
      network.advance(Math.min(leaveStepMs, deadlineMs - network.now()))
    }
  }

  /**
   * Make `await replica.leave()` drive virtual time, so a test never hangs on it. Called from
   * inside a simulated event (a listener, say), it only starts the leave: the `advance` already
   * running moves time on.
   */
  const driveLeaveOnVirtualTime = (replica: Replica): void => {
    const leaveOnNetwork = replica.leave.bind(replica)
    const leaveOnVirtualTime = async (): Promise<void> => {
      const leaving = leaveOnNetwork()
      if (!network.advancing) advanceUntilStopped(replica)
      await leaving
    }
    Object.defineProperty(replica, 'leave', { value: leaveOnVirtualTime, configurable: true, writable: true })
  }

  const spawnIncarnation = <F extends SchemaFields>(schema: Schema<F>, spawnOptions: SpawnOptions, id: string): Replica<F> => {
    const previous = records.get(id)
    if (previous !== undefined && isLive(previous)) throw new RangeError(`Simulation: replica ${describeValue(id)} is already live`)
    const incarnation = (previous?.incarnation ?? 0) + 1
    const transport = network.attach(id)
    let replica: Replica<F>
    try {
      const randomSource = prng.create(deriveSeed('sim-replica', seed, id, incarnation))
      replica = createReplica(schema, {
        ...spawnOptions,
        id,
        transport,
        scheduler: network.scheduler(id),
        random: () => randomSource.next(),
        incarnation,
      })
      // With the simulated transport, start() finishes before it returns; the promise
      // settles later and carries nothing more.
      void replica.start()
    } catch (error) {
      network.detach(id)
      throw error
    }
    if (replica.status !== 'running') {
      network.detach(id)
      throw new Error(
        `Simulation: replica ${describeValue(id)} is ${describeValue(replica.status)} right after start(); ` +
          'in a simulation start() must complete synchronously (no awaited I/O such as persistence)',
      )
    }
    driveLeaveOnVirtualTime(replica)
    records.set(id, { schema, options: { ...spawnOptions, id }, incarnation, replica, crashed: false })
    return replica
  }

  const requireLive = (id: string, operation: string): ReplicaRecord => {
    const record = records.get(id)
    if (record === undefined || !isLive(record)) {
      throw new RangeError(`Simulation.${operation}: no live replica ${describeValue(id)}`)
    }
    return record
  }

  return {
    network,
    spawn(schema, spawnOptions = {}) {
      const id = spawnOptions.id ?? nextDefaultId()
      return spawnIncarnation(schema, spawnOptions, id)
    },
    partition: (...groups) => network.partition(...groups),
    heal: () => network.heal(),
    configure: (changes) => network.configure(changes),
    crash(id) {
      const record = requireLive(id, 'crash')
      network.detach(id)
      record.crashed = true
      // The transport is already detached, so stopping cannot reach the network.
      void record.replica!.stop()
      record.replica = null
    },
    restart(id) {
      const record = records.get(id)
      if (record === undefined) throw new RangeError(`Simulation.restart: replica ${describeValue(id)} was never spawned`)
      return spawnIncarnation(record.schema, record.options, id)
    },
    advance: (ms) => network.advance(ms),
    runUntilConverged(convergeOptions = {}) {
      const maxMs = convergeOptions.maxMs ?? DEFAULT_CONVERGE_MAX_MS
      const stepMs = requirePositiveMs('runUntilConverged: stepMs', convergeOptions.stepMs ?? DEFAULT_CONVERGE_STEP_MS)
      if (typeof maxMs !== 'number' || !Number.isFinite(maxMs) || maxMs < 0) {
        throw new RangeError(`runUntilConverged: maxMs must be a finite number >= 0, got ${describeValue(maxMs)}`)
      }
      const startMs = network.now()
      while (!converged()) {
        const elapsedMs = network.now() - startMs
        if (elapsedMs >= maxMs) {
          throw new Error(
            `Simulation did not converge within ${maxMs} virtual ms (now ${network.now()} ms): ` +
              describeDisagreement(groupBySnapshot(liveReplicas())),
          )
        }
        network.advance(Math.min(stepMs, maxMs - elapsedMs))
      }
      return network.now() - startMs
    },
    converged,
    inject(id, bytes) {
      requireLive(id, 'inject')
      network.inject(id, bytes)
    },
    now: () => network.now(),
    replicas: liveReplicas,
    replica(id) {
      const record = records.get(id)
      return record !== undefined && isLive(record) ? record.replica! : undefined
    },
  }
}
