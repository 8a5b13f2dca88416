/**
 * `checkConvergence`: random operations at random replicas of a declaration on a simulated
 * network with faults and scale events; then heal, and every live replica must show the same
 * `snapshot()` (and, given a reference model, what the model expects).
 */
import fc from 'fast-check'
import { DecodeError } from '../errors.js'
import type { Replica, GossipOptions } from '../replica.js'
import type { Schema, SchemaFields } from '../schema.js'
import { firstDifference } from '../sim/deep-equal.js'
import { createSimulation, type Simulation } from '../sim/index.js'
import type { Operation } from './operation.js'
import { type KitAsyncProperty, type RunOptions, kitAsyncProperty, runParameters } from './property.js'
import { type ConvergenceCase, type Faults, type ScheduleStep, convergenceCases } from './schedule.js'
import { render } from './structure.js'

/**
 * A sequential reference: what the replicas must show once converged. Every operation must then
 * carry its model update (`op(name, args, run, model)`). So that no write can be lost with a
 * replica, the check heals the network and waits until every write is confirmed before each
 * crash and each leave.
 * @typeParam F - the declaration's fields.
 * @typeParam M - the model.
 * @example
 * ```ts
 * import { counter, perInstance, defineState } from 'elastic-state'
 * import type { ReferenceModel } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const State = defineState({ hits: counter(), load: perInstance<number>({ reduce: 'sum' }) })
 * interface Model { hits: number; load: Map<string, number> }
 * const model: ReferenceModel<typeof State.fields, Model> = {
 *   initial: () => ({ hits: 0, load: new Map() }),
 *   expected: (model, live) => ({
 *     hits: model.hits,
 *     load: live.reduce((sum, id) => sum + (model.load.get(id) ?? 0), 0),
 *   }),
 *   departed: (model, id) => { model.load.delete(id) },
 * }
 * assert.deepEqual(model.expected(model.initial(), ['r1']), { hits: 0, load: 0 })
 * ```
 */
export interface ReferenceModel<F extends SchemaFields, M> {
  /** A new model, before any operation. */
  initial(): M
  /**
   * What every live replica's `snapshot()` must show for the fields named, once converged.
   * `live` lists the live replica ids, sorted (for per-instance values).
   */
  expected(model: M, live: readonly string[]): { readonly [K in keyof F]?: unknown }
  /** A replica crashed or left: forget what only it held (its per-instance values). */
  departed?(model: M, id: string): void
}

/**
 * Options of `checkConvergence`.
 * @typeParam F - the declaration's fields.
 * @typeParam M - the reference model.
 * @example
 * ```ts
 * import type { ConvergenceOptions } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const options: ConvergenceOptions = {
 *   numRuns: 30,
 *   maxSteps: 50,
 *   faults: { loss: 0.3, crashes: false },
 *   gossip: { intervalMs: 50, failureTimeoutMs: 500 },
 * }
 * assert.equal(options.faults?.crashes, false)
 * ```
 */
export interface ConvergenceOptions<F extends SchemaFields = SchemaFields, M = unknown> extends RunOptions {
  /** Most replicas started before the schedule (at least 2). Default 3. */
  replicas?: number
  /** Most live replicas at any time. Default 5. */
  maxReplicas?: number
  /** Most steps in a schedule. Default 30. */
  maxSteps?: number
  /** Faults and scale events of the schedules. Default: all of them. */
  faults?: Faults
  /** Gossip settings of the replicas. Default: 20 ms rounds, 200 ms failure time-out, 600 ms leave time-out. */
  gossip?: GossipOptions
  /** Virtual ms the replicas may take to converge once healed. Default 250 gossip intervals (5 s with the default gossip). */
  maxConvergeMs?: number
  /** A sequential reference the converged snapshots must match. */
  model?: ReferenceModel<F, M>
}

const DEFAULT_GOSSIP = { intervalMs: 20, fanout: 3, failureTimeoutMs: 200, leaveTimeoutMs: 600 } as const

/** A run did not converge or did not match the model; the message says where, after which steps. */
class ConvergenceViolation extends Error {
  override name = 'ConvergenceViolation'
}

