/**
 * The objects users hold: `replica.state.<field>`. Each is a thin view over a state type's
 * record: writes go straight to the own slot (no I/O, no encoding), reads are local.
 */
import type * as Y from 'yjs'
import * as counterType from '../crdts/counter.js'
import * as pnCounterType from '../crdts/pn-counter.js'
import * as registerType from '../crdts/register.js'
import * as maxRegisterType from '../crdts/max-register.js'
import * as setType from '../crdts/aw-set.js'
import * as perInstanceType from '../crdts/per-instance.js'
import type { DocState } from '../crdts/doc.js'
import type { FlowKey } from '../crdts/flow-table.js'
import { assertPlainData } from '../crdts/validate.js'
import type {
  CounterSpec, DocSpec, FieldSpec, FlowFieldSpec, FlowTableSpec, MaxRegisterSpec, PNCounterSpec,
  PerInstanceSpec, RegisterSpec, SchemaFields, SetSpec,
} from './schema.js'
import type { CustomSpec } from './custom-spec.js'
import type { CustomHandle } from './custom-handle.js'

/**
 * What `replica.state.<field>` is for a `counter()` field.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, type CounterHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ packets: counter() }), { id: 'solo' })
 * const packets: CounterHandle = replica.state.packets
 * packets.increment(2)
 * assert.deepEqual([packets.local, packets.global], [2, 2])
 * ```
 */
export interface CounterHandle {
  /** @throws RangeError unless `n` is a non-negative safe integer. */
  increment(n?: number): void
  /** This instance's own total. */
  readonly local: number
  /** Sum over every instance that ever incremented, departed ones included. */
  readonly global: number
}

/**
 * What `replica.state.<field>` is for a `pnCounter()` field.
 * @example
 * ```ts
 * import { pnCounter, defineState, createReplica, type PNCounterHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ sessions: pnCounter() }), { id: 'solo' })
 * const sessions: PNCounterHandle = replica.state.sessions
 * sessions.increment(2)
 * sessions.decrement()
 * assert.equal(sessions.global, 1)
 * ```
 */
export interface PNCounterHandle extends CounterHandle {
  /** @throws RangeError unless `n` is a non-negative safe integer. */
  decrement(n?: number): void
}

/**
 * What `replica.state.<field>` is for a `register<T>()` field.
 * @typeParam T - the value type.
 * @example
 * ```ts
 * import { register, defineState, createReplica, type RegisterHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ limit: register(100) }), { id: 'solo' })
 * const limit: RegisterHandle<number> = replica.state.limit
 * limit.set(60)
 * assert.equal(limit.global, 60)
 * assert.throws(() => limit.set(new Date() as unknown as number), RangeError)   // not plain data
 * ```
 */
export interface RegisterHandle<T> {
  /** @throws RangeError unless `value` is plain data (JSON-like, bigint, Uint8Array). */
  set(value: T): void
  /** Own last write, or the initial value. */
  readonly local: T
  /** Last writer wins (hybrid logical clock, ties by instance id). */
  readonly global: T
}

/**
 * What `replica.state.<field>` is for a `maxRegister()` field.
 * @example
 * ```ts
 * import { maxRegister, defineState, createReplica, type MaxRegisterHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ peak: maxRegister() }), { id: 'solo' })
 * const peak: MaxRegisterHandle = replica.state.peak
 * peak.set(9)
 * peak.set(3)
 * assert.equal(peak.local, 9)
 * ```
 */
export interface MaxRegisterHandle {
  /** Raises the register to `n` if larger. @throws RangeError unless `n` is finite. */
  set(n: number): void
  readonly local: number | undefined
  readonly global: number | undefined
}

/**
 * What `replica.state.<field>` is for a `set<T>()` field.
 * @typeParam T - the element type.
 * @example
 * ```ts
 * import { set, defineState, createReplica, type SetHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ blocked: set<string>() }), { id: 'solo' })
 * const blocked: SetHandle<string> = replica.state.blocked
 * blocked.add('10.0.0.1')
 * assert.equal(blocked.has('10.0.0.1'), true)
 * assert.equal(blocked.delete('10.0.0.1'), true)
 * assert.equal(blocked.size, 0)
 * ```
 */
