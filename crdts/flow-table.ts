/**
 * Flow table: a map from flow keys to entries of small per-entry CRDTs (counters, PN-counters,
 * max registers, LWW registers), with observed-remove delete and optional idle expiry. Built as
 * an OR-Map of embedded CRDTs (Shapiro et al., 2011; Baquero et al., "The problem with embedded
 * CRDT counters and a solution", PaPoC 2016) on flat columns, so a per-packet write touches a
 * few typed-array elements and allocates nothing.
 *
 * Each entry has one *cell* per origin that wrote or deleted it. A cell holds the origin's
 * contributions to every field, the `life` of those contributions, the version of its last
 * field write, the time of its last write, and the deletions it performed: for every other
 * origin's cell it observed, a *base* (that cell's life, write version and counter values).
 *
 * - A cell is covered when some deletion's base has its life and a write version at least its
 *   own: everything it wrote was observed removed. An entry exists while some cell is not
 *   covered (so a write concurrent with a delete keeps the entry: add-wins).
 * - Counters of a visible cell count from their base: a delete subtracts exactly what it saw.
 * - When an owner writes a cell it sees covered, it starts a new life at zero.
 * - Idle expiry: an entry not written by anyone for `idleTimeoutMs` (by this replica's clock) is
 *   hidden; the next write to it first deletes what it sees (a new life starts), and after a
 *   further `gcGraceMs` its cells are dropped from memory.
 */
import type { DirtySink, TypeContext } from './slot-type.js'
import { compareTimestamps } from './hlc.js'
import { assertCount, assertFiniteNumber, assertTotal } from './validate.js'
import { type OriginBindings, releaseOrdinal } from './flow-table-bindings.js'
import { KeyIndex, hashKey } from './key-index.js'
import { type Encoder, PACKED_KEY_TAG, writeKey } from './codec.js'
import { writePackedKey } from './five-tuple.js'
import { MAX_NARROW, type UintColumn, grownColumn, uintColumn, widened } from './uint-column.js'

/**
 * A flow table key: a string (such as `flowKey(...)` makes) or a non-negative safe integer (a flow id you already have). `7` and `'7'` are different keys.
 * @example
 * ```ts
 * import { counter, flowTable, defineState, createReplica, type FlowKey } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ flows: flowTable({ fields: { packets: counter() } }) }), { id: 'solo' })
 * const keys: FlowKey[] = [7, '7']
 * for (const key of keys) replica.state.flows.entry(key).packets.increment()
 * assert.equal(replica.state.flows.size, 2)
 * ```
 */
export type FlowKey = string | number
export type FlowFieldKind = 'counter' | 'pnCounter' | 'maxRegister' | 'register'

export interface FlowFieldSpec {
  kind: FlowFieldKind
  /** Initial value of a register field. */
  initial?: unknown
}

export interface FlowTableConfig {
  fields: Record<string, FlowFieldSpec>
  idleTimeoutMs?: number
  /** How long an expired entry's cells stay in memory before they are dropped (default: idleTimeoutMs). */
  gcGraceMs?: number
}

/** Column layout of one field inside a cell row. */
export interface FieldLayout {
  readonly name: string
  readonly kind: FlowFieldKind
  /** First numeric column. counter: [count]; pnCounter: [inc, dec]; maxRegister: [value]; register: [wallMs, logical]. */
  readonly offset: number
  /** Object column of a register's value, else -1. */
  readonly objectOffset: number
  readonly initial: unknown
  /** `lastSeen` declared as a maxRegister: reads and raises the cell's last-write time. */
  readonly isLastSeen: boolean
  /** `field <name>`, for decode errors (made once: decoding a cell builds no strings). */
  readonly label: string
}

export const DIRTY = 1
/** Fields written since the last stamp. */
export const WRITTEN = 2
/** The cell has field writes in its current life. */
export const HAS_WRITES = 4
export const IN_USE = 8
/** The cell holds deletions (`removals` has the cell): lets the hot paths skip that array. */
export const HAS_REMOVALS = 16

/** What a deletion observed of another origin's cell. */
export interface Base {
  life: number
  writeVersion: number
  /** Counter columns (counter and pnCounter fields) as observed. */
  counters: Float64Array
}

