/**
 * Shared setup of the replica tests: a declaration with every state type, replicas whose
 * transport records the frames they send (to obtain real, valid frames), and a probe that
 * watches a replica's 'error' events, stats and snapshot around an injected frame.
 */
import * as prng from 'lib0/prng'
import { expect } from 'vitest'
import {
  counter, createReplica, defineState, doc, flowTable, maxRegister, perInstance, pnCounter, register, set,
  type ElasticStateError, type Replica, type ReplicaOptions, type ReplicaStats, type Schema, type SchemaFields, type Transport,
} from '../../src/index.js'
import { createSimulation, type Simulation } from '../../src/sim/index.js'

export const Monitor = defineState({
  packets: counter(),
  active: pnCounter(),
  threshold: register<number>(100),
  peak: maxRegister(),
  blocked: set<string | number>(),
  load: perInstance<number>({ reduce: 'sum' }),
  flows: flowTable({ fields: { packets: counter(), balance: pnCounter(), lastSeen: maxRegister(), verdict: register<string>('none') } }),
  rules: doc(),
})
export type MonitorReplica = Replica<typeof Monitor.fields>

/** Another declaration (a field more): its frames carry another schema fingerprint. */
export const OtherMonitor = defineState({ ...Monitor.fields, matches: counter() })

/** Short rounds: a few hundred virtual ms are many rounds. */
export const gossip = { intervalMs: 20, failureTimeoutMs: 200, leaveTimeoutMs: 1000 } as const

/** Writes touching every field, so that frames of the writer carry every kind of delta. */
export function writeEverything(replica: MonitorReplica, salt = 0): void {
  const state = replica.state
  state.packets.increment(5 + salt)
  state.active.increment(3)
  state.active.decrement(1)
  state.threshold.set(250 + salt)
  state.peak.set(1500 + salt)
  state.blocked.add('10.0.0.1')
  state.blocked.add(7 + salt)
  state.load.set(0.5 + salt)
  const entry = state.flows.entry(`flow-${salt}`)
  entry.packets.increment(2)
  entry.balance.decrement(4)
  entry.lastSeen.set(1234)
  entry.verdict.set('deny')
  state.rules.doc.getArray<string>('list').push([`rule-${salt}`])
}

export interface RecordedReplica<F extends SchemaFields> {
  replica: Replica<F>
  /** Every frame the replica handed to its transport, in order. */
  sent: Uint8Array[]
}

/**
 * A replica on the simulation's network (not registered with the simulation: drive it with
 * `sim.advance`) whose transport records every frame it sends.
 */
export function recordedReplica<F extends SchemaFields>(sim: Simulation, schema: Schema<F>, options: Omit<ReplicaOptions, 'transport' | 'scheduler'> & { id: string }): RecordedReplica<F> {
  const network = sim.network.attach(options.id)
  const sent: Uint8Array[] = []
  const transport: Transport = {
    open: (localId, onFrame) => network.open(localId, onFrame),
    seeds: () => network.seeds(),
    send(address, frame) {
      sent.push(frame.slice())
      network.send(address, frame)
    },
    close: () => network.close(),
  }
  const random = prng.create(options.id.length * 7919 + 17)
  const replica = createReplica(schema, {
    incarnation: 1, random: () => random.next(), ...options, transport, scheduler: sim.network.scheduler(options.id),
  })
  void replica.start()
  return { replica, sent }
}

/** The largest of `frames`: a frame that carries deltas. */
export function largest(frames: readonly Uint8Array[]): Uint8Array {
  let best = frames[0]!
  for (const frame of frames) if (frame.length > best.length) best = frame
  return best
}

export interface Probe {
  errors: ElasticStateError[]
  stats: ReplicaStats
  snapshot: Record<string, unknown>
  members: string[]
}

/** Starts watching `replica`: errors from now on, and its stats, snapshot and members now. */
export function probe(replica: Replica): Probe {
  const errors: ElasticStateError[] = []
  replica.on('error', (error) => errors.push(error))
  return { errors, stats: replica.stats(), snapshot: replica.snapshot(), members: replica.members() }
}

