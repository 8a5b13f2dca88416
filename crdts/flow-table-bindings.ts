/**
 * Key interning for flow tables on the wire. A flow key is sent once per origin, as a *binding*
 * `(ordinal, generation) -> key`, and every later change of that origin's cell names the ordinal
 * (and generation) instead of the key: one to three bytes instead of a 5-tuple string.
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
 *   bound anew since (an old cell still alive somewhere) can never be read under the new key. A
 *   holder that no longer holds a cell's binding, or holds one made after the cell (only a forged
 *   frame does that), sends the cell with its key. A cell naming a binding the receiver does not
 *   hold is not applied: the receiver stops its group there (MISSING_BINDING).
 */
import { type Encoder, PACKED_KEY_TAG, type Reader, readKey, writeKey, writeVarUint } from './codec.js'
import { DecodeError } from '../src/errors.js'
import { MISSING_BINDING } from './slot-type.js'
import type { FlowKey, FlowTableState } from './flow-table.js'
import {
  LINKS, LINK_ENTRY, grownCapacity, LINK_GENERATION, LINK_ORDINAL, LINK_ORIGIN, lifeOf,
} from './flow-table.js'
import { PACKED_FIVE_TUPLE_BYTES, packFiveTuple, storePacked, unpackFiveTuple, writePackedKey } from './five-tuple.js'
import { MAX_NARROW, type UintColumn, grownColumn, uintColumn, widened } from './uint-column.js'

/** One origin's bindings, by ordinal. */
export interface OriginBindings {
  /**
   * Each binding's key, or `null`/absent when it is a 5-tuple kept packed in `packed` (13 bytes
   * per ordinal). Packed keys are never written here, so an origin whose keys all arrive packed
   * keeps this array empty (`keyOfOrdinal` reads it).
   */
  keys: (FlowKey | null | undefined)[]
  /** Packed 5-tuple keys by ordinal (empty until the origin's first). */
  packed: Uint8Array
  /**
   * Two numbers per ordinal, read together when a cell arrives: the binding's generation (0:
   * none), and the local cell it last resolved to here (-1: none; checked before use).
   */
  slots: Int32Array
  /** Version of the change that made each binding (0: none). */
  versions: UintColumn
  /** Life of the cell when it was bound: a cell still in that life sends no life of its own. */
  lives: UintColumn
  /** Ordinals handed out so far (the owner's side). */
  next: number
  /** Ordinals of dropped own cells, free for reuse (the owner's side). */
  free: number[]
}

/**
 * A flow key read from a frame: the key, or `null` for a packed 5-tuple left in the frame's bytes
 * (`bytes` at `at`), which is then hashed, compared and kept without making its string.
 */
export interface KeyRef {
  key: FlowKey | null
  bytes: Uint8Array | null
  at: number
}

/** A decoded binding: validated, not yet applied. */
export interface BindingDelta extends KeyRef {
  ordinal: number
  generation: number
  life: number
}

export { MISSING_BINDING }

/** Largest ordinal or generation a frame may name. */
const MAX_ORDINAL = 0x7fffffff

/** An ordinal read from a frame (validated). */
export function readOrdinal(reader: Reader, what: string): number {
  const ordinal = reader.varUint(what)
  if (ordinal > MAX_ORDINAL) throw new DecodeError(`${what} ${ordinal} is out of range`)
  return ordinal
}

/** A generation read from a frame (validated: bound generations start at 1). */
export function readGeneration(reader: Reader, what: string): number {
  const generation = reader.varUint(what)
  if (generation === 0 || generation > MAX_ORDINAL) throw new DecodeError(`${what} ${generation} is out of range`)
  return generation
}

/** A flow key read from a frame (an integer key must be safe). */
export function readFlowKey(reader: Reader): FlowKey {
  const key = readKey(reader, 'flow key')
  if (typeof key === 'number' && !Number.isSafeInteger(key)) throw new DecodeError(`flow key ${key} is not a safe integer`)
  return key
}

/** The key a `KeyRef` names (a packed one made into its string). */
export function keyOfRef(ref: KeyRef): FlowKey {
  return ref.key ?? unpackFiveTuple(ref.bytes!, ref.at)
}

/** Reads a flow key into `into`; a packed 5-tuple is left where it is in the frame. */
export function readFlowKeyRef(reader: Reader, into: KeyRef): void {
  if (reader.remaining > 0 && reader.bytes[reader.position] === PACKED_KEY_TAG) {
    reader.u8('flow key')
    into.key = null
    into.at = reader.skip(PACKED_FIVE_TUPLE_BYTES, 'flow key')
    into.bytes = reader.bytes
    return
  }
  into.key = readFlowKey(reader)
  into.bytes = null
  into.at = 0
}

function createBindings(capacity = 16): OriginBindings {
  return {
    keys: [], packed: new Uint8Array(0), slots: newSlots(capacity), versions: uintColumn(capacity), lives: uintColumn(capacity), next: 0, free: [],
  }
}