export interface FlowTableState {
  readonly fieldIndex: number
  readonly sink: DirtySink | null
  readonly context: TypeContext
  readonly fields: readonly FieldLayout[]
  readonly fieldByName: ReadonlyMap<string, FieldLayout>
  readonly width: number
  readonly objectWidth: number
  readonly idleTimeoutMs: number
  readonly gcGraceMs: number
  /** Whether writes record their time (idle expiry or a declared lastSeen). */
  readonly tracksTime: boolean
  // entries
  readonly keyIndex: KeyIndex
  /**
   * Each entry's key; `null` when the key is packed in `keyIndex` (a 5-tuple that arrived from a
   * peer: read it with `keyOf`), undefined for a free entry.
   */
  readonly entryKey: (FlowKey | null | undefined)[]
  entryHead: Int32Array
  entryOwn: Int32Array
  /** Time of each entry's last write (empty when the table records no times: `tracksTime`). */
  entryLast: Float64Array
  /**
   * Number of cells of the entry that hold deletions (fast path when 0), a byte each: a count of
   * 255 or more is kept in `removalCounts` (`removalCountOf`).
   */
  entryRemovals: Uint8Array
  readonly removalCounts: Map<number, number>
  entryCount: number
  freeEntries: number[]
  // cells
  /**
   * Cell links, `LINKS` per cell: entry, origin, next cell of the entry, and the ordinal (-1: not
   * bound yet) and generation of the cell's key binding (see flow-table-bindings.ts).
   */
  links: Int32Array
  /** Key bindings by local origin. */
  bindings: (OriginBindings | undefined)[]
  /** Origins whose cells this replica binds (its own and its heir origin). */
  readonly ownedOrigins: Set<number>
  /**
   * Cell rows of `stride` numbers: the field columns (`width` of them), then the last-write time
   * in a table that records times, so a field write touches one row.
   */
  numbers: Float64Array
  /**
   * Each cell's flags, a byte each: a field write reads and sets them beside the row's counters,
   * and a byte column keeps them in few cache lines (in the row they took eight bytes).
   */
  cellFlags: Uint8Array
  /** Each cell's version, write version and life (`CELL_META` per cell: `versionOf`, `writeVersionOf`, `lifeOf`). */
  cellMeta: UintColumn
  /** Numbers per cell row: `width` field columns plus `META_WIDTH` (less the last-write time when the table records no times). */
  readonly stride: number
  objects: unknown[]
  /** Deletions by cell, only for cells that hold some (`HAS_REMOVALS`): most cells never do. */
  removals: Map<number, Map<number, Base>>
  cellCount: number
  freeCells: number[]
  /** Where the next expiry sweep resumes. */
  sweepCursor: number
  /** Told about every entry the expiry sweep drops (the handle layer forgets its handle). */
  onDrop: ((key: FlowKey) => void) | null
  /**
   * Bumped whenever an own cell may stop being directly writable (a deletion arrives, a cell
   * restarts, an entry is dropped). Entry objects cache their own cell under this epoch.
   */
  epoch: number
  /**
   * Bumped when the own cells of many entries may stop being directly writable at once (an
   * origin folded away). The handle layer's noted cells (src/entry-refs.ts) hold until it moves;
   * a change to one entry is told to `onEntryChange` instead, and a dropped entry to `onDrop`.
   */
  foldEpoch: number
  /** Told about an entry whose own cell may have stopped being directly writable (`entryChanged`). */
  onEntryChange: ((entry: number) => void) | null
  /**
   * Last life handed to an own cell. Own lives come from this one increasing counter, so a cell
   * re-created after a sweep dropped it never reuses a life that peers' deletion bases (recorded
   * against the dropped cell) could still match.
   */
  ownLives: number
}

export interface FlowCellDelta {
  /**
   * The flow key; `null` for a packed 5-tuple left in the frame (`keyBytes` at `keyAt`); undefined
   * when the cell names it by its binding (`ordinal`, `generation`).
   */
  key: FlowKey | null | undefined
  keyBytes: Uint8Array | null
  keyAt: number
  /** The cell's binding in its origin (ordinal -1: none). */
  ordinal: number
  generation: number
  life: number
  writeVersion: number
  lastMs: number
  /** The cell's numeric columns (a plain array: cheaper to allocate than a typed array). */
  numbers: number[]
  objects: unknown[]
  removed: { originRef: number; life: number; writeVersion: number; counters: Float64Array }[]
}


export function layoutFields(fields: Record<string, FlowFieldSpec>): { layouts: FieldLayout[]; width: number; objectWidth: number } {
  const layouts: FieldLayout[] = []
  let width = 0
  let objectWidth = 0
  for (const name of Object.keys(fields).sort()) {
    const spec = fields[name]!
    const columns = spec.kind === 'counter' || spec.kind === 'maxRegister' ? 1 : 2
    layouts.push({
      name, kind: spec.kind, offset: width,
      objectOffset: spec.kind === 'register' ? objectWidth++ : -1,
      initial: spec.initial,
      isLastSeen: name === 'lastSeen' && spec.kind === 'maxRegister',
      label: `field ${name}`,
    })
    width += columns
  }
  return { layouts, width, objectWidth }
}

