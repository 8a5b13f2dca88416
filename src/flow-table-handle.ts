/**
 * The user-facing handle of a flow table. `entry(key)` is on the per-packet path: one `Map`
 * lookup of the key's own cell (src/entry-refs.ts), and a short-lived entry object whose field
 * handles write straight into the table's typed-array columns.
 */
import * as flowTableType from '../crdts/flow-table.js'
import type { FieldLayout, FlowKey, FlowTableState } from '../crdts/flow-table.js'
import { assertKey, assertPlainData } from '../crdts/validate.js'
import { EntryRefs } from './entry-refs.js'
import type { EntryHandles, FlowTableHandle, OwnOrigin } from './handles.js'
import type { FlowFieldSpec } from './schema.js'

/**
 * An entry as the user holds it: a small object made by each `entry(key)` (or `get`), holding
 * the key, the entry if known, and the own cell if it may be written directly (under the
 * table's epoch). Its field handles are light views made on each access (`entry.packets`),
 * holding only this object and the field's layout. Both are young-generation garbage, dead at
 * once in the usual `entry(key).packets.increment()`.
 *
 * So a write reads the key's `Map` value and the cell's row and flags, nothing else. An entry
 * object kept per key (what an earlier version did) cost one more scattered read per packet.
 *
 * An entry object stays valid as long as the user keeps it: if the entry was dropped (idle
 * expiry) and its number reused, the next write finds or makes the entry again by key. The state
 * sits under symbol keys, apart from the field names the user reads.
 */
const CONTEXT = Symbol('context')
const ENTRY = Symbol('entry')
const KEY = Symbol('key')
const CELL = Symbol('cell')
const EPOCH = Symbol('epoch')

/** What every entry of one table shares. */
interface TableContext {
  readonly table: FlowTableState
  readonly origin: number
  readonly refs: EntryRefs
}

/** An entry object's state (under symbol keys; the field getters are on its class's prototype). */
interface EntryBase {
  [CONTEXT]: TableContext
  /** The entry, or -1 when only the cell is known yet (`knownEntry`). */
  [ENTRY]: number
  [KEY]: FlowKey
  /** Own cell for direct writes; valid while `[EPOCH]` is the table's. */
  [CELL]: number
  [EPOCH]: number
}

/** The entry as the handle knows it (maybe stale: callers check the key), or -1. */
function knownEntry(state: EntryBase): number {
  let entry = state[ENTRY]
  if (entry < 0 && state[CELL] >= 0) {
    const table = state[CONTEXT].table
    // Under the epoch it was noted at, the cell is its entry's own cell.
    entry = state[EPOCH] === table.epoch ? flowTableType.entryOfCell(table, state[CELL]) : flowTableType.entryOfOwnCell(table, state[CELL])
    state[ENTRY] = entry
  }
  return entry
}

/** Entry index for a write (`entryFor` finds or makes the key's entry when the handle's is not it). */
function writable(state: EntryBase): number {
  const entry = knownEntry(state)
  if (entry >= 0 && state[CONTEXT].table.entryKey[entry] === state[KEY]) return entry
  return (state[ENTRY] = flowTableType.entryFor(state[CONTEXT].table, state[KEY]))
}

/** Entry index for a read, or -1 when the table has no entry of the key (it was dropped and not made again). */
function readable(state: EntryBase): number {
  const table = state[CONTEXT].table
  const key = state[KEY]
  const entry = knownEntry(state)
  if (entry >= 0 && (table.entryKey[entry] === key || flowTableType.holdsKey(table, entry, key))) return entry
  // Dropped: a peer's write may have made the entry again, under another number.
  const again = table.keyIndex.get(key)
  if (again === undefined) return -1
  state[ENTRY] = again
  return again
}

function emptyValue(field: FieldLayout): unknown {
  return field.kind === 'counter' || field.kind === 'pnCounter' ? 0 : field.kind === 'register' ? field.initial : undefined
}

