/**
 * Key interning for flow tables on the wire. A flow key is sent once per origin, as a *binding*
 * `(ordinal, generation) -> key`, and every later change of that origin's cell names the ordinal
 * and generation instead of the key: two small varuints instead of a 5-tuple string.
 *
 * - The owner of a cell binds it when the cell is first stamped: it takes a free ordinal of its
 *   origin (ordinals of dropped cells are reused, so the ordinal space stays as large as the most
 *   cells the origin held at once), bumps that ordinal's generation, and the binding gets a
 *   version of its own, just before the cell's. A binding is a change like any other: it sits in
 *   the origin's log and travels in version order, so a replica that holds an origin through
 *   version v holds every binding of it made at or before v that is still current.
 * - Bindings are kept per origin, apart from the cells: a replica whose expiry sweep dropped a
 *   cell still holds (and forwards) its binding, so the origin's later changes of that cell can
 *   still be read. A binding goes when its ordinal is bound anew or its origin is dropped.
 * - A cell names its binding by ordinal *and* generation, so a copy of a cell whose ordinal was
 *   bound anew since (an old cell still alive somewhere) can never be read under the new key: it
 *   is held back (a gap, the receiver stops its group there) until the sender no longer has it.
 */
import { type Encoder, type Reader, readKey, writeKey, writeVarUint } from './codec.js'
import { DecodeError } from '../src/errors.js'
import type { FlowKey, FlowTableState } from './flow-table.js'

/** One origin's bindings, by ordinal. */
export interface OriginBindings {
  keys: (FlowKey | undefined)[]
  generations: Int32Array
  /** Version of the change that made each binding (0: none). */
  versions: Float64Array
  /** The local cell of each binding, as last resolved here (checked before use). */
  cells: Int32Array
  /** Ordinals handed out so far (the owner's side). */
  next: number
  /** Ordinals of dropped own cells, free for reuse (the owner's side). */
  free: number[]
}

/** A decoded binding: validated, not yet applied. */
export interface BindingDelta {
  ordinal: number
  generation: number
  key: FlowKey
}

export { MISSING_BINDING } from './slot-type.js'

/** Largest ordinal or generation a frame may name. */
const MAX_ORDINAL = 0x7fffffff

function createBindings(capacity = 16): OriginBindings {
  return {
    keys: [], generations: new Int32Array(capacity), versions: new Float64Array(capacity),
    cells: new Int32Array(capacity).fill(-1), next: 0, free: [],
  }
}

function ensureCapacity(bindings: OriginBindings, ordinal: number): void {
  if (ordinal < bindings.versions.length) return
  let capacity = bindings.versions.length * 2
  while (capacity <= ordinal) capacity *= 2
  const generations = new Int32Array(capacity)
  generations.set(bindings.generations)
  const versions = new Float64Array(capacity)
  versions.set(bindings.versions)
  const cells = new Int32Array(capacity).fill(-1)
  cells.set(bindings.cells)
  bindings.generations = generations
  bindings.versions = versions
  bindings.cells = cells
}

function bindingsOf(state: FlowTableState, origin: number): OriginBindings {
  let bindings = state.bindings[origin]
  if (!bindings) state.bindings[origin] = bindings = createBindings()
  return bindings
}

/** Whether an own cell still needs a binding before its first stamp. */
export function needsBinding(state: FlowTableState, cell: number): boolean {
  return state.cellOrdinal[cell]! < 0
}

/** Binds an own cell of `origin` at `version` (the binding's own version); returns its ordinal. */
export function bindCell(state: FlowTableState, origin: number, cell: number, version: number): number {
  const bindings = bindingsOf(state, origin)
  state.ownedOrigins.add(origin)
  const ordinal = bindings.free.pop() ?? bindings.next++
  ensureCapacity(bindings, ordinal)
  const generation = bindings.generations[ordinal]! + 1
  const key = state.entryKey[state.cellEntry[cell]!]!
  bindings.keys[ordinal] = key
  bindings.generations[ordinal] = generation
  bindings.versions[ordinal] = version
  bindings.cells[ordinal] = cell
  state.cellOrdinal[cell] = ordinal
  state.cellGeneration[cell] = generation
  return ordinal
}