export function createFlowTable(config: FlowTableConfig, context: TypeContext, fieldIndex = 0, sink: DirtySink | null = null): FlowTableState {
  const { layouts, width, objectWidth } = layoutFields(config.fields)
  const entryKey: (FlowKey | null | undefined)[] = []
  const idleTimeoutMs = config.idleTimeoutMs ?? 0
  const entryCapacity = 16
  const cellCapacity = 16
  const tracksTime = idleTimeoutMs > 0 || layouts.some((layout) => layout.isLastSeen)
  return {
    fieldIndex, sink, context, fields: layouts,
    fieldByName: new Map(layouts.map((layout) => [layout.name, layout])),
    width, stride: rowWidth(width, tracksTime), objectWidth, idleTimeoutMs,
    gcGraceMs: config.gcGraceMs ?? idleTimeoutMs,
    tracksTime,
    keyIndex: new KeyIndex(entryKey), entryKey,
    entryHead: new Int32Array(entryCapacity).fill(-1), entryOwn: new Int32Array(entryCapacity).fill(-1),
    entryLast: new Float64Array(tracksTime ? entryCapacity : 0), entryRemovals: new Uint8Array(entryCapacity), removalCounts: new Map(),
    entryCount: 0, freeEntries: [],
    links: newLinks(cellCapacity),
    bindings: [], ownedOrigins: new Set(),
    numbers: new Float64Array(cellCapacity * rowWidth(width, tracksTime)), cellFlags: new Uint8Array(cellCapacity), cellMeta: uintColumn(cellCapacity * CELL_META), objects: [], removals: new Map(),
    cellCount: 0, freeCells: [], sweepCursor: 0, onDrop: null, epoch: 0, foldEpoch: 0, onEntryChange: null, ownLives: 0,
  }
}

/**
 * A cell's counter columns (counter and pnCounter fields) as a deletion base records them.
 * @internal shared with flow-table-fold.ts
 */
export function counterColumnsOf(state: FlowTableState, cell: number): Float64Array {
  const counters = new Float64Array(state.width)
  const row = cell * state.stride
  for (const field of state.fields) {
    if (field.kind === 'counter') counters[field.offset] = state.numbers[row + field.offset]!
    if (field.kind === 'pnCounter') {
      counters[field.offset] = state.numbers[row + field.offset]!
      counters[field.offset + 1] = state.numbers[row + field.offset + 1]!
    }
  }
  return counters
}

/**
 * A cell's version, write version and life, in `cellMeta` (`CELL_META` per cell): four bytes each
 * while every one fits, which is all but always (they count from 0), else eight. The cell row
 * keeps the field columns and, in a table that records times, the last-write time (`lastOf`).
 */
export const CELL_META = 3
const META_VERSION = 0
const META_WRITE_VERSION = 1
const META_LIFE = 2

/** Numbers per cell row: a table that records no times keeps no last-write column. */
function rowWidth(width: number, tracksTime: boolean): number {
  return tracksTime ? width + 1 : width
}

function setMeta(state: FlowTableState, cell: number, at: number, value: number): void {
  if (value > MAX_NARROW) state.cellMeta = widened(state.cellMeta)
  state.cellMeta[cell * CELL_META + at] = value
}

/** The version of a cell's last change (0: never stamped or applied). */
export function versionOf(state: FlowTableState, cell: number): number {
  return state.cellMeta[cell * CELL_META + META_VERSION]!
}

export function setVersion(state: FlowTableState, cell: number, version: number): void {
  setMeta(state, cell, META_VERSION, version)
}

/** The version of the cell's last field write (0: none in its life). */
export function writeVersionOf(state: FlowTableState, cell: number): number {
  return state.cellMeta[cell * CELL_META + META_WRITE_VERSION]!
}

export function setWriteVersion(state: FlowTableState, cell: number, version: number): void {
  setMeta(state, cell, META_WRITE_VERSION, version)
}

/** A cell's life: which of its owner's incarnations of the cell its values belong to. */
export function lifeOf(state: FlowTableState, cell: number): number {
  return state.cellMeta[cell * CELL_META + META_LIFE]!
}

export function setLife(state: FlowTableState, cell: number, life: number): void {
  setMeta(state, cell, META_LIFE, life)
}

/** A cell's last-write time (0 when the table records no times). */
export function lastOf(state: FlowTableState, cell: number): number {
  return state.tracksTime ? state.numbers[cell * state.stride + state.width]! : 0
}

/** Sets a cell's last-write time; a table that records no times keeps none. */
export function setLast(state: FlowTableState, cell: number, ms: number): void {
  if (state.tracksTime) state.numbers[cell * state.stride + state.width] = ms
}
/** Int32 links per cell, and their order. */
export const LINKS = 5
export const LINK_ENTRY = 0
export const LINK_ORIGIN = 1
export const LINK_NEXT = 2
export const LINK_ORDINAL = 3
export const LINK_GENERATION = 4

function newLinks(cells: number): Int32Array {
  const links = new Int32Array(cells * LINKS)
  for (let cell = 0; cell < cells; cell++) links[cell * LINKS + LINK_ORDINAL] = -1
  return links
}

/** Sets a cell's deletions (and its HAS_REMOVALS flag); returns them. */
/** @internal shared with flow-table-slots.ts and flow-table-fold.ts */
export function setRemovals(state: FlowTableState, cell: number, removed: Map<number, Base>): Map<number, Base> {
  state.removals.set(cell, removed)
  setFlags(state, cell, flagsOf(state, cell) | HAS_REMOVALS)
  return removed
}