function readGlobal(state: EntryBase, field: FieldLayout): unknown {
  const entry = readable(state)
  return entry < 0 ? emptyValue(field) : flowTableType.fieldGlobal(state[CONTEXT].table, entry, field)
}

function readLocal(state: EntryBase, field: FieldLayout): unknown {
  const entry = readable(state)
  return entry < 0 ? emptyValue(field) : flowTableType.fieldLocal(state[CONTEXT].table, entry, state[CONTEXT].origin, field)
}

// One class per field kind with methods on the prototype: every handle of a kind shares one
// hidden class, which keeps the per-packet call sites monomorphic.
/**
 * Adds to a counter column of an entry (`column` 1: a pnCounter's decrements), from the cached
 * own cell when it is current.
 */
function addTo(state: EntryBase, field: FieldLayout, n: number, column: number): void {
  const table = state[CONTEXT].table
  if (state[EPOCH] === table.epoch) flowTableType.incrementAt(table, state[CELL], n, field, column)
  else addFirst(state, field, n, column)
}

/** `addTo` when the own cell is not cached: finds or makes the entry and its cell, then caches the cell. */
function addFirst(state: EntryBase, field: FieldLayout, n: number, column: number): void {
  const table = state[CONTEXT].table
  const entry = writable(state)
  flowTableType.incrementField(table, entry, state[CONTEXT].origin, field, n, column)
  const cell = flowTableType.directCell(table, entry)
  state[CELL] = cell
  state[EPOCH] = cell < 0 ? -1 : table.epoch
  // The next `entry(key)` of the key gets the cell straight from the refs.
  if (cell >= 0) state[CONTEXT].refs.note(state[KEY], entry, cell, table.foldEpoch)
}

/** What every field view holds: its entry and the field's layout. */
class FieldView {
  declare readonly entry: EntryBase
  declare readonly field: FieldLayout
  constructor(entry: EntryBase, field: FieldLayout) {
    this.entry = entry
    this.field = field
  }
}

/** A counter column of one entry. */
class FlowCounterHandle extends FieldView {
  increment(n = 1): void {
    addTo(this.entry, this.field, n, 0)
  }

  get local(): number { return readLocal(this.entry, this.field) as number }
  get global(): number { return readGlobal(this.entry, this.field) as number }
}

class FlowPNCounterHandle extends FlowCounterHandle {
  decrement(n = 1): void {
    addTo(this.entry, this.field, n, 1)
  }
}

class FlowMaxRegisterHandle extends FieldView {
  set(n: number): void {
    const state = this.entry
    flowTableType.raiseField(state[CONTEXT].table, writable(state), state[CONTEXT].origin, this.field, n)
  }
  get local(): number | undefined { return readLocal(this.entry, this.field) as number | undefined }
  get global(): number | undefined { return readGlobal(this.entry, this.field) as number | undefined }
}

class FlowRegisterHandle extends FieldView {
  set(value: unknown): void {
    assertPlainData(value, 'register.set')
    const state = this.entry
    flowTableType.setField(state[CONTEXT].table, writable(state), state[CONTEXT].origin, this.field, value)
  }
  get local(): unknown { return readLocal(this.entry, this.field) }
  get global(): unknown { return readGlobal(this.entry, this.field) }
}

/** The getter of field `index` on an entry class: a fresh view of the entry's table's field each time. */
function fieldGetter(kind: FieldLayout['kind'], index: number): (this: EntryBase) => object {
  switch (kind) {
    case 'counter': return function (this: EntryBase) { return new FlowCounterHandle(this, this[CONTEXT].table.fields[index]!) }
    case 'pnCounter': return function (this: EntryBase) { return new FlowPNCounterHandle(this, this[CONTEXT].table.fields[index]!) }
    case 'maxRegister': return function (this: EntryBase) { return new FlowMaxRegisterHandle(this, this[CONTEXT].table.fields[index]!) }
    case 'register': return function (this: EntryBase) { return new FlowRegisterHandle(this, this[CONTEXT].table.fields[index]!) }
  }
}