export interface SetHandle<T extends string | number> {
  /** @throws RangeError unless `x` is a string or a non-negative safe integer. */
  add(x: T): void
  /** Removes the adds observed here (a concurrent add elsewhere wins). Returns whether `x` was present. */
  delete(x: T): boolean
  has(x: T): boolean
  values(): T[]
  readonly size: number
  /** Present elements added by this instance. */
  readonly local: T[]
}

/**
 * What `replica.state.<field>` is for a `perInstance<T, R>()` field.
 * @typeParam T - each instance's value.
 * @typeParam R - the global view.
 * @example
 * ```ts
 * import { perInstance, defineState, createReplica, type PerInstanceHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ load: perInstance<number>({ reduce: 'max' }) }), { id: 'solo' })
 * const load: PerInstanceHandle<number, number> = replica.state.load
 * load.set(0.4)
 * assert.equal(load.global, 0.4)
 * assert.deepEqual([...load.byInstance()], [['solo', 0.4]])
 * ```
 */
export interface PerInstanceHandle<T, R> {
  set(value: T): void
  readonly local: T | undefined
  /** The reduction over live instances' values. */
  readonly global: R | undefined
  byInstance(): Map<string, T>
}

/**
 * What `replica.state.<field>` is for a `doc()` field: the replicated `Y.Doc`.
 * @example
 * ```ts
 * import { doc, defineState, createReplica, type DocHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ rules: doc() }), { id: 'solo' })
 * const rules: DocHandle = replica.state.rules
 * rules.doc.getMap<number>('limits').set('http', 100)
 * assert.deepEqual(replica.snapshot(), { rules: { limits: { http: 100 } } })
 * ```
 */
export interface DocHandle {
  readonly doc: Y.Doc
}

/**
 * The handle of one field of a flow table entry: a counter, PN-counter, max register or register handle.
 * @typeParam S - the field's declaration.
 * @example
 * ```ts
 * import { counter, flowTable, defineState, createReplica, type EntryFieldHandle, type CounterSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ flows: flowTable({ fields: { packets: counter() } }) }), { id: 'solo' })
 * const packets: EntryFieldHandle<CounterSpec> = replica.state.flows.entry('f1').packets
 * packets.increment()
 * assert.equal(packets.global, 1)
 * ```
 */
export type EntryFieldHandle<S> =
  S extends CounterSpec ? CounterHandle :
  S extends PNCounterSpec ? PNCounterHandle :
  S extends MaxRegisterSpec ? MaxRegisterHandle :
  S extends RegisterSpec<infer T> ? RegisterHandle<T> : never

/**
 * The field handles of one flow table entry, by field name.
 * @typeParam F - the entry's fields.
 * @example
 * ```ts
 * import { counter, register, flowTable, defineState, createReplica, type EntryHandles } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const fields = { packets: counter(), verdict: register('allow') }
 * const replica = createReplica(defineState({ flows: flowTable({ fields }) }), { id: 'solo' })
 * const entry: EntryHandles<typeof fields> = replica.state.flows.entry('f1')
 * entry.packets.increment()
 * entry.verdict.set('deny')
 * assert.deepEqual(replica.snapshot(), { flows: { f1: { packets: 1, verdict: 'deny' } } })
 * ```
 */
export type EntryHandles<F extends Record<string, FlowFieldSpec>> = { readonly [K in keyof F]: EntryFieldHandle<F[K]> }

/**
 * What `replica.state.<field>` is for a `flowTable()` field: entries by flow key, each with its field handles.
 * @typeParam F - the entry's fields.
 * @example
 * ```ts
 * import { counter, flowTable, defineState, createReplica, type FlowTableHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const fields = { packets: counter() }
 * const replica = createReplica(defineState({ flows: flowTable({ fields }) }), { id: 'solo' })
 * const flows: FlowTableHandle<typeof fields> = replica.state.flows
 * flows.entry('f1').packets.increment()
 * flows.entry(7).packets.increment(2)
 * assert.deepEqual(flows.keys().sort(), [7, 'f1'])
 * assert.deepEqual([...flows].map(([key, entry]) => [key, entry.packets.global]).sort(), [[7, 2], ['f1', 1]])
 * assert.equal(flows.delete('f1'), true)
 * assert.equal(flows.get('f1'), undefined)
 * ```
 */