/** Clears a cell's deletions (and its HAS_REMOVALS flag). */
/** @internal shared with flow-table-slots.ts and flow-table-fold.ts */
export function clearRemovals(state: FlowTableState, cell: number): void {
  state.removals.delete(cell)
  setFlags(state, cell, flagsOf(state, cell) & ~HAS_REMOVALS)
}

/** A cell's flags (DIRTY, WRITTEN, HAS_WRITES, IN_USE, HAS_REMOVALS). */
/** @internal shared with flow-table-slots.ts */
export function flagsOf(state: FlowTableState, cell: number): number {
  return state.cellFlags[cell]!
}

/** @internal shared with flow-table-slots.ts */
export function setFlags(state: FlowTableState, cell: number, flags: number): void {
  state.cellFlags[cell] = flags
}

/** An entry's byte in `entryRemovals` that says its count is in `removalCounts`. */
const COUNT_IN_MAP = 0xff

/** How many cells of the entry hold deletions. */
export function removalCountOf(state: FlowTableState, entry: number): number {
  const held = state.entryRemovals[entry]!
  return held === COUNT_IN_MAP ? state.removalCounts.get(entry)! : held
}

/** @internal A cell of the entry starts (`by` 1) or stops (-1) holding deletions. */
export function addRemovalCount(state: FlowTableState, entry: number, by: 1 | -1): void {
  const count = removalCountOf(state, entry) + by
  if (count >= COUNT_IN_MAP) {
    state.removalCounts.set(entry, count)
    state.entryRemovals[entry] = COUNT_IN_MAP
  } else {
    if (state.entryRemovals[entry] === COUNT_IN_MAP) state.removalCounts.delete(entry)
    state.entryRemovals[entry] = count
  }
}

/** @internal An entry's count back to 0 (a new or dropped entry). */
export function clearRemovalCount(state: FlowTableState, entry: number): void {
  if (state.entryRemovals[entry] === COUNT_IN_MAP) state.removalCounts.delete(entry)
  state.entryRemovals[entry] = 0
}

/**
 * The next capacity of the entry and cell columns (and bindings): a quarter as much again, so at
 * most a fifth of a large table's room is unused (growing by half left up to a third, doubling
 * up to half). Growing copies each column about four times over in all, with `set`.
 */
export function grownCapacity(capacity: number): number {
  return capacity + Math.max(16, capacity >>> 2)
}

function grownInt32(array: Int32Array, capacity: number, fill: number): Int32Array {
  const next = new Int32Array(capacity).fill(fill)
  next.set(array)
  return next
}

/** @internal shared with flow-table-slots.ts */
export function allocateEntry(state: FlowTableState, key: FlowKey, hash = hashKey(key)): number {
  const entry = newEntry(state)
  state.entryKey[entry] = key
  state.keyIndex.set(key, entry, hash)
  return entry
}

/** A new entry for the packed 5-tuple key at `bytes[at]` (`hash`: its `hashPacked`); the key stays packed. */
/** @internal shared with flow-table-slots.ts */
export function allocatePackedEntry(state: FlowTableState, bytes: Uint8Array, at: number, hash: number): number {
  const entry = newEntry(state)
  state.entryKey[entry] = null
  state.keyIndex.setPacked(bytes, at, entry, hash)
  return entry
}

/** An entry number with empty columns, its key not set yet. */
function newEntry(state: FlowTableState): number {
  let entry = state.freeEntries.pop()
  if (entry === undefined) {
    entry = state.entryCount++
    if (entry >= state.entryHead.length) growEntries(state, grownCapacity(state.entryHead.length))
  }
  state.entryHead[entry] = -1
  state.entryOwn[entry] = -1
  if (state.tracksTime) state.entryLast[entry] = 0
  clearRemovalCount(state, entry)
  return entry
}

function growEntries(state: FlowTableState, capacity: number): void {
  state.entryHead = grownInt32(state.entryHead, capacity, -1)
  state.entryOwn = grownInt32(state.entryOwn, capacity, -1)
  if (state.tracksTime) state.entryLast = grownColumn(state.entryLast, capacity)
  state.entryRemovals = grownColumn(state.entryRemovals, capacity)
}

function growCells(state: FlowTableState, capacity: number): void {
  const links = newLinks(capacity)
  links.set(state.links)
  state.links = links
  state.numbers = grownColumn(state.numbers, capacity * state.stride)
  state.cellFlags = grownColumn(state.cellFlags, capacity)
  state.cellMeta = grownColumn(state.cellMeta, capacity * CELL_META)
}

/**
 * Room for `entries` more entries and `cells` more cells than the table holds, each column grown
 * once, before a large batch of remote cells (a joiner's catch-up): grown a quarter at a time, a
 * catch-up of the whole state copied every column about five times over.
 */
export function reserve(state: FlowTableState, entries: number, cells: number): void {
  const entryRoom = state.entryCount + entries
  if (entryRoom > state.entryHead.length) growEntries(state, entryRoom)
  state.keyIndex.reserve(entryRoom)
  const cellRoom = state.cellCount + cells
  if (cellRoom > state.links.length / LINKS) growCells(state, cellRoom)
}

