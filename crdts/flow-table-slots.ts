/**
 * The flow table's slot operations for the gossip engine: a cell's encoding, its validated
 * decoding (which never touches the table) and its merge. See flow-table.ts for the model.
 */
import { type Encoder, type Reader, readKey, writeFloat64, writeKey, writeU8, writeValue, writeVarUint } from './codec.js'
import type { OriginCodec, SlotOps } from './slot-type.js'
import { DecodeError } from '../src/errors.js'
import {
  type Base, type FlowCellDelta, type FlowKey, type FlowTableState, DIRTY, HAS_REMOVALS, HAS_WRITES, IN_USE, LINKS, LINK_ENTRY, LINK_GENERATION,
  LINK_ORDINAL, LINK_ORIGIN, META_LAST, META_LIFE, META_VERSION, META_WRITE_VERSION, WRITTEN, allocateCell, allocateEntry, findCell,
  clearRemovals, flagsOf, metaOf, setFlags, setRemovals,
} from './flow-table.js'
import { absorbOrigin, dropOrigin } from './flow-table-fold.js'
import {
  type BindingDelta, MISSING_BINDING, applyBinding, bindCell, bindingVersion, boundKey, cacheCell, resolveCell, decodeBinding, encodeBinding, needsBinding,
} from './flow-table-bindings.js'

/** Largest ordinal or generation a frame may name. */
const MAX_ORDINAL = 0x7fffffff

const NO_OBJECTS: unknown[] = []
const NO_REMOVALS: FlowCellDelta['removed'] = []

function counterColumns(state: FlowTableState): number[] {
  const columns: number[] = []
  for (const field of state.fields) {
    if (field.kind === 'counter') columns.push(field.offset)
    if (field.kind === 'pnCounter') columns.push(field.offset, field.offset + 1)
  }
  return columns
}

const counterColumnCache = new WeakMap<FlowTableState, number[]>()
function cachedCounterColumns(state: FlowTableState): number[] {
  let columns = counterColumnCache.get(state)
  if (!columns) counterColumnCache.set(state, (columns = counterColumns(state)))
  return columns
}

export const flowTableOps: SlotOps<FlowTableState, FlowCellDelta, BindingDelta> = {
  version: (state, slot) => ((flagsOf(state, slot) & IN_USE) !== 0 ? state.numbers[metaOf(state, slot) + META_VERSION]! : 0),
  owner: (state, slot) => state.links[slot * LINKS + LINK_ORIGIN]!,
  stamp(state, slot, version) {
    const flags = flagsOf(state, slot)
    state.numbers[metaOf(state, slot) + META_VERSION] = version
    if ((flags & WRITTEN) !== 0) state.numbers[metaOf(state, slot) + META_WRITE_VERSION] = version
    setFlags(state, slot, flags & ~(DIRTY | WRITTEN))
  },
  encodeSlot(encoder: Encoder, state, slot, origins: OriginCodec) {
    writeKey(encoder, state.entryKey[state.links[slot * LINKS + LINK_ENTRY]!]!)
    writeVarUint(encoder, state.links[slot * LINKS + LINK_ORDINAL]! + 1)
    if (state.links[slot * LINKS + LINK_ORDINAL]! >= 0) writeVarUint(encoder, state.links[slot * LINKS + LINK_GENERATION]!)
    encodeCellBody(encoder, state, slot, origins)
  },
  decodeSlot: (reader: Reader, origins: OriginCodec, state: FlowTableState) => decodeFlowCell(state, reader, origins, false),
  applySlot: applyFlowCell,
  *slots(state) {
    for (let cell = 0; cell < state.cellCount; cell++) {
      if ((flagsOf(state, cell) & IN_USE) !== 0 && state.numbers[metaOf(state, cell) + META_VERSION]! > 0) yield cell
    }
  },
  absorb: absorbOrigin,
  dropOrigin,
  interned: {
    encodeSlot(encoder, state, slot, origins) {
      writeVarUint(encoder, state.links[slot * LINKS + LINK_ORDINAL]!)
      writeVarUint(encoder, state.links[slot * LINKS + LINK_GENERATION]!)
      encodeCellBody(encoder, state, slot, origins)
    },
    decodeSlot: (reader, origins, state) => decodeFlowCell(state, reader, origins, true),
    needsBinding,
    bind: bindCell,
    bindingVersion,
    encodeBinding,
    decodeBinding,
    applyBinding,
  },
}

