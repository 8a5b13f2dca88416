/**
 * The user-facing handle of a flow table. `entry(key)` is on the per-packet path, so it is one
 * Map lookup returning a long-lived handle object; the field handles write straight into the
 * table's typed-array columns.
 */
import * as flowTableType from '../crdts/flow-table.js'
import type { FieldLayout, FlowKey, FlowTableState } from '../crdts/flow-table.js'
import { assertKey, assertPlainData } from '../crdts/validate.js'
import type { EntryHandles, FlowTableHandle, OwnOrigin } from './handles.js'
import type { FlowFieldSpec } from './schema.js'

/**
 * Where an entry's handles find it. Handles stay valid as long as the user keeps them: if the
 * entry was dropped (idle expiry) and its index reused, the next write re-creates it by key.
 */
class EntryState {
  constructor(readonly table: FlowTableState, readonly origin: number, public entry: number, readonly key: FlowKey) {}

  /** Entry index for a write. */
  writable(): number {
    if (this.table.entryKey[this.entry] !== this.key) this.entry = flowTableType.entryFor(this.table, this.key)
    return this.entry
  }

  /** Entry index for a read, or -1 when the entry was dropped. */
  readable(): number {
    return this.table.entryKey[this.entry] === this.key ? this.entry : -1
  }
}

function emptyValue(field: FieldLayout): unknown {
  return field.kind === 'counter' || field.kind === 'pnCounter' ? 0 : field.kind === 'register' ? field.initial : undefined
}

function readGlobal(state: EntryState, field: FieldLayout): unknown {
  const entry = state.readable()
  return entry < 0 ? emptyValue(field) : flowTableType.fieldGlobal(state.table, entry, field)
}

function readLocal(state: EntryState, field: FieldLayout): unknown {
  const entry = state.readable()
  return entry < 0 ? emptyValue(field) : flowTableType.fieldLocal(state.table, entry, state.origin, field)
}

// One class per field kind with methods on the prototype: every handle of a kind shares one
// hidden class, which keeps the per-packet call sites monomorphic.
/**
 * A counter column of one entry. Its own cell is cached per column under the table's epoch, so
 * a write usually touches this object, the table and the cell's row, nothing else.
 */
class FlowCounterHandle {
  /** Own cell for direct writes; valid while `epoch` is the table's. */
  private cell = -1
  private epoch = -1
  constructor(readonly entry: EntryState, readonly field: FieldLayout, readonly table: FlowTableState) {}

  increment(n = 1): void {
    this.add(n, 0)
  }

  protected add(n: number, column: number): void {
    const table = this.table
    if (this.epoch === table.epoch) {
      flowTableType.incrementAt(table, this.cell, n, this.field, column)
      return
    }
    const state = this.entry
    const entry = state.writable()
    flowTableType.incrementField(table, entry, state.origin, this.field, n, column)
    const cell = flowTableType.directCell(table, entry)
    this.cell = cell
    this.epoch = cell < 0 ? -1 : table.epoch
  }

  get local(): number { return readLocal(this.entry, this.field) as number }
  get global(): number { return readGlobal(this.entry, this.field) as number }
}

class FlowPNCounterHandle extends FlowCounterHandle {
  decrement(n = 1): void {
    this.add(n, 1)
  }
}

class FlowMaxRegisterHandle {
  constructor(readonly entry: EntryState, readonly field: FieldLayout) {}
  set(n: number): void {
    const state = this.entry
    flowTableType.raiseField(state.table, state.writable(), state.origin, this.field, n)
  }
  get local(): number | undefined { return readLocal(this.entry, this.field) as number | undefined }
  get global(): number | undefined { return readGlobal(this.entry, this.field) as number | undefined }
}

class FlowRegisterHandle {
  constructor(readonly entry: EntryState, readonly field: FieldLayout) {}
  set(value: unknown): void {
    assertPlainData(value, 'register.set')
    const state = this.entry
    flowTableType.setField(state.table, state.writable(), state.origin, this.field, value)
  }
  get local(): unknown { return readLocal(this.entry, this.field) }
  get global(): unknown { return readGlobal(this.entry, this.field) }
}

function fieldHandle(state: EntryState, field: FieldLayout): object {
  switch (field.kind) {
    case 'counter': return new FlowCounterHandle(state, field, state.table)
    case 'pnCounter': return new FlowPNCounterHandle(state, field, state.table)
    case 'maxRegister': return new FlowMaxRegisterHandle(state, field)
    case 'register': return new FlowRegisterHandle(state, field)
  }
}

/** A class per table whose constructor assigns the same properties in the same order: one hidden class. */
function entryHandleClass(fields: readonly FieldLayout[]): new (state: EntryState) => object {
  return class EntryHandles {
    constructor(state: EntryState) {
      for (const field of fields) (this as Record<string, unknown>)[field.name] = fieldHandle(state, field)
    }
  }
}

export function flowTableHandle<F extends Record<string, FlowFieldSpec>>(table: FlowTableState, own: OwnOrigin): FlowTableHandle<F> {
  const origin = own.origin
  const EntryClass = entryHandleClass(table.fields)
  /** Handles by key, created on first use, dropped with their entry. */
  const handles = new Map<FlowKey, EntryHandles<F>>()
  table.onDrop = (key) => { handles.delete(key) }

  const handleFor = (key: FlowKey, entry: number): EntryHandles<F> => {
    let handle = handles.get(key)
    if (handle === undefined) {
      handle = new EntryClass(new EntryState(table, origin, entry, key)) as EntryHandles<F>
      handles.set(key, handle)
    }
    return handle
  }

  return {
    entry(key: FlowKey) {
      const handle = handles.get(key)
      if (handle !== undefined) return handle
      assertKey(key, 'flowTable.entry')
      return handleFor(key, flowTableType.entryFor(table, key))
    },
    get(key: FlowKey) {
      const entry = flowTableType.lookup(table, key)
      return entry < 0 ? undefined : handleFor(key, entry)
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
        if (entry >= 0) yield [key, handleFor(key, entry)] as [FlowKey, EntryHandles<F>]
      }
    },
  }
}