/** The key of an entry (a packed one made into its string), or undefined for a free entry. */
export function keyOf(state: FlowTableState, entry: number): FlowKey | undefined {
  return state.keyIndex.keyOf(entry)
}

/** Whether `entry` is the entry of `key` (in either of its forms). */
export function holdsKey(state: FlowTableState, entry: number, key: FlowKey): boolean {
  return entry >= 0 && entry < state.entryCount && state.keyIndex.holds(entry, key)
}

/** Writes an entry's key as `writeKey` would (a packed one straight from its bytes). */
export function writeEntryKey(encoder: Encoder, state: FlowTableState, entry: number): void {
  const key = state.entryKey[entry]
  if (key === null) writePackedKey(encoder, state.keyIndex.packedKeys, state.keyIndex.packedAt(entry), PACKED_KEY_TAG)
  else writeKey(encoder, key!)
}

/** @internal shared with flow-table-slots.ts */
export function allocateCell(state: FlowTableState, entry: number, origin: number): number {
  let cell = state.freeCells.pop()
  if (cell === undefined) {
    cell = state.cellCount++
    if (cell >= state.links.length / LINKS) growCells(state, grownCapacity(state.links.length / LINKS))
  }
  state.links[cell * LINKS + LINK_ENTRY] = entry
  state.links[cell * LINKS + LINK_ORIGIN] = origin
  state.links[cell * LINKS + LINK_ORDINAL] = -1
  state.links[cell * LINKS + LINK_NEXT] = state.entryHead[entry]!
  state.entryHead[entry] = cell
  setVersion(state, cell, 0)
  setFlags(state, cell, IN_USE)
  clearValues(state, cell)
  setLife(state, cell, 0)
  state.removals.delete(cell)
  return cell
}

/** A new cell of this replica's own origin, with a life no earlier own cell had. */
/** @internal shared with flow-table-fold.ts */
export function allocateOwnCell(state: FlowTableState, entry: number, origin: number): number {
  const cell = allocateCell(state, entry, origin)
  setLife(state, cell, ++state.ownLives)
  return cell
}

/** Zeroes a cell's field values and starts nothing new (life is the caller's business). */
function clearValues(state: FlowTableState, cell: number): void {
  setWriteVersion(state, cell, 0)
  setLast(state, cell, 0)
  const row = cell * state.stride
  for (const field of state.fields) {
    state.numbers[row + field.offset] = field.kind === 'maxRegister' ? -Infinity : 0
    // A pnCounter has a second column (decrements): left as is, a new life (or a reused cell)
    // would start with the old decrements.
    if (field.kind === 'pnCounter') state.numbers[row + field.offset + 1] = 0
    if (field.kind === 'register') {
      state.numbers[row + field.offset] = -1
      state.objects[cell * state.objectWidth + field.objectOffset] = undefined
    }
  }
}

/** @internal shared with flow-table-slots.ts */
export function findCell(state: FlowTableState, entry: number, origin: number): number {
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    if (state.links[cell * LINKS + LINK_ORIGIN] === origin) return cell
  }
  return -1
}

/** The deletion base with the highest write version recorded against `origin`'s cell in this entry. */
/** @internal shared with flow-table-fold.ts */
export function highestBase(state: FlowTableState, entry: number, origin: number): Base | undefined {
  if (state.entryRemovals[entry] === 0) return undefined
  let best: Base | undefined
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    const base = state.removals.get(cell)?.get(origin)
    if (base && (!best || base.life > best.life || (base.life === best.life && base.writeVersion > best.writeVersion))) best = base
  }
  return best
}

/** @internal shared with flow-table-fold.ts */
export function isCovered(state: FlowTableState, cell: number, base: Base | undefined): boolean {
  if ((flagsOf(state, cell) & HAS_WRITES) === 0) return true
  if (!base || base.life !== lifeOf(state, cell)) return false
  return (flagsOf(state, cell) & WRITTEN) === 0 && base.writeVersion >= writeVersionOf(state, cell)
}

/** @internal shared with flow-table-fold.ts */
export function isExpired(state: FlowTableState, entry: number, now: number): boolean {
  return state.idleTimeoutMs > 0 && now - state.entryLast[entry]! >= state.idleTimeoutMs
}

/** Whether the entry is visible: some cell not covered by a deletion, and not idle-expired. */
export function entryExists(state: FlowTableState, entry: number): boolean {
  return existsAt(state, entry, walkTime(state))
}

/** The time a read of the entries' existence is made at: the clock, read only when entries can expire. */
function walkTime(state: FlowTableState): number {
  return state.idleTimeoutMs > 0 ? state.context.now() : 0
}

/** `entryExists` at time `now` (read once by a walk over the entries, not once per entry). */
function existsAt(state: FlowTableState, entry: number, now: number): boolean {
  if (state.entryKey[entry] === undefined) return false
  if (isExpired(state, entry, now)) return false
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    if (!isCovered(state, cell, highestBase(state, entry, state.links[cell * LINKS + LINK_ORIGIN]!))) return true
  }
  return false
}

