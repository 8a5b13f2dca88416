/**
 * Declaring state: builders for every state type and `defineState`, which checks a declaration
 * and fingerprints it so that replicas with different declarations refuse each other's frames.
 */
import type { Reduce } from '../crdts/per-instance.js'
import { fnv1a32String } from '../crdts/hash.js'
import { SchemaError } from './errors.js'

export interface CounterSpec { readonly kind: 'counter' }
export interface PNCounterSpec { readonly kind: 'pnCounter' }
export interface RegisterSpec<T> { readonly kind: 'register'; readonly initial: T | undefined }
export interface MaxRegisterSpec { readonly kind: 'maxRegister' }
export interface SetSpec<T extends string | number> { readonly kind: 'set'; readonly element?: T }
export interface PerInstanceSpec<T, R> { readonly kind: 'perInstance'; readonly reduce: Reduce<T, R> }
export interface DocSpec { readonly kind: 'doc' }

/** Field types allowed inside a flow table entry. */
export type FlowFieldSpec = CounterSpec | PNCounterSpec | RegisterSpec<any> | MaxRegisterSpec

export interface FlowTableSpec<F extends Record<string, FlowFieldSpec>> {
  readonly kind: 'flowTable'
  readonly fields: F
  readonly idleTimeoutMs: number | undefined
}

/* eslint-disable @typescript-eslint/no-explicit-any -- a declaration may hold any value types */
export type FieldSpec =
  | CounterSpec | PNCounterSpec | RegisterSpec<any> | MaxRegisterSpec | SetSpec<any>
  | PerInstanceSpec<any, any> | FlowTableSpec<Record<string, FlowFieldSpec>> | DocSpec

export type SchemaFields = Record<string, FieldSpec>

/** A validated state declaration. `fingerprint` identifies it on the wire. */
export interface Schema<F extends SchemaFields = SchemaFields> {
  readonly fields: F
  /** Field names in the order used on the wire and in snapshots (sorted). */
  readonly names: readonly string[]
  readonly fingerprint: number
  /** The canonical text the fingerprint hashes (for diagnostics). */
  readonly canonical: string
}

/** Grow-only counter: `increment(n)`; local = own total, global = sum over all instances ever. */
export function counter(): CounterSpec {
  return { kind: 'counter' }
}

/** Counter that also decrements: `increment(n)`, `decrement(n)`. */
export function pnCounter(): PNCounterSpec {
  return { kind: 'pnCounter' }
}

/** Last-writer-wins register (hybrid logical clock, ties by instance id); `initial` until written. */
export function register<T>(initial?: T): RegisterSpec<T> {
  return { kind: 'register', initial }
}

/** Register that keeps the maximum number ever set. */
export function maxRegister(): MaxRegisterSpec {
  return { kind: 'maxRegister' }
}

/** Add-wins observed-remove set of strings or non-negative safe integers. */
export function set<T extends string | number>(): SetSpec<T> {
  return { kind: 'set' }
}

const BUILTIN_REDUCES = new Set(['latest', 'sum', 'avg', 'min', 'max'])

/**
 * One value per instance; the global view reduces the live instances' values.
 * @throws SchemaError for an unknown reduce.
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

/** A Yjs document (`Y.Doc`), for ordered or structured state such as a rule list. */
export function doc(): DocSpec {
  return { kind: 'doc' }
}

const KINDS = new Set(['counter', 'pnCounter', 'register', 'maxRegister', 'set', 'perInstance', 'flowTable', 'doc'])

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
    default:
      return spec.kind
  }
}

/**
 * Declares the state of a network function. Field names are sorted for the wire, so the order
 * of declaration does not matter; the fingerprint covers names, types and their options.
 * @throws SchemaError for an empty declaration, a non-builder value, or a reserved name.
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
