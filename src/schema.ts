/**
 * Declaring state: builders for every state type and `defineState`, which checks a declaration
 * and fingerprints it so that replicas with different declarations refuse each other's frames.
 */
import type { Reduce } from '../crdts/per-instance.js'
import { fnv1a32String } from '../crdts/hash.js'
import { SchemaError } from './errors.js'
import type { CustomSpec } from './custom-spec.js'

/**
 * A declared `counter()` field.
 * @example
 * ```ts
 * import { counter, defineState, type CounterSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const packets: CounterSpec = counter()
 * assert.equal(defineState({ packets }).fields.packets.kind, 'counter')
 * ```
 */
export interface CounterSpec { readonly kind: 'counter' }
/**
 * A declared `pnCounter()` field.
 * @example
 * ```ts
 * import { pnCounter, type PNCounterSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const sessions: PNCounterSpec = pnCounter()
 * assert.equal(sessions.kind, 'pnCounter')
 * ```
 */
export interface PNCounterSpec { readonly kind: 'pnCounter' }
/**
 * A declared `register<T>(initial)` field.
 * @typeParam T - the value type.
 * @example
 * ```ts
 * import { register, type RegisterSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const mode: RegisterSpec<string> = register('allow')
 * assert.equal(mode.initial, 'allow')
 * ```
 */
export interface RegisterSpec<T> { readonly kind: 'register'; readonly initial: T | undefined }
/**
 * A declared `maxRegister()` field.
 * @example
 * ```ts
 * import { maxRegister, type MaxRegisterSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const peak: MaxRegisterSpec = maxRegister()
 * assert.equal(peak.kind, 'maxRegister')
 * ```
 */
export interface MaxRegisterSpec { readonly kind: 'maxRegister' }
/**
 * A declared `set<T>()` field.
 * @typeParam T - the element type: strings, non-negative safe integers, or both.
 * @example
 * ```ts
 * import { set, type SetSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const blocked: SetSpec<string> = set<string>()
 * assert.equal(blocked.kind, 'set')
 * ```
 */
export interface SetSpec<T extends string | number> { readonly kind: 'set'; readonly element?: T }
/**
 * A declared `perInstance<T, R>({ reduce })` field.
 * @typeParam T - each instance's value.
 * @typeParam R - the global view, what `reduce` returns.
 * @example
 * ```ts
 * import { perInstance, type PerInstanceSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const load: PerInstanceSpec<number, number> = perInstance<number>({ reduce: 'avg' })
 * assert.equal(load.reduce, 'avg')
 * ```
 */
export interface PerInstanceSpec<T, R> { readonly kind: 'perInstance'; readonly reduce: Reduce<T, R> }
/**
 * A declared `doc()` field.
 * @example
 * ```ts
 * import { doc, type DocSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const rules: DocSpec = doc()
 * assert.equal(rules.kind, 'doc')
 * ```
 */
export interface DocSpec { readonly kind: 'doc' }

/**
 * Field types allowed inside a flow table entry.
 * @example
 * ```ts
 * import { counter, flowTable, maxRegister, register, type FlowFieldSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const fields: Record<string, FlowFieldSpec> = { packets: counter(), lastSeen: maxRegister(), verdict: register('allow') }
 * assert.equal(flowTable({ fields }).kind, 'flowTable')
 * ```
 */
export type FlowFieldSpec = CounterSpec | PNCounterSpec | RegisterSpec<any> | MaxRegisterSpec

/**
 * A declared `flowTable({ fields, idleTimeoutMs })` field.
 * @typeParam F - the fields of every entry.
 * @example
 * ```ts
 * import { counter, flowTable, type FlowTableSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const flows: FlowTableSpec<{ packets: ReturnType<typeof counter> }> = flowTable({ fields: { packets: counter() }, idleTimeoutMs: 30_000 })
 * assert.equal(flows.idleTimeoutMs, 30_000)
 * ```
 */
export interface FlowTableSpec<F extends Record<string, FlowFieldSpec>> {
  readonly kind: 'flowTable'
  readonly fields: F
  readonly idleTimeoutMs: number | undefined
}