type EntryClass = new (context: TableContext, entry: number, key: FlowKey, cell: number, epoch: number) => EntryBase

/**
 * Entry classes by table declaration: the tables of one declaration (the replicas of one state
 * type) share one class, so that entries of all of them share one hidden class and the
 * per-packet `new` and property reads stay monomorphic however many replicas a process runs.
 */
const entryClasses = new WeakMap<object, EntryClass>()

/**
 * The entry class of tables laid out as `table`: the field names, as getters, on its prototype.
 * A class of its own, not a subclass: with a derived constructor on the per-packet path, V8
 * (Node 20) kept aborting its optimization ("dependency change") and `entry(key)` took 280 ns
 * instead of 36 ns.
 */
function entryClassOf(table: FlowTableState, declaration: object): EntryClass {
  let EntryHandles = entryClasses.get(declaration)
  if (EntryHandles === undefined) {
    EntryHandles = class implements EntryBase {
      declare [CONTEXT]: TableContext
      declare [ENTRY]: number
      declare [KEY]: FlowKey
      declare [CELL]: number
      declare [EPOCH]: number
      constructor(context: TableContext, entry: number, key: FlowKey, cell: number, epoch: number) {
        this[CONTEXT] = context
        this[ENTRY] = entry
        this[KEY] = key
        this[CELL] = cell
        this[EPOCH] = epoch
      }
    }
    table.fields.forEach((field, index) => {
      Object.defineProperty(EntryHandles!.prototype, field.name, { get: fieldGetter(field.kind, index), enumerable: true, configurable: false })
    })
    entryClasses.set(declaration, EntryHandles)
  }
  return EntryHandles
}

/** One entry object per table and its field views, never handed out: see `FlowTable`. */
const idleEntries = new WeakMap<FlowTableState, object[]>()

/**
 * The handle of a flow table: a class, so that every table's handle shares its methods. The
 * per-packet call `flows.entry(key)` then sees one function however many replicas a process
 * runs, and V8 inlines it into the caller (closures made per table are never inlined there).
 */
class FlowTable<F extends Record<string, FlowFieldSpec>> implements FlowTableHandle<F> {
  readonly #table: FlowTableState
  readonly #origin: number
  /** Where each key asked for is, kept until its entry is dropped (src/entry-refs.ts). */
  readonly #refs: EntryRefs
  readonly #context: TableContext
  readonly #EntryClass: EntryClass

  constructor(table: FlowTableState, origin: number, declaration: object) {
    this.#table = table
    this.#origin = origin
    const refs = new EntryRefs(table.foldEpoch)
    this.#refs = refs
    this.#context = { table, origin, refs }
    this.#EntryClass = entryClassOf(table, declaration)
    // Entry objects and their field views die young; one of each held per table keeps their
    // hidden classes, and the per-packet code optimized for them, alive through a full GC
    // (src/shapes.ts).
    const idle = new this.#EntryClass(this.#context, -1, '', -1, -1) as unknown as Record<string, object>
    idleEntries.set(table, [idle, ...table.fields.map((field) => idle[field.name]!)])
    table.onDrop = (key) => { refs.forget(key) }
    // An entry whose own cell may no longer be written directly: writes to its key go through the
    // entry (and note the cell again when it is direct once more).
    table.onEntryChange = (entry) => {
      const key = table.entryKey[entry]
      if (key !== undefined && key !== null) refs.demote(key, entry)
    }
  }

  entry(key: FlowKey): EntryHandles<F> {
    const refs = this.#refs
    let value = refs.epoch === this.#table.foldEpoch ? refs.current.get(key) : undefined
    if (value === undefined) value = this.#resolve(key, true)!
    return this.#handleOf(key, value)
  }

