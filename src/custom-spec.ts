/**
 * Declaring a user-defined state type: `custom(definition)`, a field builder like `counter()`.
 * The contract a definition must meet is written on `CustomTypeDefinition`; the testing kit's
 * `checkLaws` checks it.
 */
import type { ByteReader, ByteWriter } from '../crdts/custom-codec.js'
import type { WriteContext } from '../crdts/custom.js'
import { SchemaError } from './errors.js'

/**
 * The writes of a custom type: each changes `context.own` in place and takes any arguments
 * after the context; `replica.state.<field>.<name>(...args)` calls it.
 * @typeParam S - the type's state.
 * @example
 * ```ts
 * import type { CustomWrites, WriteContext } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const writes = {
 *   add({ own }, port: number) {
 *     if (own.has(port)) return false   // nothing changed: nothing to send
 *     own.add(port)
 *   },
 * } satisfies CustomWrites<Set<number>>
 * const own = new Set<number>()
 * const context = { own, merged: own, origin: 'a#1', id: 'a', now: () => 0 } satisfies WriteContext<Set<number>>
 * assert.equal(writes.add(context, 443), undefined)
 * assert.equal(writes.add(context, 443), false)
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a write may take any arguments
export type CustomWrites<S> = Record<string, (context: WriteContext<S>, ...args: any[]) => boolean | void>

/**
 * A user-defined state type: a join-semilattice with writes, views and a byte encoding.
 *
 * Each instance owns its **contribution**: the state its own writes built from `empty()`.
 * Contributions replicate like every built-in type's slots (versioned, gossiped, persisted);
 * a replica's **merged** state is the join of every contribution it holds. The global view is
 * `global(merged)`, the local view `local(own contribution)`.
 *
 * The contract (`checkLaws` from `elastic-state/testing` checks every point):
 * - `join` is commutative, associative and idempotent, `empty()` is its identity, and it
 *   returns a new state or one of its arguments unchanged: it never modifies them.
 * - A write only inflates `context.own` (`join(before, after)` equals `after`), validates its
 *   arguments before changing anything (throw a `RangeError`), and returns `false` only when
 *   it changed nothing (then nothing is versioned or sent).
 * - `decode(encode(s))` equals `s`, and `decode` of any bytes returns a state or throws
 *   `DecodeError` (the reader's reads do; throw one yourself for values you reject). Whatever
 *   `decode` accepts, `join` and the views accept too.
 * - Views only read their argument.
 *
 * @typeParam S - the state: an object the writes change in place (a `Map`, `Set`, array, class or plain object).
 * @typeParam W - the writes.
 * @typeParam G - the global view.
 * @typeParam L - the local view.
 * @example
 * ```ts
 * import { custom, type CustomTypeDefinition, type CustomWrites } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * // Highest value per writer; the global view is the highest overall.
 * type Peaks = Map<string, number>
 * const writes = {
 *   raise({ own, origin }, value: number) {
 *     if (!Number.isFinite(value)) throw new RangeError(`raise takes a finite number, got ${value}`)
 *     if ((own.get(origin) ?? -Infinity) >= value) return false
 *     own.set(origin, value)
 *   },
 * } satisfies CustomWrites<Peaks>
 * const definition: CustomTypeDefinition<Peaks, typeof writes, number> = {
 *   name: 'peaks',
 *   empty: () => new Map(),
 *   join(a, b) {
 *     const joined = new Map(a)
 *     for (const [origin, value] of b) joined.set(origin, Math.max(value, joined.get(origin) ?? -Infinity))
 *     return joined
 *   },
 *   writes,
 *   global: (peaks) => Math.max(-Infinity, ...peaks.values()),
 *   encode(writer, peaks) {
 *     writer.varUint(peaks.size)
 *     for (const [origin, value] of peaks) { writer.string(origin); writer.float64(value) }
 *   },
 *   decode(reader) {
 *     const peaks: Peaks = new Map()
 *     const count = reader.count(reader.remaining, 'peak count')
 *     for (let i = 0; i < count; i++) peaks.set(reader.string('origin'), reader.float64('peak'))
 *     return peaks
 *   },
 * }
 * assert.equal(custom(definition).kind, 'custom')
 * ```
 */
export interface CustomTypeDefinition<S, W extends CustomWrites<S> = CustomWrites<S>, G = S, L = G> {
  /**
   * Identifies the type in the schema fingerprint: replicas whose declarations name different
   * types refuse each other. Change it (`'peaks/2'`) whenever the encoding or the semantics change.
   */
  readonly name: string
  /** A new, empty state (the join's identity). Called for every new contribution. */
  empty(): S
  /** The least upper bound of two states. Must not modify `a` or `b`. */
  join(a: S, b: S): S
  /** The operations `replica.state.<field>` offers, by name (not `local` or `global`). */
  readonly writes: W
  /** Writes `state` (only reads it). */
  encode(writer: ByteWriter, state: S): void
  /**
   * Reads a state written by `encode`, from bytes that may come from anyone: validate what you
   * read and throw a `DecodeError` for what you reject. Must consume every byte.
   */
  decode(reader: ByteReader): S
  /** The global view of the merged state. Default: the merged state itself. */
  global?(merged: S): G
  /** The local view of this instance's contribution. Default: `global` of it. */
  local?(own: S): L
  /**
   * The field in `replica.snapshot()`, as plain data equal on replicas holding the same
   * contributions. Default: the global view with Maps as sorted `[key, value]` lists, Sets as
   * sorted arrays and objects' keys sorted.
   */
  snapshot?(merged: S): unknown
  /**
   * Whether two states are the same, for `checkLaws`. Default: structural equality (Map and Set
   * contents regardless of insertion order). Give one when states hold caches or lazily built parts.
   */
  equals?(a: S, b: S): boolean
}