/* eslint-disable @typescript-eslint/no-explicit-any -- a declaration may hold any value types */
/**
 * Any declared field: what a builder (`counter()`, `set()`, `custom(...)`, ...) returns.
 * @example
 * ```ts
 * import { counter, doc, type FieldSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const fields: FieldSpec[] = [counter(), doc()]
 * assert.deepEqual(fields.map((field) => field.kind), ['counter', 'doc'])
 * ```
 */
export type FieldSpec =
  | CounterSpec | PNCounterSpec | RegisterSpec<any> | MaxRegisterSpec | SetSpec<any>
  | PerInstanceSpec<any, any> | FlowTableSpec<Record<string, FlowFieldSpec>> | DocSpec | CustomSpec<any, any, any, any>

/**
 * The fields of a declaration, by name: what `defineState` takes.
 * @example
 * ```ts
 * import { counter, defineState, set, type SchemaFields } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const fields = { packets: counter(), blocked: set<string>() } satisfies SchemaFields
 * assert.deepEqual(defineState(fields).names, ['blocked', 'packets'])
 * ```
 */
export type SchemaFields = Record<string, FieldSpec>

/**
 * A validated state declaration. `fingerprint` identifies it on the wire.
 * @example
 * ```ts
 * import { counter, defineState, type Schema } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const Monitor: Schema<{ packets: ReturnType<typeof counter> }> = defineState({ packets: counter() })
 * assert.deepEqual(Monitor.names, ['packets'])
 * assert.equal(Monitor.canonical, '"packets":counter')
 * assert.equal(typeof Monitor.fingerprint, 'number')
 * ```
 */
export interface Schema<F extends SchemaFields = SchemaFields> {
  readonly fields: F
  /** Field names in the order used on the wire and in snapshots (sorted). */
  readonly names: readonly string[]
  readonly fingerprint: number
  /** The canonical text the fingerprint hashes (for diagnostics). */
  readonly canonical: string
}

/**
 * Grow-only counter: `increment(n)`; local = own total, global = sum over all instances ever.
 * @example
 * ```ts
 * import { counter, defineState, createReplica } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ packets: counter() }), { id: 'solo' })
 * replica.state.packets.increment()
 * replica.state.packets.increment(4)
 * assert.equal(replica.state.packets.local, 5)
 * assert.equal(replica.state.packets.global, 5)
 * assert.throws(() => replica.state.packets.increment(-1), RangeError)
 * ```
 */
export function counter(): CounterSpec {
  return { kind: 'counter' }
}

/**
 * Counter that also decrements: `increment(n)`, `decrement(n)`.
 * @example
 * ```ts
 * import { pnCounter, defineState, createReplica } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ sessions: pnCounter() }), { id: 'solo' })
 * replica.state.sessions.increment(3)
 * replica.state.sessions.decrement(5)
 * assert.equal(replica.state.sessions.global, -2)
 * ```
 */
export function pnCounter(): PNCounterSpec {
  return { kind: 'pnCounter' }
}

/**
 * Last-writer-wins register (hybrid logical clock, ties by instance id); `initial` until written.
 * @example
 * ```ts
 * import { register, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const State = defineState({ mode: register<'allow' | 'deny'>('allow') })
 * const sim = createSimulation({ seed: 1 })
 * const a = sim.spawn(State, { id: 'a' })
 * const b = sim.spawn(State, { id: 'b' })
 * assert.equal(a.state.mode.global, 'allow')      // the initial value
 * a.state.mode.set('deny')
 * sim.runUntilConverged()
 * assert.equal(b.state.mode.global, 'deny')       // the last write wins everywhere
 * assert.equal(b.state.mode.local, 'allow')       // b wrote nothing itself
 * ```
 */
export function register<T>(initial?: T): RegisterSpec<T> {
  return { kind: 'register', initial }
}

/**
 * Register that keeps the maximum number ever set.
 * @example
 * ```ts
 * import { maxRegister, defineState, createReplica } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ peak: maxRegister() }), { id: 'solo' })
 * assert.equal(replica.state.peak.global, undefined)
 * replica.state.peak.set(1500)
 * replica.state.peak.set(64)
 * assert.equal(replica.state.peak.global, 1500)
 * ```
 */