interface Run<F extends SchemaFields, M> {
  readonly sim: Simulation
  readonly schema: Schema<F>
  readonly gossip: GossipOptions
  readonly model: ReferenceModel<F, M> | undefined
  readonly modelState: M | undefined
  readonly maxReplicas: number
  readonly maxConvergeMs: number
  /** Ids in first-spawn order. */
  readonly ids: string[]
  /** What happened, step by step, for the failure report. */
  readonly log: string[]
  /** Frames rejected as malformed (a type's encoding at fault), by the replica that rejected them. */
  readonly rejected: string[]
}

/**
 * A property that runs random schedules of `ops` at random replicas of `schema` on a simulated
 * network with random latency, loss, duplication and reordering, partitions, crashes, restarts,
 * scale-out and graceful scale-in (see `Faults`); then heals the network, flushes, and requires:
 *
 * - every live replica's `snapshot()` to be the same within `maxConvergeMs` of virtual time,
 *   also once crashed replicas are past failure detection;
 * - every live replica to list the same members;
 * - no replica to have rejected a frame as malformed (a type whose decode rejects its own
 *   encoding);
 * - with `model`, every live replica's snapshot to show what `model.expected` says.
 *
 * On failure, `assert()` throws a `PropertyFailure` with the shrunk schedule and the steps as
 * they ran (`r1: add(7)`, `crash r2`, ...), and where the snapshots differ.
 * @param schema - the declaration under test.
 * @param ops - arbitraries of operations: functions over `replica.state`, or `op(...)`.
 * @throws RangeError for out-of-range options, or no operations.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { defineState, set } from 'elastic-state'
 * import { checkConvergence, op } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const Firewall = defineState({ blocked: set<string>() })
 * const address = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3')
 * const property = checkConvergence(Firewall, [
 *   op('block', address, (state, ip) => state.blocked.add(ip)),
 *   op('unblock', address, (state, ip) => { state.blocked.delete(ip) }),
 * ], { numRuns: 10 })
 * await property.assert()   // throws a PropertyFailure if some schedule does not converge
 * assert.equal(property.parameters.numRuns, 10)
 * ```
 */