/**
 * A declared custom field: what `custom(definition)` returns, for `defineState`.
 * @example
 * ```ts
 * import { custom, defineState, type CustomSpec } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const seen = custom({
 *   name: 'seen',
 *   empty: () => new Set<string>(),
 *   join: (a, b) => new Set([...a, ...b]),
 *   writes: { see({ own }, name: string) { own.add(name) } },
 *   global: (names) => names.size,
 *   encode(writer, names) { writer.value([...names]) },
 *   decode(reader) { return new Set(reader.value('names') as string[]) },
 * })
 * const spec: CustomSpec<Set<string>, typeof seen.definition.writes, number> = seen
 * assert.equal(spec.name, 'seen')
 * assert.equal(defineState({ seen }).canonical, '"seen":custom("seen")')
 * ```
 */
export interface CustomSpec<S = unknown, W extends CustomWrites<S> = CustomWrites<S>, G = S, L = G> {
  readonly kind: 'custom'
  readonly name: string
  readonly definition: CustomTypeDefinition<S, W, G, L>
}

const RESERVED_WRITES = new Set(['local', 'global', 'constructor', '__proto__', 'prototype'])

function requireFunction(value: unknown, what: string): void {
  if (typeof value !== 'function') throw new SchemaError(`custom type: ${what} must be a function, got ${value === null ? 'null' : typeof value}`)
}

/**
 * Declares a field of a user-defined type. The runtime versions, gossips, persists and snapshots
 * it like a built-in type; `replica.state.<field>` offers the type's writes as methods and its
 * views as `.local` and `.global`. See `CustomTypeDefinition` for the contract, and
 * docs/custom-types.md for a guide.
 * @throws SchemaError naming the member that is missing or of the wrong kind, or a write named
 * `local` or `global`.
 * @example
 * ```ts
 * import { custom, defineState } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 *
 * // A grow-only set of names; the global view is how many there are.
 * const names = custom({
 *   name: 'names',
 *   empty: () => new Set<string>(),
 *   join: (a, b) => new Set([...a, ...b]),
 *   writes: {
 *     add({ own }, name: string) {
 *       if (own.has(name)) return false
 *       own.add(name)
 *     },
 *   },
 *   global: (all) => all.size,
 *   encode(writer, all) { writer.varUint(all.size); for (const name of all) writer.string(name) },
 *   decode(reader) {
 *     const all = new Set<string>()
 *     const count = reader.count(reader.remaining, 'name count')
 *     for (let i = 0; i < count; i++) all.add(reader.string('name'))
 *     return all
 *   },
 * })
 * const State = defineState({ names })
 * const sim = createSimulation({ seed: 3 })
 * const a = sim.spawn(State, { id: 'a' })
 * const b = sim.spawn(State, { id: 'b' })
 * a.state.names.add('x')
 * b.state.names.add('x')
 * b.state.names.add('y')
 * sim.runUntilConverged()
 * assert.equal(a.state.names.global, 2)
 * assert.equal(a.state.names.local, 1)
 * ```
 */
export function custom<S, W extends CustomWrites<S>, G = S, L = G>(definition: CustomTypeDefinition<S, W, G, L>): CustomSpec<S, W, G, L> {
  if (!definition || typeof definition !== 'object') throw new SchemaError('custom takes a definition object')
  const { name, writes } = definition
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new SchemaError(`custom type: name must be a non-empty string of at most 200 characters, got ${JSON.stringify(name) ?? String(name)}`)
  }
  for (const member of ['empty', 'join', 'encode', 'decode'] as const) requireFunction(definition[member], `${JSON.stringify(name)}.${member}`)
  for (const member of ['global', 'local', 'snapshot', 'equals'] as const) {
    if (definition[member] !== undefined) requireFunction(definition[member], `${JSON.stringify(name)}.${member}`)
  }
  if (!writes || typeof writes !== 'object') throw new SchemaError(`custom type ${JSON.stringify(name)}: writes must be an object of functions`)
  const writeNames = Object.keys(writes)
  if (writeNames.length === 0) throw new SchemaError(`custom type ${JSON.stringify(name)} needs at least one write`)
  for (const writeName of writeNames) {
    if (RESERVED_WRITES.has(writeName)) throw new SchemaError(`custom type ${JSON.stringify(name)}: a write cannot be named ${JSON.stringify(writeName)}`)
    requireFunction(writes[writeName], `${JSON.stringify(name)}.writes.${writeName}`)
  }
  return Object.freeze({ kind: 'custom', name, definition })
}