/** Everything of a cell after its key or binding. */
function encodeCellBody(encoder: Encoder, state: FlowTableState, slot: number, origins: OriginCodec): void {
    writeVarUint(encoder, state.numbers[metaOf(state, slot) + META_LIFE]!)
    writeVarUint(encoder, (flagsOf(state, slot) & HAS_WRITES) !== 0 ? state.numbers[metaOf(state, slot) + META_WRITE_VERSION]! : 0)
    writeVarUint(encoder, state.numbers[metaOf(state, slot) + META_LAST]!)
    const row = slot * state.stride
    for (const field of state.fields) {
      const index = row + field.offset
      switch (field.kind) {
        case 'counter':
          writeVarUint(encoder, state.numbers[index]!)
          break
        case 'pnCounter':
          writeVarUint(encoder, state.numbers[index]!)
          writeVarUint(encoder, state.numbers[index + 1]!)
          break
        case 'maxRegister':
          if (field.isLastSeen) break
          if (state.numbers[index] === -Infinity) writeU8(encoder, 0)
          else {
            writeU8(encoder, 1)
            writeFloat64(encoder, state.numbers[index]!)
          }
          break
        case 'register':
          writeVarUint(encoder, state.numbers[index]! + 1)
          if (state.numbers[index]! >= 0) {
            writeVarUint(encoder, state.numbers[index + 1]!)
            writeValue(encoder, state.objects[slot * state.objectWidth + field.objectOffset])
          }
          break
      }
    }
    const removed = (flagsOf(state, slot) & HAS_REMOVALS) !== 0 ? state.removals[slot] : undefined
    writeVarUint(encoder, removed ? removed.size : 0)
    if (removed) {
      const columns = cachedCounterColumns(state)
      for (const [origin, base] of removed) {
        writeVarUint(encoder, origins.toWire(origin))
        writeVarUint(encoder, base.life)
        writeVarUint(encoder, base.writeVersion)
        for (const column of columns) writeVarUint(encoder, base.counters[column]!)
      }
    }
}

/** Decodes one cell written by `encodeSlot`, for a table with this layout. Never touches state. */
export function decodeFlowCell(state: FlowTableState, reader: Reader, origins: OriginCodec, interned: boolean): FlowCellDelta {
  let key: FlowKey | undefined
  let ordinal: number
  let generation = 0
  if (interned) {
    ordinal = reader.varUint('cell ordinal')
    generation = reader.varUint('cell generation')
    if (ordinal > MAX_ORDINAL || generation === 0 || generation > MAX_ORDINAL) throw new DecodeError(`cell binding (${ordinal}, ${generation}) is out of range`)
  } else {
    key = readKey(reader, 'flow key')
    if (typeof key === 'number' && !Number.isSafeInteger(key)) throw new DecodeError(`flow key ${key} is not a safe integer`)
    ordinal = reader.varUint('cell ordinal') - 1
    if (ordinal > MAX_ORDINAL) throw new DecodeError(`cell ordinal ${ordinal} is out of range`)
    if (ordinal >= 0) {
      generation = reader.varUint('cell generation')
      if (generation === 0 || generation > MAX_ORDINAL) throw new DecodeError(`cell generation ${generation} is out of range`)
    }
  }
  const life = reader.varUint('cell life')
  const writeVersion = reader.varUint('cell write version')
  const lastMs = reader.varUint('cell last write')
  const numbers: number[] = new Array(state.width).fill(0)
  const objects: unknown[] = state.objectWidth === 0 ? NO_OBJECTS : new Array(state.objectWidth)
  for (const field of state.fields) {
    switch (field.kind) {
      case 'counter':
        numbers[field.offset] = reader.varUint(`field ${field.name}`)
        break
      case 'pnCounter':
        numbers[field.offset] = reader.varUint(`field ${field.name}`)
        numbers[field.offset + 1] = reader.varUint(`field ${field.name}`)
        break
      case 'maxRegister': {
        if (field.isLastSeen) break
        const tag = reader.u8(`field ${field.name} tag`)
        if (tag > 1) throw new DecodeError(`field ${field.name} has bad tag ${tag}`)
        numbers[field.offset] = tag === 0 ? -Infinity : reader.float64(`field ${field.name}`)
        if (tag === 1 && !Number.isFinite(numbers[field.offset]!)) throw new DecodeError(`field ${field.name} is not finite`)
        break
      }
      case 'register': {
        const wallMs = reader.varUint(`field ${field.name} timestamp`) - 1
        numbers[field.offset] = wallMs
        if (wallMs >= 0) {
          numbers[field.offset + 1] = reader.varUint(`field ${field.name} logical clock`)
          objects[field.objectOffset] = reader.value(`field ${field.name}`)
        }
        break
      }
    }
  }
  const removedCount = reader.count(Math.min(origins.size, reader.remaining), 'removal count')
  const removed: FlowCellDelta['removed'] = removedCount === 0 ? NO_REMOVALS : []
  const columns = cachedCounterColumns(state)
  for (let i = 0; i < removedCount; i++) {
    const originRef = reader.varUint('removal origin')
    if (originRef >= origins.size) throw new DecodeError(`removal names origin ${originRef}, frame has ${origins.size}`)
    const baseLife = reader.varUint('removal life')
    const baseWriteVersion = reader.varUint('removal write version')
    const counters = new Float64Array(state.width)
    for (const column of columns) counters[column] = reader.varUint('removal counter')
    removed.push({ originRef, life: baseLife, writeVersion: baseWriteVersion, counters })
  }
  return { key, ordinal, generation, life, writeVersion, lastMs, numbers, objects, removed }
}