export function lookup(state: FlowTableState, key: FlowKey): number {
  const entry = state.keyIndex.get(key)
  return entry !== undefined && entryExists(state, entry) ? entry : -1
}

/**
 * Entry index for `key`, created when absent (the write path). An entry whose key was packed
 * takes the caller's string: a handle written here then finds its entry by comparing keys.
 */
export function entryFor(state: FlowTableState, key: FlowKey): number {
  const hash = hashKey(key)
  const entry = state.keyIndex.get(key, hash)
  if (entry === undefined) return allocateEntry(state, key, hash)
  adoptKey(state, entry, key)
  return entry
}

/** Gives an entry whose key is packed the caller's string of it (compared by reference from then on). */
export function adoptKey(state: FlowTableState, entry: number, key: FlowKey): void {
  if (state.entryKey[entry] === null && typeof key === 'string') state.entryKey[entry] = key
}

/** Deletes what this origin observes of the entry (observed-remove). */
function observeRemove(state: FlowTableState, entry: number, origin: number): void {
  let own = findCell(state, entry, origin)
  if (own < 0) own = allocateOwnCell(state, entry, origin)
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    if (cell === own || (flagsOf(state, cell) & HAS_WRITES) === 0) continue
    let removed = state.removals.get(own)
    if (!removed) {
      removed = setRemovals(state, own, new Map())
      addRemovalCount(state, entry, 1)
      entryChanged(state, entry)
    }
    removed.set(state.links[cell * LINKS + LINK_ORIGIN]!, { life: lifeOf(state, cell), writeVersion: writeVersionOf(state, cell), counters: counterColumnsOf(state, cell) })
  }
  resetOwn(state, own)
  markDirty(state, own)
  state.entryOwn[entry] = own
}

/** Starts a new, empty life of an own cell (its deletions and last-write time stay). */
/** @internal shared with flow-table-fold.ts */
export function resetOwn(state: FlowTableState, cell: number): void {
  entryChanged(state, state.links[cell * LINKS + LINK_ENTRY]!)
  const last = lastOf(state, cell)
  // max: the cell may hold a life that did not come from this counter (restored from a peer).
  state.ownLives = Math.max(state.ownLives, lifeOf(state, cell)) + 1
  setLife(state, cell, state.ownLives)
  clearValues(state, cell)
  setLast(state, cell, last)
  setFlags(state, cell, flagsOf(state, cell) & ~(HAS_WRITES | WRITTEN))
}

/**
 * The own cell of `entry` may have stopped being directly writable (a deletion holds it now, or
 * it restarted): entry objects and the handle layer's noted cell of the entry's key check again.
 * @internal shared with flow-table-slots.ts
 */
export function entryChanged(state: FlowTableState, entry: number): void {
  state.epoch++
  state.onEntryChange?.(entry)
}

/** @internal shared with flow-table-fold.ts */
export function markDirty(state: FlowTableState, cell: number): void {
  const flags = flagsOf(state, cell)
  if ((flags & DIRTY) === 0) {
    setFlags(state, cell, flags | DIRTY)
    state.sink?.markDirty(state.fieldIndex, cell)
  }
}

/** Removes `key` as observed here; a concurrent write elsewhere keeps it. Returns whether it existed. */
export function remove(state: FlowTableState, origin: number, key: FlowKey): boolean {
  const entry = state.keyIndex.get(key)
  if (entry === undefined || !entryExists(state, entry)) return false
  observeRemove(state, entry, origin)
  return true
}

/**
 * The own cell of `entry`, ready for a field write: created on first write, restarted when a
 * deletion covers it or when the entry has idled out.
 */
export function writableCell(state: FlowTableState, entry: number, origin: number): number {
  let cell = state.entryOwn[entry]!
  if (cell >= 0 && !state.tracksTime && state.entryRemovals[entry] === 0) return cell
  return slowWritableCell(state, entry, origin, cell)
}

function slowWritableCell(state: FlowTableState, entry: number, origin: number, cell: number): number {
  // Write times travel as varuints (whole ms); keeping a fraction here would make the writer's
  // lastSeen and expiry differ from its peers'.
  const now = state.tracksTime ? Math.floor(state.context.now()) : 0
  if (state.entryHead[entry]! >= 0 && isExpired(state, entry, now)) {
    observeRemove(state, entry, origin)
    cell = state.entryOwn[entry]!
  }
  // The entry may already hold our own cell, received back from a peer after a sweep dropped
  // it here: continue that cell rather than start a second cell of the same origin.
  if (cell < 0) cell = findCell(state, entry, origin)
  if (cell < 0) {
    cell = allocateOwnCell(state, entry, origin)
  } else if (state.entryRemovals[entry] !== 0 && (flagsOf(state, cell) & HAS_WRITES) !== 0
    && isCovered(state, cell, highestBase(state, entry, origin))) {
    resetOwn(state, cell)
  }
  state.entryOwn[entry] = cell
  if (state.tracksTime) {
    if (now > lastOf(state, cell)) setLast(state, cell, now)
    if (now > state.entryLast[entry]!) state.entryLast[entry] = now
  }
  return cell
}