/**
 * A cell is gone here: an own cell's ordinal becomes free for reuse. (A peer's cell leaves its
 * binding in place: the peer may still write that cell.)
 */
export function releaseOrdinal(state: FlowTableState, cell: number): void {
  const ordinal = state.cellOrdinal[cell]!
  if (ordinal < 0) return
  const bindings = state.bindings[state.cellOrigin[cell]!]
  if (bindings && bindings.generations[ordinal] === state.cellGeneration[cell] && state.ownedOrigins.has(state.cellOrigin[cell]!)) {
    bindings.free.push(ordinal)
  }
  state.cellOrdinal[cell] = -1
}

/** Version of the change that made the binding now held for `ordinal` of `origin` (0: none). */
export function bindingVersion(state: FlowTableState, origin: number, ordinal: number): number {
  const bindings = state.bindings[origin]
  return bindings && ordinal < bindings.versions.length ? bindings.versions[ordinal]! : 0
}

export function encodeBinding(encoder: Encoder, state: FlowTableState, origin: number, ordinal: number): void {
  const bindings = state.bindings[origin]!
  writeVarUint(encoder, ordinal)
  writeVarUint(encoder, bindings.generations[ordinal]!)
  writeKey(encoder, bindings.keys[ordinal]!)
}

export function decodeBinding(reader: Reader): BindingDelta {
  const ordinal = reader.varUint('binding ordinal')
  if (ordinal > MAX_ORDINAL) throw new DecodeError(`binding ordinal ${ordinal} is out of range`)
  const generation = reader.varUint('binding generation')
  if (generation === 0 || generation > MAX_ORDINAL) throw new DecodeError(`binding generation ${generation} is out of range`)
  const key = readKey(reader, 'flow key')
  if (typeof key === 'number' && !Number.isSafeInteger(key)) throw new DecodeError(`flow key ${key} is not a safe integer`)
  return { ordinal, generation, key }
}

/** Joins a binding made at `version`; returns its ordinal, or -1 when a newer one is held. */
export function applyBinding(state: FlowTableState, origin: number, version: number, delta: BindingDelta): number {
  const bindings = bindingsOf(state, origin)
  ensureCapacity(bindings, delta.ordinal)
  if (bindings.versions[delta.ordinal]! >= version) return -1
  bindings.keys[delta.ordinal] = delta.key
  bindings.generations[delta.ordinal] = delta.generation
  bindings.versions[delta.ordinal] = version
  bindings.cells[delta.ordinal] = -1
  return delta.ordinal
}

/**
 * The key a cell of `origin` names by ordinal and generation, or undefined when that binding is
 * not held here.
 */
export function boundKey(state: FlowTableState, origin: number, ordinal: number, generation: number): FlowKey | undefined {
  const bindings = state.bindings[origin]
  if (!bindings || ordinal >= bindings.versions.length || bindings.generations[ordinal] !== generation) return undefined
  return bindings.keys[ordinal]
}

/**
 * The local cell of `origin`'s binding (ordinal, generation) as last resolved here, or -1 when
 * unknown. A cell names one binding for its whole life (a freed cell forgets it), so a cell that
 * still names this binding is the one.
 */
export function cachedCell(state: FlowTableState, origin: number, ordinal: number, generation: number): number {
  const cell = state.bindings[origin]!.cells[ordinal]!
  return cell >= 0 && cell < state.cellCount && state.cellOrdinal[cell] === ordinal && state.cellGeneration[cell] === generation
    && state.cellOrigin[cell] === origin ? cell : -1
}

/** Remembers the local cell of a binding. */
export function cacheCell(state: FlowTableState, origin: number, ordinal: number, cell: number): void {
  state.bindings[origin]!.cells[ordinal] = cell
}

/** Forgets every binding of a dropped origin. */
export function dropBindings(state: FlowTableState, origin: number): void {
  state.bindings[origin] = undefined
  state.ownedOrigins.delete(origin)
}
