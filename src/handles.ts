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

export interface CounterHandle {
  /** @throws RangeError unless `n` is a non-negative safe integer. */
  increment(n?: number): void
  /** This instance's own total. */
  readonly local: number
  /** Sum over every instance that ever incremented, departed ones included. */
  readonly global: number
}

export interface PNCounterHandle extends CounterHandle {
  /** @throws RangeError unless `n` is a non-negative safe integer. */
  decrement(n?: number): void
}

export interface RegisterHandle<T> {
  /** @throws RangeError unless `value` is plain data (JSON-like, bigint, Uint8Array). */
  set(value: T): void
  /** Own last write, or the initial value. */
  readonly local: T
  /** Last writer wins (hybrid logical clock, ties by instance id). */
  readonly global: T
}

export interface MaxRegisterHandle {
  /** Raises the register to `n` if larger. @throws RangeError unless `n` is finite. */
  set(n: number): void
  readonly local: number | undefined
  readonly global: number | undefined
}

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

export interface PerInstanceHandle<T, R> {
  set(value: T): void
  readonly local: T | undefined
  /** The reduction over live instances' values. */
  readonly global: R | undefined
  byInstance(): Map<string, T>
}

export interface DocHandle {
  readonly doc: Y.Doc
}

type FieldHandleOf<S> =
  S extends CounterSpec ? CounterHandle :
  S extends PNCounterSpec ? PNCounterHandle :
  S extends MaxRegisterSpec ? MaxRegisterHandle :
  S extends RegisterSpec<infer T> ? RegisterHandle<T> : never

export type EntryHandles<F extends Record<string, FlowFieldSpec>> = { readonly [K in keyof F]: FieldHandleOf<F[K]> }

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

export type HandleOf<S extends FieldSpec> =
  S extends CounterSpec ? CounterHandle :
  S extends PNCounterSpec ? PNCounterHandle :
  S extends MaxRegisterSpec ? MaxRegisterHandle :
  S extends RegisterSpec<infer T> ? RegisterHandle<T> :
  S extends SetSpec<infer T> ? SetHandle<T> :
  S extends PerInstanceSpec<infer T, infer R> ? PerInstanceHandle<T, R> :
  S extends FlowTableSpec<infer F> ? FlowTableHandle<F> :
  S extends DocSpec ? DocHandle : never

export type StateHandles<F extends SchemaFields> = { readonly [K in keyof F]: HandleOf<F[K]> }

/** Where handles find the replica's own origin number (it is fixed for a replica's lifetime). */
export interface OwnOrigin {
  readonly origin: number
}

export function counterHandle(state: counterType.CounterState, own: OwnOrigin): CounterHandle {
  const origin = own.origin
  return {
    increment: (n = 1) => counterType.increment(state, origin, n),
    get local() { return counterType.localValue(state, origin) },
    get global() { return state.total },
  }
}

export function pnCounterHandle(state: pnCounterType.PNCounterState, own: OwnOrigin): PNCounterHandle {
  const origin = own.origin
  return {
    increment: (n = 1) => pnCounterType.increment(state, origin, n),
    decrement: (n = 1) => pnCounterType.decrement(state, origin, n),
    get local() { return pnCounterType.localValue(state, origin) },
    get global() { return state.total },
  }
}

export function registerHandle<T>(state: registerType.RegisterState<T>, own: OwnOrigin): RegisterHandle<T> {
  const origin = own.origin
  return {
    set(value: T) {
      assertPlainData(value, 'register.set')
      registerType.set(state, origin, value)
    },
    get local() { return registerType.localValue(state, origin) },
    get global() { return registerType.globalValue(state) },
  }
}

export function maxRegisterHandle(state: maxRegisterType.MaxRegisterState, own: OwnOrigin): MaxRegisterHandle {
  const origin = own.origin
  return {
    set: (n: number) => maxRegisterType.set(state, origin, n),
    get local() { return maxRegisterType.localValue(state, origin) },
    get global() { return maxRegisterType.globalValue(state) },
  }
}

export function setHandle<T extends string | number>(state: setType.AWSetState, own: OwnOrigin): SetHandle<T> {
  const origin = own.origin
  return {
    add: (x: T) => setType.add(state, origin, x),
    delete(x: T) {
      const present = setType.has(state, x)
      setType.remove(state, origin, x)
      return present
    },
    has: (x: T) => setType.has(state, x),
    values: () => [...setType.values(state)] as T[],
    get size() { return setType.size(state) },
    get local() { return [...setType.localValues(state, origin)] as T[] },
  }
}

export function perInstanceHandle<T, R>(state: perInstanceType.PerInstanceState<T>, own: OwnOrigin): PerInstanceHandle<T, R> {
  const origin = own.origin
  return {
    set(value: T) {
      assertPlainData(value, 'perInstance.set')
      perInstanceType.set(state, origin, value)
    },
    get local() { return perInstanceType.localValue(state, origin) },
    get global() { return perInstanceType.globalValue(state) as R | undefined },
    byInstance: () => perInstanceType.byInstance(state),
  }
}

export function docHandle(state: DocState): DocHandle {
  return { doc: state.doc }
}

export { flowTableHandle } from './flow-table-handle.js'