export interface FlowTableHandle<F extends Record<string, FlowFieldSpec>> extends Iterable<[FlowKey, EntryHandles<F>]> {
  /** The entry's field handles; the entry is created by its first write. @throws RangeError for a bad key. */
  entry(key: FlowKey): EntryHandles<F>
  /** Handles of an existing (visible) entry, or undefined. */
  get(key: FlowKey): EntryHandles<F> | undefined
  has(key: FlowKey): boolean
  /** Observed-remove delete: a concurrent write elsewhere keeps the entry. Returns whether it existed. */
  delete(key: FlowKey): boolean
  readonly size: number
  keys(): FlowKey[]
  /** Time of the entry's last write by any instance (tables with idle expiry or a lastSeen field). */
  lastSeen(key: FlowKey): number | undefined
}

/**
 * The handle type of one declared field.
 * @typeParam S - the field's declaration.
 * @example
 * ```ts
 * import { counter, type HandleOf, type CounterHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const packets = counter()
 * type PacketsHandle = HandleOf<typeof packets>
 * const same: CounterHandle extends PacketsHandle ? true : false = true
 * assert.equal(same, true)
 * ```
 */
export type HandleOf<S extends FieldSpec> =
  S extends CounterSpec ? CounterHandle :
  S extends PNCounterSpec ? PNCounterHandle :
  S extends MaxRegisterSpec ? MaxRegisterHandle :
  S extends RegisterSpec<infer T> ? RegisterHandle<T> :
  S extends SetSpec<infer T> ? SetHandle<T> :
  S extends PerInstanceSpec<infer T, infer R> ? PerInstanceHandle<T, R> :
  S extends FlowTableSpec<infer F> ? FlowTableHandle<F> :
  S extends DocSpec ? DocHandle :
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the state type does not shape the handle
  S extends CustomSpec<any, infer W, infer G, infer L> ? CustomHandle<W, G, L> : never

/**
 * What `replica.state` is: a handle per declared field.
 * @typeParam F - the declaration's fields.
 * @example
 * ```ts
 * import { counter, set, defineState, createReplica, type StateHandles } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const Firewall = defineState({ dropped: counter(), blocked: set<string>() })
 * function block(state: StateHandles<typeof Firewall.fields>, source: string): void {
 *   state.blocked.add(source)
 *   state.dropped.increment()
 * }
 * const replica = createReplica(Firewall, { id: 'solo' })
 * block(replica.state, '10.0.0.9')
 * assert.deepEqual(replica.snapshot(), { blocked: ['10.0.0.9'], dropped: 1 })
 * ```
 */
export type StateHandles<F extends SchemaFields> = { readonly [K in keyof F]: HandleOf<F[K]> }

/** Where handles find the replica's own origin number (it is fixed for a replica's lifetime). */
export interface OwnOrigin {
  readonly origin: number
}

// Every handle is an instance of a class, its methods on the prototype: the handles of all the
// replicas in a process share one function per method, so a call site such as
// `state.packets.increment()` sees one target and V8 inlines it. (Closures made per replica, as
// object literals of arrow functions would be, are never inlined there.) The state sits in private
// fields, so a handle enumerates no own properties.