export function checkConvergence<F extends SchemaFields, M = unknown>(
  schema: Schema<F>,
  ops: fc.Arbitrary<Operation<F, M>> | readonly fc.Arbitrary<Operation<F, M>>[] | Readonly<Record<string, fc.Arbitrary<Operation<F, M>>>>,
  options: ConvergenceOptions<F, M> = {},
): KitAsyncProperty<unknown> {
  if (!schema || typeof schema !== 'object' || !Array.isArray(schema.names)) throw new RangeError('checkConvergence takes a declaration: what defineState(...) returns')
  // One arbitrary, a list of them, or a record of them by name.
  const list = (Array.isArray(ops) ? ops
    : ops instanceof fc.Arbitrary ? [ops]
    : ops !== null && typeof ops === 'object' ? Object.values(ops)
    : [ops]) as fc.Arbitrary<Operation<F, M>>[]
  if (list.length === 0 || list.some((arbitrary) => !(arbitrary instanceof fc.Arbitrary))) {
    throw new RangeError('checkConvergence needs operations: a fast-check arbitrary of functions over replica.state, or a non-empty array or record of them')
  }
  const replicas = positiveInteger('replicas', options.replicas ?? 3, 2)
  const maxReplicas = positiveInteger('maxReplicas', options.maxReplicas ?? 5, replicas)
  const maxSteps = positiveInteger('maxSteps', options.maxSteps ?? 30, 1)
  const gossip = { ...DEFAULT_GOSSIP, ...options.gossip }
  const maxConvergeMs = positiveInteger('maxConvergeMs', options.maxConvergeMs ?? 250 * gossip.intervalMs, 1)
  const faults: Required<Faults> = { loss: 0.2, duplicate: 0.1, reorder: true, partitions: true, crashes: true, scaling: true, ...options.faults }
  for (const name of ['loss', 'duplicate'] as const) {
    const value = faults[name]
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new RangeError(`faults.${name} must be a probability below 1, got ${String(value)}`)
  }
  const parameters = runParameters<[unknown]>(options, 25)
  const cases = convergenceCases(list.length === 1 ? list[0]! : fc.oneof(...list), faults, replicas, maxSteps)
  const property = fc.asyncProperty(cases, async (convergenceCase) => {
    await runCase(schema, convergenceCase, { gossip, model: options.model, maxReplicas, maxConvergeMs })
  })
  return kitAsyncProperty(`checkConvergence(${schema.names.join(', ')})`, property as fc.IAsyncPropertyWithHooks<[unknown]>, parameters)
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer of at least ${min}, got ${String(value)}`)
  return value
}

async function runCase<F extends SchemaFields, M>(
  schema: Schema<F>,
  convergenceCase: ConvergenceCase<F, M>,
  settings: { gossip: GossipOptions; model: ReferenceModel<F, M> | undefined; maxReplicas: number; maxConvergeMs: number },
): Promise<void> {
  const run: Run<F, M> = {
    sim: createSimulation({ ...convergenceCase.network, leaveStepMs: 10 }),
    schema, gossip: settings.gossip, model: settings.model, modelState: settings.model?.initial(),
    maxReplicas: settings.maxReplicas, maxConvergeMs: settings.maxConvergeMs, ids: [], log: [], rejected: [],
  }
  for (let i = 0; i < convergenceCase.replicas; i++) spawn(run)
  for (const step of convergenceCase.steps) {
    run.log.push(await applyStep(run, step))
    if (run.rejected.length > 0) fail(run, `a replica rejected a frame: ${run.rejected[0]}`)
  }
  await settle(run)
  if (run.rejected.length > 0) fail(run, `a replica rejected a frame: ${run.rejected[0]}`)
  const live = run.sim.replicas()
  const liveIds = live.map((replica) => replica.id).sort()
  for (const replica of live) {
    const members = replica.members()
    if (JSON.stringify(members) !== JSON.stringify(liveIds)) fail(run, `${replica.id} lists members ${JSON.stringify(members)}, the live replicas are ${JSON.stringify(liveIds)}`)
  }
  const network = run.sim.network
  const callbackErrors = network.stats().handlerErrors + network.stats().timerErrors
  if (callbackErrors > 0) {
    const last = network.lastError
    fail(run, `${callbackErrors} error(s) escaped replicas during the run; the last, at ${last?.nodeId}: ${render(last?.error)}`)
  }
  if (run.model) checkModel(run, live, liveIds)
}

function fail(run: { readonly log: readonly string[] }, message: string): never {
  throw new ConvergenceViolation(`${message}\n  after: ${run.log.length === 0 ? '(start)' : run.log.join('; ')}`)
}

function spawn<F extends SchemaFields, M>(run: Run<F, M>, id?: string): Replica<F> {
  const replica = id === undefined ? run.sim.spawn(run.schema, { gossip: run.gossip }) : run.sim.restart(id) as Replica<F>
  if (!run.ids.includes(replica.id)) run.ids.push(replica.id)
  replica.on('error', (error) => {
    if (error instanceof DecodeError) run.rejected.push(`${replica.id}: ${error.name}: ${error.message}`)
  })
  return replica
}

async function applyStep<F extends SchemaFields, M>(run: Run<F, M>, step: ScheduleStep<F, M>): Promise<string> {
  const { sim } = run
  const live = sim.replicas() as Replica<F>[]
  const at = (position: number) => live[position % live.length]!
  switch (step.kind) {
    case 'write': {
      const replica = at(step.at)
      const name = fc.stringify(step.op)
      try {
        step.op(replica.state, { id: replica.id, nowMs: sim.now() })
      } catch (error) {
        fail(run, `operation ${name} threw at ${replica.id}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
      }
      if (run.model) {
        if (!step.op.model) throw new RangeError(`operation ${name} has no model update, but a reference model was given: make it with op(name, args, run, model)`)
        step.op.model(run.modelState as M, replica.id)
      }
      return `${replica.id}: ${name}`
    }
    case 'advance':
      sim.advance(step.ms)
      return `advance ${step.ms} ms`
    case 'flush': {
      const replica = at(step.at)
      await replica.flush()
      return `flush ${replica.id}`
    }
    case 'partition': {
      const groups: string[][] = [[], [], []]
      live.forEach((replica, index) => groups[step.sides[index % step.sides.length]!]!.push(replica.id))
      const sides = groups.filter((members) => members.length > 0)
      sim.partition(...sides)
      return `partition ${sides.map((side) => `[${side.join(', ')}]`).join(' | ')}`
    }
    case 'heal':
      sim.heal()
      return 'heal'
    case 'crash': {
      if (live.length < 2) return 'crash skipped (last replica)'
      if (run.model) await quiesce(run)
      const replica = at(step.at)
      sim.crash(replica.id)
      run.model?.departed?.(run.modelState as M, replica.id)
      return `${run.model ? 'heal, converge, ' : ''}crash ${replica.id}`
    }
    case 'restart': {
      const dead = run.ids.filter((id) => sim.replica(id) === undefined)
      if (dead.length === 0 || live.length >= run.maxReplicas) return 'restart skipped'
      const replica = spawn(run, dead[step.at % dead.length]!)
      return `restart ${replica.id}`
    }
    case 'spawn': {
      if (live.length >= run.maxReplicas) return 'spawn skipped'
      return `spawn ${spawn(run).id}`
    }
    case 'leave': {
      if (live.length < 2) return 'leave skipped (last replica)'
      if (run.model) await quiesce(run)
      const replica = at(step.at)
      await replica.leave()
      run.model?.departed?.(run.modelState as M, replica.id)
      return `${run.model ? 'heal, converge, ' : ''}${replica.id} leaves`
    }
  }
}