function applyRegisters(state: FlowTableState, cell: number, delta: FlowCellDelta): void {
  for (const field of state.fields) {
    if (field.kind !== 'register') continue
    state.objects[cell * state.objectWidth + field.objectOffset] = delta.objects[field.objectOffset]
    const wallMs = delta.numbers[field.offset]!
    if (wallMs >= 0) state.context.observeTimestamp(wallMs, delta.numbers[field.offset + 1]!)
  }
}

function applyFlowCell(state: FlowTableState, origin: number, version: number, delta: FlowCellDelta, origins: OriginCodec): number {
  let key = delta.key
  let entry: number | undefined
  let cell = -1
  if (key === undefined) {
    cell = resolveCell(state, origin, delta.ordinal, delta.generation)
    if (cell === MISSING_BINDING) return MISSING_BINDING
    if (cell >= 0) {
      entry = state.links[cell * LINKS + LINK_ENTRY]!
    } else {
      key = boundKey(state, origin, delta.ordinal)
      entry = state.keyIndex.get(key)
    }
  } else {
    entry = state.keyIndex.get(key)
  }
  // An old cell is accepted even when the entry is unknown here: whether it is dead depends on
  // the entry's other cells, which may arrive later in the same exchange (rejecting it made a
  // join depend on slot order). Expired entries are dropped by `sweepExpired`.
  if (entry === undefined) {
    entry = allocateEntry(state, key!)
  } else {
    if (cell < 0) cell = findCell(state, entry, origin)
    // A dirty cell is our own with unstamped writes: no copy of it elsewhere can be newer (after
    // a sweep re-created it, it has version 0 and a peer may still hold its old copy).
    if (cell >= 0 && (state.numbers[metaOf(state, cell) + META_VERSION]! >= version || (flagsOf(state, cell) & DIRTY) !== 0)) return -1
  }
  if (cell < 0) cell = allocateCell(state, entry, origin)
  state.links[cell * LINKS + LINK_ORDINAL] = delta.ordinal
  state.links[cell * LINKS + LINK_GENERATION] = delta.generation
  if (delta.key === undefined) cacheCell(state, origin, delta.ordinal, cell)
  const hadRemovals = (flagsOf(state, cell) & HAS_REMOVALS) !== 0
  state.numbers[metaOf(state, cell) + META_VERSION] = version
  state.numbers[metaOf(state, cell) + META_LIFE] = delta.life
  state.numbers[metaOf(state, cell) + META_WRITE_VERSION] = delta.writeVersion
  state.numbers[metaOf(state, cell) + META_LAST] = delta.lastMs
  setFlags(state, cell, IN_USE | (delta.writeVersion > 0 ? HAS_WRITES : 0))
  if (delta.lastMs > 0 && delta.lastMs > state.entryLast[entry]!) state.entryLast[entry] = delta.lastMs
  const row = cell * state.stride
  const numbers = delta.numbers
  for (let column = 0; column < state.width; column++) state.numbers[row + column] = numbers[column]!
  if (state.objectWidth > 0) applyRegisters(state, cell, delta)
  if (delta.removed.length > 0) {
    const removed = new Map<number, Base>()
    for (const base of delta.removed) {
      const named = origins.toLocal(base.originRef)
      // An origin folded away here maps to -1: its base is dropped, as `dropOrigin` dropped the others.
      if (named >= 0) removed.set(named, { life: base.life, writeVersion: base.writeVersion, counters: base.counters })
    }
    if (removed.size > 0) {
      setRemovals(state, cell, removed)
      if (!hadRemovals) {
        state.entryRemovals[entry]! += 1
        state.epoch++
      }
      return cell
    }
  }
  if (hadRemovals) {
    clearRemovals(state, cell)
    state.entryRemovals[entry]! -= 1
  }
  return cell
}