function ensureCapacity(bindings: OriginBindings, ordinal: number): void {
  if (ordinal < bindings.versions.length) return
  let capacity = grownCapacity(bindings.versions.length)
  while (capacity <= ordinal) capacity = grownCapacity(capacity)
  const slots = newSlots(capacity)
  slots.set(bindings.slots)
  bindings.slots = slots
  bindings.versions = grownColumn(bindings.versions, capacity)
  bindings.lives = grownColumn(bindings.lives, capacity)
}

/**
 * Records a binding's key: a packed one in `packed`, and a string key that is a 5-tuple packed
 * there too (once, when bound: every frame that carries the binding, a joiner's catch-up among
 * them, then copies its 13 bytes instead of scanning the string again); any other in `keys`.
 */
function setKey(bindings: OriginBindings, ordinal: number, key: FlowKey | null, bytes: Uint8Array | null, at: number): void {
  if (key === null) bindings.packed = storePacked(bindings.packed, ordinal, bindings.versions.length, bytes!, at)
  else if (typeof key !== 'string' || !packInto(bindings, ordinal, key)) {
    bindings.keys[ordinal] = key
    return
  }
  // Only a key held before under this ordinal needs clearing; an absent one reads as packed.
  if (ordinal < bindings.keys.length) bindings.keys[ordinal] = null
}

/** Where `packInto` packs a key before storing it. */
const packing = new Uint8Array(PACKED_FIVE_TUPLE_BYTES)

/** Stores `key` packed at `ordinal` when it is a 5-tuple (else leaves `packed` as it is). */
function packInto(bindings: OriginBindings, ordinal: number, key: string): boolean {
  if (!packFiveTuple(key, packing, 0)) return false
  bindings.packed = storePacked(bindings.packed, ordinal, bindings.versions.length, packing, 0)
  return true
}

/** A held binding's key: `null` when it is packed in `packed`. */
function keyOfOrdinal(bindings: OriginBindings, ordinal: number): FlowKey | null {
  return bindings.keys[ordinal] ?? null
}

function setNumbers(bindings: OriginBindings, ordinal: number, version: number, life: number): void {
  if (version > MAX_NARROW) bindings.versions = widened(bindings.versions)
  if (life > MAX_NARROW) bindings.lives = widened(bindings.lives)
  bindings.versions[ordinal] = version
  bindings.lives[ordinal] = life
}

function newSlots(ordinals: number): Int32Array {
  const slots = new Int32Array(2 * ordinals)
  for (let ordinal = 0; ordinal < ordinals; ordinal++) slots[2 * ordinal + 1] = -1
  return slots
}

function bindingsOf(state: FlowTableState, origin: number): OriginBindings {
  let bindings = state.bindings[origin]
  if (!bindings) state.bindings[origin] = bindings = createBindings()
  return bindings
}

/** Room for `count` bindings of `origin` (ordinals below it), before a large batch of them. */
export function reserveBindings(state: FlowTableState, origin: number, count: number): void {
  if (count > 0) ensureCapacity(bindingsOf(state, origin), count - 1)
}

/** Whether an own cell still needs a binding before its first stamp. */
export function needsBinding(state: FlowTableState, cell: number): boolean {
  return state.links[cell * LINKS + LINK_ORDINAL]! < 0
}

/** Binds an own cell of `origin` at `version` (the binding's own version); returns its ordinal. */
export function bindCell(state: FlowTableState, origin: number, cell: number, version: number): number {
  const bindings = bindingsOf(state, origin)
  state.ownedOrigins.add(origin)
  const ordinal = bindings.free.pop() ?? bindings.next++
  ensureCapacity(bindings, ordinal)
  const generation = bindings.slots[2 * ordinal]! + 1
  const entry = state.links[cell * LINKS + LINK_ENTRY]!
  const key = state.entryKey[entry]!
  setKey(bindings, ordinal, key, state.keyIndex.packedKeys, key === null ? state.keyIndex.packedAt(entry) : 0)
  bindings.slots[2 * ordinal] = generation
  bindings.slots[2 * ordinal + 1] = cell
  setNumbers(bindings, ordinal, version, lifeOf(state, cell))
  state.links[cell * LINKS + LINK_ORDINAL] = ordinal
  state.links[cell * LINKS + LINK_GENERATION] = generation
  return ordinal
}

/**
 * A cell is gone here: an own cell's ordinal becomes free for reuse. (A peer's cell leaves its
 * binding in place: the peer may still write that cell.)
 */
export function releaseOrdinal(state: FlowTableState, cell: number): void {
  const ordinal = state.links[cell * LINKS + LINK_ORDINAL]!
  if (ordinal < 0) return
  const bindings = state.bindings[state.links[cell * LINKS + LINK_ORIGIN]!]
  if (bindings && bindings.slots[2 * ordinal] === state.links[cell * LINKS + LINK_GENERATION] && state.ownedOrigins.has(state.links[cell * LINKS + LINK_ORIGIN]!)) {
    bindings.free.push(ordinal)
  }
  state.links[cell * LINKS + LINK_ORDINAL] = -1
}

/** Version of the change that made the binding now held for `ordinal` of `origin` (0: none). */
export function bindingVersion(state: FlowTableState, origin: number, ordinal: number): number {
  const bindings = state.bindings[origin]
  return bindings && ordinal < bindings.versions.length ? bindings.versions[ordinal]! : 0
}