class Counter implements CounterHandle {
  readonly #state: counterType.CounterState
  readonly #origin: number
  constructor(state: counterType.CounterState, origin: number) {
    this.#state = state
    this.#origin = origin
  }
  increment(n = 1): void { counterType.increment(this.#state, this.#origin, n) }
  get local(): number { return counterType.localValue(this.#state, this.#origin) }
  get global(): number { return this.#state.total }
}

export function counterHandle(state: counterType.CounterState, own: OwnOrigin): CounterHandle {
  return new Counter(state, own.origin)
}

class PNCounter implements PNCounterHandle {
  readonly #state: pnCounterType.PNCounterState
  readonly #origin: number
  constructor(state: pnCounterType.PNCounterState, origin: number) {
    this.#state = state
    this.#origin = origin
  }
  increment(n = 1): void { pnCounterType.increment(this.#state, this.#origin, n) }
  decrement(n = 1): void { pnCounterType.decrement(this.#state, this.#origin, n) }
  get local(): number { return pnCounterType.localValue(this.#state, this.#origin) }
  get global(): number { return this.#state.total }
}

export function pnCounterHandle(state: pnCounterType.PNCounterState, own: OwnOrigin): PNCounterHandle {
  return new PNCounter(state, own.origin)
}

class Register<T> implements RegisterHandle<T> {
  readonly #state: registerType.RegisterState<T>
  readonly #origin: number
  constructor(state: registerType.RegisterState<T>, origin: number) {
    this.#state = state
    this.#origin = origin
  }
  set(value: T): void {
    assertPlainData(value, 'register.set')
    registerType.set(this.#state, this.#origin, value)
  }
  get local(): T { return registerType.localValue(this.#state, this.#origin) }
  get global(): T { return registerType.globalValue(this.#state) }
}

export function registerHandle<T>(state: registerType.RegisterState<T>, own: OwnOrigin): RegisterHandle<T> {
  return new Register(state, own.origin)
}

class MaxRegister implements MaxRegisterHandle {
  readonly #state: maxRegisterType.MaxRegisterState
  readonly #origin: number
  constructor(state: maxRegisterType.MaxRegisterState, origin: number) {
    this.#state = state
    this.#origin = origin
  }
  set(n: number): void { maxRegisterType.set(this.#state, this.#origin, n) }
  get local(): number | undefined { return maxRegisterType.localValue(this.#state, this.#origin) }
  get global(): number | undefined { return maxRegisterType.globalValue(this.#state) }
}

export function maxRegisterHandle(state: maxRegisterType.MaxRegisterState, own: OwnOrigin): MaxRegisterHandle {
  return new MaxRegister(state, own.origin)
}

class AWSet<T extends string | number> implements SetHandle<T> {
  readonly #state: setType.AWSetState
  readonly #origin: number
  constructor(state: setType.AWSetState, origin: number) {
    this.#state = state
    this.#origin = origin
  }
  add(x: T): void { setType.add(this.#state, this.#origin, x) }
  delete(x: T): boolean {
    const present = setType.has(this.#state, x)
    setType.remove(this.#state, this.#origin, x)
    return present
  }
  has(x: T): boolean { return setType.has(this.#state, x) }
  values(): T[] { return [...setType.values(this.#state)] as T[] }
  get size(): number { return setType.size(this.#state) }
  get local(): T[] { return [...setType.localValues(this.#state, this.#origin)] as T[] }
}

export function setHandle<T extends string | number>(state: setType.AWSetState, own: OwnOrigin): SetHandle<T> {
  return new AWSet<T>(state, own.origin)
}

class PerInstance<T, R> implements PerInstanceHandle<T, R> {
  readonly #state: perInstanceType.PerInstanceState<T>
  readonly #origin: number
  constructor(state: perInstanceType.PerInstanceState<T>, origin: number) {
    this.#state = state
    this.#origin = origin
  }
  set(value: T): void {
    assertPlainData(value, 'perInstance.set')
    perInstanceType.set(this.#state, this.#origin, value)
  }
  get local(): T | undefined { return perInstanceType.localValue(this.#state, this.#origin) }
  get global(): R | undefined { return perInstanceType.globalValue(this.#state) as R | undefined }
  byInstance(): Map<string, T> { return perInstanceType.byInstance(this.#state) }
}

export function perInstanceHandle<T, R>(state: perInstanceType.PerInstanceState<T>, own: OwnOrigin): PerInstanceHandle<T, R> {
  return new PerInstance<T, R>(state, own.origin)
}

export function docHandle(state: DocState): DocHandle {
  return { doc: state.doc }
}

export { flowTableHandle } from './flow-table-handle.js'
export { customHandle } from './custom-handle.js'
