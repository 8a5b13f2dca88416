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
import * as flowTableType from '../crdts/flow-table.js'
import type { DocState } from '../crdts/doc.js'
import type { FieldLayout, FlowKey, FlowTableState } from '../crdts/flow-table.js'
import { assertKey } from '../crdts/validate.js'
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
    set: (value: T) => registerType.set(state, origin, value),
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
    set: (value: T) => perInstanceType.set(state, origin, value),
    get local() { return perInstanceType.localValue(state, origin) },
    get global() { return perInstanceType.globalValue(state) as R | undefined },
    byInstance: () => perInstanceType.byInstance(state),
  }
}

export function docHandle(state: DocState): DocHandle {
  return { doc: state.doc }
}

// ---- flow tables ----

/**
 * Handles of one entry. An entry handle stays valid for as long as the user keeps it: it names
 * its entry by index and key, and re-resolves the key if the entry was dropped and its index
 * reused (after idle expiry).
 */
const REF = Symbol('entry')

class EntryRef {
  constructor(readonly table: FlowTableState, readonly origin: number, public entry: number, readonly key: FlowKey) {}

  /** The current entry index, re-created from the key if the old one was dropped. */
  resolve(): number {
    if (this.table.entryKey[this.entry] !== this.key) this.entry = flowTableType.entryFor(this.table, this.key)
    return this.entry
  }
}

function readGlobal(ref: EntryRef, field: FieldLayout): unknown {
  return ref.table.entryKey[ref.entry] === ref.key ? flowTableType.fieldGlobal(ref.table, ref.entry, field) : emptyValue(field)
}

function readLocal(ref: EntryRef, field: FieldLayout): unknown {
  return ref.table.entryKey[ref.entry] === ref.key ? flowTableType.fieldLocal(ref.table, ref.entry, ref.origin, field) : emptyValue(field)
}

// One class per field kind, methods on the prototype: every handle of a kind shares one shape,
// which keeps the per-packet call sites monomorphic.
class FlowCounterHandle {
  constructor(readonly ref: EntryRef, readonly field: FieldLayout) {}
  increment(n = 1): void {
    flowTableType.incrementField(this.ref.table, this.ref.resolve(), this.ref.origin, this.field, n, 0)
  }
  get local(): number { return readLocal(this.ref, this.field) as number }
  get global(): number { return readGlobal(this.ref, this.field) as number }
}

class FlowPNCounterHandle extends FlowCounterHandle {
  decrement(n = 1): void {
    flowTableType.incrementField(this.ref.table, this.ref.resolve(), this.ref.origin, this.field, n, 1)
  }
}

class FlowMaxRegisterHandle {
  constructor(readonly ref: EntryRef, readonly field: FieldLayout) {}
  set(n: number): void {
    flowTableType.raiseField(this.ref.table, this.ref.resolve(), this.ref.origin, this.field, n)
  }
  get local(): number | undefined { return readLocal(this.ref, this.field) as number | undefined }
  get global(): number | undefined { return readGlobal(this.ref, this.field) as number | undefined }
}

class FlowRegisterHandle {
  constructor(readonly ref: EntryRef, readonly field: FieldLayout) {}
  set(value: unknown): void {
    flowTableType.setField(this.ref.table, this.ref.resolve(), this.ref.origin, this.field, value)
  }
  get local(): unknown { return readLocal(this.ref, this.field) }
  get global(): unknown { return readGlobal(this.ref, this.field) }
}

function flowFieldHandle(ref: EntryRef, field: FieldLayout): object {
  switch (field.kind) {
    case 'counter': return new FlowCounterHandle(ref, field)
    case 'pnCounter': return new FlowPNCounterHandle(ref, field)
    case 'maxRegister': return new FlowMaxRegisterHandle(ref, field)
    case 'register': return new FlowRegisterHandle(ref, field)
  }
}

function emptyValue(field: FieldLayout): unknown {
  return field.kind === 'counter' || field.kind === 'pnCounter' ? 0 : field.kind === 'register' ? field.initial : undefined
}

/**
 * A class per table whose constructor assigns one property per field, so every entry handle of
 * a table has the same hidden class and property reads are inline-cached.
 */
function entryHandleClass(fields: readonly FieldLayout[]): new (ref: EntryRef) => object {
  return class EntryHandles {
    constructor(ref: EntryRef) {
      ;(this as Record<symbol, unknown>)[REF] = ref
      for (const field of fields) (this as Record<string, unknown>)[field.name] = flowFieldHandle(ref, field)
    }
  }
}

export function flowTableHandle<F extends Record<string, FlowFieldSpec>>(table: FlowTableState, own: OwnOrigin): FlowTableHandle<F> {
  const origin = own.origin
  const EntryClass = entryHandleClass(table.fields)
  // Handles live as long as their entry: indexed by entry, created on first use.
  const byEntry: (EntryHandles<F> | undefined)[] = []

  const handlesFor = (entry: number, key: FlowKey): EntryHandles<F> => {
    const cached = byEntry[entry]
    if (cached !== undefined && (cached as unknown as { [REF]: EntryRef })[REF].key === key) return cached
    const handles = new EntryClass(new EntryRef(table, origin, entry, key)) as EntryHandles<F>
    byEntry[entry] = handles
    return handles
  }

  return {
    entry(key: FlowKey) {
      assertKey(key, 'flowTable.entry')
      return handlesFor(flowTableType.entryFor(table, key), key)
    },
    get(key: FlowKey) {
      const entry = flowTableType.lookup(table, key)
      return entry < 0 ? undefined : handlesFor(entry, key)
    },
    has: (key: FlowKey) => flowTableType.lookup(table, key) >= 0,
    delete(key: FlowKey) {
      assertKey(key, 'flowTable.delete')
      return flowTableType.remove(table, origin, key)
    },
    get size() { return flowTableType.size(table) },
    keys: () => [...flowTableType.keys(table)],
    lastSeen(key: FlowKey) {
      const entry = flowTableType.lookup(table, key)
      return entry < 0 ? undefined : flowTableType.lastSeen(table, entry)
    },
    *[Symbol.iterator]() {
      for (const key of [...flowTableType.keys(table)]) {
        const entry = flowTableType.lookup(table, key)
        if (entry >= 0) yield [key, handlesFor(entry, key)] as [FlowKey, EntryHandles<F>]
      }
    },
  }
}