  get(key: FlowKey): EntryHandles<F> | undefined {
    // A key asked for before is in the refs: no hashing of the key, no probe of the index.
    const refs = this.#refs
    let value = refs.epoch === this.#table.foldEpoch ? refs.current.get(key) : undefined
    if (value === undefined) value = this.#resolve(key, false)
    if (value === undefined) return undefined
    const handle = this.#handleOf(key, value)
    const entry = readable(handle as unknown as EntryBase)
    return entry >= 0 && flowTableType.entryExists(this.#table, entry) ? handle : undefined
  }

  has(key: FlowKey): boolean {
    return flowTableType.lookup(this.#table, key) >= 0
  }

  delete(key: FlowKey): boolean {
    assertKey(key, 'flowTable.delete')
    return flowTableType.remove(this.#table, this.#origin, key)
  }

  get size(): number {
    return flowTableType.size(this.#table)
  }

  keys(): FlowKey[] {
    return [...flowTableType.keys(this.#table)]
  }

  lastSeen(key: FlowKey): number | undefined {
    const entry = flowTableType.lookup(this.#table, key)
    return entry < 0 ? undefined : flowTableType.lastSeen(this.#table, entry)
  }

  *[Symbol.iterator](): Iterator<[FlowKey, EntryHandles<F>]> {
    for (const key of this.keys()) {
      const entry = flowTableType.lookup(this.#table, key)
      if (entry >= 0) yield [key, this.#handleOf(key, this.#noteAt(key, entry))]
    }
  }

  /** The handle of a key whose refs value (noted at the table's fold epoch) is `value`. */
  #handleOf(key: FlowKey, value: number): EntryHandles<F> {
    return (value >= 0
      ? new this.#EntryClass(this.#context, -1, key, value, this.#table.epoch)
      : new this.#EntryClass(this.#context, -(value + 1), key, -1, -1)) as unknown as EntryHandles<F>
  }

  /** Notes `key` at `entry` in the refs, and returns the value noted. */
  #noteAt(key: FlowKey, entry: number): number {
    const table = this.#table
    // The refs keep the key's string now: the entry may as well compare by it than by its packed bytes.
    flowTableType.adoptKey(table, entry, key)
    const cell = flowTableType.directCell(table, entry)
    this.#refs.note(key, entry, cell, table.foldEpoch)
    return EntryRefs.valueOf(entry, cell)
  }

  /** The entry a value noted at an earlier fold epoch points to, if it is still `key`'s; else -1. */
  #stillKeys(key: FlowKey, value: number): number {
    const table = this.#table
    const entry = value >= 0 ? flowTableType.entryOfOwnCell(table, value) : -(value + 1)
    return entry >= 0 && (table.entryKey[entry] === key || flowTableType.holdsKey(table, entry, key)) ? entry : -1
  }

  /**
   * `entry(key)` or `get(key)` for a key not noted at the table's fold epoch (asked for the
   * first time, since its entry was dropped, or since an origin was folded away): notes it, and
   * returns its refs value. Makes the entry when `create`, else returns undefined for a key the
   * table does not index.
   */
  #resolve(key: FlowKey, create: boolean): number | undefined {
    const table = this.#table
    const refs = this.#refs
    if (refs.epoch !== table.foldEpoch) refs.age(table.foldEpoch)
    const older = refs.takeOlder(key)
    let entry = older === undefined ? -1 : this.#stillKeys(key, older)
    if (entry < 0) {
      if (create) {
        assertKey(key, 'flowTable.entry')
        entry = flowTableType.entryFor(table, key)
      } else {
        entry = table.keyIndex.get(key) ?? -1
        if (entry < 0) return undefined
      }
    }
    return this.#noteAt(key, entry)
  }
}

/**
 * The handle of a flow table. `declaration` is the table's declaration (its `flowTable(...)`
 * spec): tables of the same declaration have the same fields in the same layout, and share an
 * entry class.
 */
export function flowTableHandle<F extends Record<string, FlowFieldSpec>>(table: FlowTableState, own: OwnOrigin, declaration: object): FlowTableHandle<F> {
  return new FlowTable<F>(table, own.origin, declaration)
}