export function maxRegister(): MaxRegisterSpec {
  return { kind: 'maxRegister' }
}

/**
 * Add-wins observed-remove set of strings or non-negative safe integers.
 * @example
 * ```ts
 * import { set, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const State = defineState({ blocked: set<string>() })
 * const sim = createSimulation({ seed: 2 })
 * const a = sim.spawn(State, { id: 'a' })
 * const b = sim.spawn(State, { id: 'b' })
 * a.state.blocked.add('10.0.0.1')
 * sim.runUntilConverged()
 * b.state.blocked.delete('10.0.0.1')     // removes the add b has seen...
 * a.state.blocked.add('10.0.0.1')        // ...while a concurrent add wins
 * sim.runUntilConverged()
 * assert.deepEqual(b.state.blocked.values(), ['10.0.0.1'])
 * ```
 */
export function set<T extends string | number>(): SetSpec<T> {
  return { kind: 'set' }
}

const BUILTIN_REDUCES = new Set(['latest', 'sum', 'avg', 'min', 'max'])

/**
 * One value per instance; the global view reduces the live instances' values.
 * @throws SchemaError for an unknown reduce.
 * @example
 * ```ts
 * import { perInstance, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const State = defineState({
 *   load: perInstance<number>({ reduce: 'sum' }),
 *   busiest: perInstance<number, string>({ reduce: (loads) => `${Math.max(...loads)} at most` }),
 * })
 * const sim = createSimulation({ seed: 3 })
 * const a = sim.spawn(State, { id: 'a' })
 * const b = sim.spawn(State, { id: 'b' })
 * a.state.load.set(2)
 * b.state.load.set(5)
 * b.state.busiest.set(5)
 * sim.runUntilConverged()
 * assert.equal(a.state.load.global, 7)
 * assert.deepEqual([...a.state.load.byInstance()], [['a', 2], ['b', 5]])
 * assert.equal(a.state.busiest.global, '5 at most')
 * assert.throws(() => perInstance({ reduce: 'median' as 'sum' }), /reduce must be one of/)
 * ```
 */
export function perInstance<T, R = T>(options: { reduce: Reduce<T, R> }): PerInstanceSpec<T, R> {
  const reduce = options?.reduce
  if (typeof reduce !== 'function' && !BUILTIN_REDUCES.has(reduce as string)) {
    throw new SchemaError(`perInstance reduce must be one of latest, sum, avg, min, max or a function, got ${String(reduce)}`)
  }
  return { kind: 'perInstance', reduce }
}

/**
 * A map from flow keys to entries of counters and registers, with observed-remove delete and
 * optional idle expiry.
 * @throws SchemaError for a field type that cannot live in an entry, or a bad idleTimeoutMs.
 * @example
 * ```ts
 * import { counter, flowTable, maxRegister, defineState, flowKey } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const State = defineState({ flows: flowTable({ fields: { packets: counter(), lastSeen: maxRegister() }, idleTimeoutMs: 1000 }) })
 * const sim = createSimulation({ seed: 4 })
 * const a = sim.spawn(State, { id: 'a' })
 * const b = sim.spawn(State, { id: 'b' })
 * const key = flowKey({ src: '10.0.0.1', sport: 1234, dst: '10.1.0.1', dport: 443, proto: 'tcp' })
 * a.state.flows.entry(key).packets.increment()
 * b.state.flows.entry(key).packets.increment()
 * sim.advance(200)                          // a few gossip rounds
 * assert.equal(a.state.flows.get(key)?.packets.global, 2)
 * sim.advance(3000)                         // idle for longer than idleTimeoutMs: gone everywhere
 * assert.equal(a.state.flows.has(key), false)
 * assert.equal(b.state.flows.size, 0)
 * ```
 */