/**
 * The own cell of `entry` if later writes may go to it directly (no time tracking, no
 * deletions in the entry), else -1. Valid until `state.epoch` changes.
 */
export function directCell(state: FlowTableState, entry: number): number {
  return !state.tracksTime && state.entryRemovals[entry] === 0 ? state.entryOwn[entry]! : -1
}

/**
 * The entry whose own cell `cell` is, or -1 when the cell is no entry's own cell now (freed, or
 * given to another entry since): how a handle that kept only a cell finds its entry again.
 */
export function entryOfOwnCell(state: FlowTableState, cell: number): number {
  if (cell < 0 || cell >= state.cellCount) return -1
  const entry = entryOfCell(state, cell)
  return entry >= 0 && entry < state.entryCount && state.entryOwn[entry] === cell ? entry : -1
}

/** The entry a cell belongs to. */
export function entryOfCell(state: FlowTableState, cell: number): number {
  return state.links[cell * LINKS + LINK_ENTRY]!
}

/** Adds to a counter column (`column` 1: a pnCounter's decrements) of a directly writable own cell (see `directCell`). */
export function incrementAt(state: FlowTableState, cell: number, n: number, field: FieldLayout, column: number): void {
  const index = cell * state.stride + field.offset + column
  if (!Number.isSafeInteger(n) || n < 0 || state.numbers[index]! + n > Number.MAX_SAFE_INTEGER) {
    assertCount(n, incrementName(field, column))
    assertTotal(state.numbers[index]!, n, incrementName(field, column))
  }
  state.numbers[index]! += n
  touched(state, cell)
}

function incrementName(field: FieldLayout, column: number): string {
  return field.kind === 'pnCounter' ? (column === 0 ? 'pnCounter.increment' : 'pnCounter.decrement') : 'counter.increment'
}

/** Marks a field write on an own cell (after the caller changed the numbers). */
export function touched(state: FlowTableState, cell: number): void {
  const flags = flagsOf(state, cell)
  if ((flags & DIRTY) === 0) state.sink?.markDirty(state.fieldIndex, cell)
  setFlags(state, cell, flags | DIRTY | WRITTEN | HAS_WRITES)
}

// ---- field writes (validated before anything changes) ----

export function incrementField(state: FlowTableState, entry: number, origin: number, field: FieldLayout, n: number, column = 0): void {
  assertCount(n, incrementName(field, column))
  const cell = writableCell(state, entry, origin)
  const index = cell * state.stride + field.offset + column
  assertTotal(state.numbers[index]!, n, incrementName(field, column))
  state.numbers[index]! += n
  touched(state, cell)
}

export function raiseField(state: FlowTableState, entry: number, origin: number, field: FieldLayout, n: number): void {
  assertFiniteNumber(n, 'maxRegister.set')
  const cell = writableCell(state, entry, origin)
  if (field.isLastSeen) {
    const wholeMs = Math.floor(n) // a write time: whole ms, as it is encoded
    if (wholeMs > lastOf(state, cell)) setLast(state, cell, wholeMs)
    if (wholeMs > state.entryLast[entry]!) state.entryLast[entry] = wholeMs
  } else {
    const index = cell * state.stride + field.offset
    if (n > state.numbers[index]!) state.numbers[index] = n
  }
  touched(state, cell)
}

export function setField(state: FlowTableState, entry: number, origin: number, field: FieldLayout, value: unknown): void {
  const cell = writableCell(state, entry, origin)
  const timestamp = state.context.nextTimestamp()
  const index = cell * state.stride + field.offset
  state.numbers[index] = timestamp.wallMs
  state.numbers[index + 1] = timestamp.logical
  state.objects[cell * state.objectWidth + field.objectOffset] = value
  touched(state, cell)
}

// ---- views ----

function visibleCells(state: FlowTableState, entry: number, visit: (cell: number, base: Base | undefined) => void): void {
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    const base = highestBase(state, entry, state.links[cell * LINKS + LINK_ORIGIN]!)
    if (isCovered(state, cell, base)) continue
    visit(cell, base && base.life === lifeOf(state, cell) ? base : undefined)
  }
}

function cellFieldValue(state: FlowTableState, cell: number, base: Base | undefined, field: FieldLayout): number {
  const index = cell * state.stride + field.offset
  switch (field.kind) {
    case 'counter':
      return state.numbers[index]! - (base ? base.counters[field.offset]! : 0)
    case 'pnCounter':
      return state.numbers[index]! - state.numbers[index + 1]!
        - (base ? base.counters[field.offset]! - base.counters[field.offset + 1]! : 0)
    default:
      return field.isLastSeen ? lastOf(state, cell) : state.numbers[index]!
  }
}