export function encodeBinding(encoder: Encoder, state: FlowTableState, origin: number, ordinal: number): void {
  const bindings = state.bindings[origin]!
  writeVarUint(encoder, ordinal)
  writeVarUint(encoder, bindings.slots[2 * ordinal]!)
  writeVarUint(encoder, bindings.lives[ordinal]!)
  const key = keyOfOrdinal(bindings, ordinal)
  if (key === null) writePackedKey(encoder, bindings.packed, ordinal * PACKED_FIVE_TUPLE_BYTES, PACKED_KEY_TAG)
  else writeKey(encoder, key)
}

/** Decodes a binding; with `into` (a binding decoded before, no longer needed), into it. */
export function decodeBinding(reader: Reader, into?: BindingDelta): BindingDelta {
  const ordinal = readOrdinal(reader, 'binding ordinal')
  const generation = readGeneration(reader, 'binding generation')
  const life = reader.varUint('binding life')
  let delta: BindingDelta
  if (into === undefined) delta = { ordinal, generation, life, key: null, bytes: null, at: 0 }
  else {
    delta = into
    delta.ordinal = ordinal
    delta.generation = generation
    delta.life = life
  }
  readFlowKeyRef(reader, delta)
  return delta
}

/** Joins a binding made at `version`; returns its ordinal, or -1 when a newer one is held. */
export function applyBinding(state: FlowTableState, origin: number, version: number, delta: BindingDelta): number {
  const bindings = bindingsOf(state, origin)
  ensureCapacity(bindings, delta.ordinal)
  if (bindings.versions[delta.ordinal]! >= version) return -1
  setKey(bindings, delta.ordinal, delta.key, delta.bytes, delta.at)
  bindings.slots[2 * delta.ordinal] = delta.generation
  bindings.slots[2 * delta.ordinal + 1] = -1
  setNumbers(bindings, delta.ordinal, version, delta.life)
  return delta.ordinal
}

/**
 * Where a cell of `origin` naming binding (ordinal, generation) goes here: the local cell it last
 * resolved to (>= 0), -1 when the binding is held but its cell must be found by key (`boundKey`),
 * or MISSING_BINDING when the binding is not held. A cell names one binding for its whole life (a
 * freed cell forgets it), so a cell that still names this binding is the one.
 */
export function resolveCell(state: FlowTableState, origin: number, ordinal: number, generation: number): number {
  const bindings = state.bindings[origin]
  if (!bindings || ordinal >= bindings.versions.length || bindings.slots[2 * ordinal] !== generation) return MISSING_BINDING
  const cell = bindings.slots[2 * ordinal + 1]!
  const links = cell * LINKS
  return cell >= 0 && cell < state.cellCount && state.links[links + LINK_ORDINAL] === ordinal
    && state.links[links + LINK_GENERATION] === generation && state.links[links + LINK_ORIGIN] === origin ? cell : -1
}

/** The key of a binding `resolveCell` found held, into `into` (a packed one as its bytes in the bindings). */
export function boundKey(state: FlowTableState, origin: number, ordinal: number, into: KeyRef): void {
  const bindings = state.bindings[origin]!
  const key = keyOfOrdinal(bindings, ordinal)
  into.key = key
  into.bytes = key === null ? bindings.packed : null
  into.at = key === null ? ordinal * PACKED_FIVE_TUPLE_BYTES : 0
}

/**
 * The life recorded with binding (ordinal, generation) of `origin`, or -1 when that binding is
 * not held, or (with `before`) when it was made at or after version `before`: a receiver of the
 * cell at that version may then not hold the binding yet (an owner binds before it stamps; only a
 * forged frame makes it the other way round), so the cell is sent with its key.
 */
export function boundLife(state: FlowTableState, origin: number, ordinal: number, generation: number, before = Infinity): number {
  const bindings = state.bindings[origin]
  if (!bindings || ordinal < 0 || ordinal >= bindings.versions.length || bindings.slots[2 * ordinal] !== generation) return -1
  return before === Infinity || bindings.versions[ordinal]! < before ? bindings.lives[ordinal]! : -1
}

/** The life recorded with a binding of `origin` that `resolveCell` found held (it checked the generation). */
export function heldLife(state: FlowTableState, origin: number, ordinal: number): number {
  return state.bindings[origin]!.lives[ordinal]!
}

/** Remembers the local cell of a binding. */
export function cacheCell(state: FlowTableState, origin: number, ordinal: number, cell: number): void {
  state.bindings[origin]!.slots[2 * ordinal + 1] = cell
}

/** Forgets every binding of a dropped origin. */
export function dropBindings(state: FlowTableState, origin: number): void {
  state.bindings[origin] = undefined
  state.ownedOrigins.delete(origin)
}

/** The ordinal (-1: not bound yet) and generation of a cell's binding. */
export function cellBindingOf(state: FlowTableState, cell: number): { ordinal: number; generation: number } {
  return { ordinal: state.links[cell * LINKS + LINK_ORDINAL]!, generation: state.links[cell * LINKS + LINK_GENERATION]! }
}