/**
 * Asserts that, since `before`, the replica rejected `count` frames for `reason`, each with an
 * 'error' event of class `errorClass`, and changed nothing.
 */
export function expectRejected(
  replica: Replica, before: Probe, errorClass: abstract new (...args: never[]) => ElasticStateError,
  reason: keyof ReplicaStats['rejectedByReason'], count = 1,
): void {
  expect(before.errors.map((error) => error.constructor.name), before.errors.map((error) => error.message).join('; '))
    .toEqual(Array.from({ length: count }, () => errorClass.name))
  for (const error of before.errors) expect(error).toBeInstanceOf(errorClass)
  const stats = replica.stats()
  expect(stats.framesRejected - before.stats.framesRejected).toBe(count)
  expect(stats.rejectedByReason[reason] - before.stats.rejectedByReason[reason]).toBe(count)
  expect(stats.framesReceived - before.stats.framesReceived).toBe(count)
  expect(replica.snapshot()).toEqual(before.snapshot)
  expect(replica.members()).toEqual(before.members)
}

/**
 * Real frames: what replica `x` (of `schema`, having written everything it declares of
 * `Monitor`'s fields) sends while exchanging with `y`, on a network of its own.
 */
export function recordFrames<F extends SchemaFields>(schema: Schema<F>, options: { secret?: string } = {}): Uint8Array[] {
  const sim = createSimulation({ seed: 11, latencyMs: [1, 5] })
  const x = recordedReplica(sim, schema, { id: 'x', gossip, ...options })
  sim.spawn(schema, { id: 'y', gossip, ...options })
  sim.advance(100)
  writeEverything(x.replica as unknown as MonitorReplica, 1)
  sim.advance(200)
  return x.sent
}

export interface Pair {
  sim: Simulation
  a: MonitorReplica
  b: MonitorReplica
}

/** `a` and `b` on a network of their own (not the one frames were recorded on), converged, each with state. */
export function pairOnItsOwnNetwork(options: { secret?: string } = {}): Pair {
  const sim = createSimulation({ seed: 5, latencyMs: [1, 10], loss: 0.1 })
  const replicaOptions = { gossip, ...options }
  const a = sim.spawn(Monitor, { id: 'a', ...replicaOptions })
  const b = sim.spawn(Monitor, { id: 'b', ...replicaOptions })
  writeEverything(a, 2)
  writeEverything(b, 3)
  sim.runUntilConverged({ maxMs: 5_000 })
  return { sim, a, b }
}

/** The replica still gossips: a write at its peer reaches it, one of its own reaches the peer. */
export function expectStillWorking({ sim, a, b }: Pair): void {
  const before = a.state.packets.global
  b.state.packets.increment(1000)
  a.state.blocked.add('after-the-bad-frame')
  sim.runUntilConverged({ maxMs: 5_000 })
  expect(a.state.packets.global).toBe(before + 1000)
  expect(b.state.blocked.has('after-the-bad-frame')).toBe(true)
  expect(sim.network.stats().handlerErrors).toBe(0)
}

/** The origins a replica's frames list (internal: folded origins are left out), heir origins as `id+heir`. */
export function originIds(replica: Replica<SchemaFields>): string[] {
  const origins = (replica as unknown as { origins: { listed: number[]; ids: string[] } }).origins
  return origins.listed.map((origin) => origins.ids[origin]!.replace('\u0000heir', '+heir')).sort()
}

/** Flows of two counters: the declaration of the fold and traffic tests. */
export const Flows = defineState({ flows: flowTable({ fields: { packets: counter(), bytes: counter() } }) })
export type FlowsReplica = Replica<typeof Flows.fields>

/** The `i`th flow key under `prefix`: a canonical 5-tuple, so it travels packed. */
export function flowKey(prefix: number, i: number): string {
  return `10.${prefix}.${i >> 8}.${i & 255}:1234>10.1.0.1:80/6`
}

/** The sum of every flow's global packet count at `replica`. */
export function flowPackets(replica: FlowsReplica): number {
  let sum = 0
  for (const [, handles] of replica.state.flows) sum += handles.packets.global
  return sum
}