/** A field's global view of an entry: sum for counters, max for max registers, LWW for registers. */
export function fieldGlobal(state: FlowTableState, entry: number, field: FieldLayout): unknown {
  if (field.kind === 'counter' || field.kind === 'pnCounter') {
    let sum = 0
    visibleCells(state, entry, (cell, base) => { sum += cellFieldValue(state, cell, base, field) })
    return sum
  }
  if (field.kind === 'maxRegister') {
    let max = -Infinity
    visibleCells(state, entry, (cell, base) => { max = Math.max(max, cellFieldValue(state, cell, base, field)) })
    return max === -Infinity || (field.isLastSeen && max === 0) ? undefined : max
  }
  let winner = -1
  visibleCells(state, entry, (cell) => {
    const index = cell * state.stride + field.offset
    if (state.numbers[index]! < 0) return
    if (winner < 0) { winner = cell; return }
    const windex = winner * state.stride + field.offset
    if (compareTimestamps(
      state.numbers[index]!, state.numbers[index + 1]!, state.context.originRank(state.links[cell * LINKS + LINK_ORIGIN]!),
      state.numbers[windex]!, state.numbers[windex + 1]!, state.context.originRank(state.links[winner * LINKS + LINK_ORIGIN]!)) > 0) winner = cell
  })
  return winner < 0 ? field.initial : state.objects[winner * state.objectWidth + field.objectOffset]
}

/** A field's local view: this origin's own visible contribution. */
export function fieldLocal(state: FlowTableState, entry: number, origin: number, field: FieldLayout): unknown {
  const cell = findCell(state, entry, origin)
  const empty = field.kind === 'counter' || field.kind === 'pnCounter' ? 0 : field.kind === 'register' ? field.initial : undefined
  if (cell < 0) return empty
  const base = highestBase(state, entry, origin)
  if (isCovered(state, cell, base)) return empty
  if (field.kind === 'register') {
    return state.numbers[cell * state.stride + field.offset]! < 0 ? field.initial : state.objects[cell * state.objectWidth + field.objectOffset]
  }
  const value = cellFieldValue(state, cell, base && base.life === lifeOf(state, cell) ? base : undefined, field)
  return field.kind === 'maxRegister' && (value === -Infinity || (field.isLastSeen && value === 0)) ? undefined : value
}

/** Visible keys, in entry order. */
export function* keys(state: FlowTableState): Iterable<FlowKey> {
  const now = walkTime(state)
  for (let entry = 0; entry < state.entryCount; entry++) {
    if (state.entryKey[entry] !== undefined && existsAt(state, entry, now)) yield keyOf(state, entry)!
  }
}

/** Visible entries, counted by a walk over them all: O(entries), for a report rather than per packet. */
export function size(state: FlowTableState): number {
  const now = walkTime(state)
  let count = 0
  for (let entry = 0; entry < state.entryCount; entry++) if (existsAt(state, entry, now)) count++
  return count
}

/** Time of the entry's last write by anyone, or undefined when the table records no times. */
export function lastSeen(state: FlowTableState, entry: number): number | undefined {
  return state.tracksTime ? state.entryLast[entry] : undefined
}

/**
 * Drops from memory the entries that have been idle for `idleTimeoutMs + gcGraceMs`. Visits at
 * most `budget` entries per call (resuming where it stopped) so a sweep never stalls a round.
 * Returns the number of entries dropped.
 */
export function sweepExpired(state: FlowTableState, budget = 4096): number {
  if (state.idleTimeoutMs <= 0 || state.entryCount === 0) return 0
  const now = state.context.now()
  const horizon = state.idleTimeoutMs + state.gcGraceMs
  let dropped = 0
  for (let visited = 0; visited < Math.min(budget, state.entryCount); visited++) {
    const entry = state.sweepCursor
    state.sweepCursor = (state.sweepCursor + 1) % state.entryCount
    if (state.entryKey[entry] === undefined || now - state.entryLast[entry]! < horizon || hasDirtyCell(state, entry)) continue
    const key = keyOf(state, entry)!
    for (let cell = state.entryHead[entry]!; cell >= 0;) {
      const next = state.links[cell * LINKS + LINK_NEXT]!
      setFlags(state, cell, 0)
      setVersion(state, cell, 0)
      state.removals.delete(cell)
      releaseOrdinal(state, cell)
      state.freeCells.push(cell)
      cell = next
    }
    state.keyIndex.deleteEntry(entry)
    state.entryKey[entry] = undefined
    state.entryHead[entry] = -1
    state.entryOwn[entry] = -1
    state.freeEntries.push(entry)
    state.epoch++
    state.onDrop?.(key)
    dropped++
  }
  return dropped
}

/**
 * Whether the entry has an own cell waiting for its stamp. Such an entry is kept until the next
 * sweep: the runtime will stamp that slot ref, which must still name the same cell then.
 */
function hasDirtyCell(state: FlowTableState, entry: number): boolean {
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    if ((flagsOf(state, cell) & DIRTY) !== 0) return true
  }
  return false
}