export function flowTable<F extends Record<string, FlowFieldSpec>>(options: { fields: F; idleTimeoutMs?: number }): FlowTableSpec<F> {
  const fields = options?.fields
  if (!fields || typeof fields !== 'object' || Object.keys(fields).length === 0) {
    throw new SchemaError('flowTable needs at least one field')
  }
  for (const [name, spec] of Object.entries(fields)) {
    const kind = (spec as { kind?: unknown })?.kind
    if (kind !== 'counter' && kind !== 'pnCounter' && kind !== 'register' && kind !== 'maxRegister') {
      throw new SchemaError(`flowTable field ${JSON.stringify(name)} must be counter, pnCounter, register or maxRegister, got ${String(kind)}`)
    }
  }
  const idleTimeoutMs = options.idleTimeoutMs
  if (idleTimeoutMs !== undefined && (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0)) {
    throw new SchemaError(`flowTable idleTimeoutMs must be a positive number of milliseconds, got ${String(idleTimeoutMs)}`)
  }
  return { kind: 'flowTable', fields, idleTimeoutMs }
}

/**
 * A Yjs document (`Y.Doc`), for ordered or structured state such as a rule list.
 * @example
 * ```ts
 * import { doc, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const State = defineState({ rules: doc() })
 * const sim = createSimulation({ seed: 5 })
 * const a = sim.spawn(State, { id: 'a' })
 * const b = sim.spawn(State, { id: 'b' })
 * a.state.rules.doc.getArray<string>('acl').push(['deny 10.6.0.0/16'])
 * sim.runUntilConverged()
 * assert.deepEqual(b.state.rules.doc.getArray<string>('acl').toArray(), ['deny 10.6.0.0/16'])
 * ```
 */
export function doc(): DocSpec {
  return { kind: 'doc' }
}

const KINDS = new Set(['counter', 'pnCounter', 'register', 'maxRegister', 'set', 'perInstance', 'flowTable', 'doc', 'custom'])

function describeSpec(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'register':
      return `register(${typeof spec.initial === 'function' ? 'function' : JSON.stringify(spec.initial) ?? 'undefined'})`
    case 'perInstance':
      return `perInstance(${typeof spec.reduce === 'function' ? 'function' : spec.reduce})`
    case 'flowTable': {
      const fields = Object.keys(spec.fields).sort().map((name) => `${JSON.stringify(name)}:${describeSpec(spec.fields[name]!)}`)
      return `flowTable({${fields.join(',')}},idle=${spec.idleTimeoutMs ?? 0})`
    }
    case 'custom':
      return `custom(${JSON.stringify(spec.name)})`
    default:
      return spec.kind
  }
}

/**
 * Declares the state of a network function. Field names are sorted for the wire, so the order
 * of declaration does not matter; the fingerprint covers names, types and their options.
 * @throws SchemaError for an empty declaration, a non-builder value, or a reserved name.
 * @example
 * ```ts
 * import { counter, defineState, set, SchemaError } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const Monitor = defineState({ packets: counter(), blocked: set<string>() })
 * assert.deepEqual(Monitor.names, ['blocked', 'packets'])        // sorted: declaration order does not matter
 * assert.equal(defineState({ blocked: set<string>(), packets: counter() }).fingerprint, Monitor.fingerprint)
 * assert.throws(() => defineState({}), SchemaError)
 * ```
 */
export function defineState<F extends SchemaFields>(fields: F): Schema<F> {
  if (!fields || typeof fields !== 'object') throw new SchemaError('defineState takes an object of fields')
  const names = Object.keys(fields).sort()
  if (names.length === 0) throw new SchemaError('defineState needs at least one field')
  for (const name of names) {
    const kind = (fields[name] as { kind?: unknown })?.kind
    if (!KINDS.has(kind as string)) {
      throw new SchemaError(`field ${JSON.stringify(name)} is not a state type (use counter(), set(), flowTable(), ...)`)
    }
  }
  const canonical = names.map((name) => `${JSON.stringify(name)}:${describeSpec(fields[name]!)}`).join(';')
  return Object.freeze({ fields, names: Object.freeze(names), fingerprint: fnv1a32String(`elastic-state/1;${canonical}`), canonical })
}