/** Heals, flushes and waits until converged and every replica's writes are confirmed by its peers. */
async function quiesce<F extends SchemaFields, M>(run: Run<F, M>): Promise<void> {
  const { sim } = run
  sim.heal()
  for (const replica of sim.replicas()) await replica.flush()
  converge(run, 'before a crash or leave')
  const deadlineMs = sim.now() + run.maxConvergeMs
  // Lag counts only peers a replica knows: every replica must first know every live one, or
  // replicas that have not met yet would look confirmed (and equal snapshots can be chance).
  const everyoneKnown = () => {
    const live = sim.replicas().map((replica) => replica.id).sort()
    return sim.replicas().every((replica) => replica.members().join('\u0000') === live.join('\u0000'))
  }
  // Lag is the age of the oldest unconfirmed write, so it reads 0 in the very instant of a write:
  // time moves on before it is read.
  do {
    if (sim.now() >= deadlineMs) fail(run, `writes still unconfirmed ${run.maxConvergeMs} virtual ms after healing`)
    sim.advance(10)
  } while (!everyoneKnown() || !sim.replicas().every((replica) => replica.stats().lagMs === 0))
}

function converge<F extends SchemaFields, M>(run: Run<F, M>, when: string): void {
  try {
    run.sim.runUntilConverged({ maxMs: run.maxConvergeMs })
  } catch (error) {
    // A rejected frame explains a failure to converge better than the difference it left.
    if (run.rejected.length > 0) fail(run, `a replica rejected a frame: ${run.rejected[0]}`)
    fail(run, `the replicas did not converge ${when}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Heal, flush, converge; then past failure detection of crashed replicas, converge again. */
async function settle<F extends SchemaFields, M>(run: Run<F, M>): Promise<void> {
  const { sim } = run
  sim.heal()
  for (const replica of sim.replicas()) await replica.flush()
  converge(run, 'after healing')
  sim.advance((run.gossip.failureTimeoutMs ?? DEFAULT_GOSSIP.failureTimeoutMs) * 3)
  converge(run, 'after failure detection')
}

function checkModel<F extends SchemaFields, M>(run: Run<F, M>, live: readonly Replica[], liveIds: readonly string[]): void {
  const expected = run.model!.expected(run.modelState as M, liveIds) as Record<string, unknown>
  for (const replica of live) {
    const snapshot = replica.snapshot()
    for (const field of Object.keys(expected)) {
      if (!Object.prototype.hasOwnProperty.call(snapshot, field)) fail(run, `the model expects a field ${JSON.stringify(field)} that the declaration does not have`)
      const difference = firstDifference(snapshot[field], expected[field], `snapshot().${field}`)
      if (difference !== undefined) fail(run, `${replica.id} differs from the reference model at ${difference} (replica vs model)`)
    }
  }
}
