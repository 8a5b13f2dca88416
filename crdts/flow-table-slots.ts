/**
 * The flow table's slot operations for the gossip engine: a cell's encoding, its validated
 * decoding (which never touches the table) and its merge. See flow-table.ts for the model.
 */
import { type Encoder, type Reader, writeFloat64, writeU8, writeValue, writeVarUint } from './codec.js'
import type { OriginCodec, SlotOps } from './slot-type.js'
import { DecodeError } from '../src/errors.js'
import {
  type Base, type FlowCellDelta, type FlowKey, type FlowTableState, DIRTY, HAS_REMOVALS, HAS_WRITES, IN_USE, LINKS, LINK_ENTRY, LINK_GENERATION,
  LINK_ORDINAL, LINK_ORIGIN, addRemovalCount, entryChanged, lifeOf, setLife, setVersion, setWriteVersion, versionOf, writeVersionOf, WRITTEN, allocateCell, allocateEntry, allocatePackedEntry, findCell,
  clearRemovals, flagsOf, lastOf, reserve, setFlags, setLast, setRemovals, writeEntryKey,
} from './flow-table.js'
import { absorbOrigin, dropOrigin } from './flow-table-fold.js'
import { hashKey, hashPacked } from './key-index.js'
import {
  type BindingDelta, type KeyRef, MISSING_BINDING, applyBinding, bindCell, bindingVersion, boundKey, boundLife, cacheCell, heldLife, decodeBinding, encodeBinding, needsBinding,
  readFlowKeyRef, readGeneration, readOrdinal, reserveBindings, resolveCell,
} from './flow-table-bindings.js'

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

const NO_COLUMNS: number[] = []

/** A row of `width` zeros, by width: a decoded cell's numbers start as a copy of it (a packed array, copied whole). */
const zeroRows: number[][] = []
function zeroRow(width: number): number[] {
  let row = zeroRows[width]
  if (row === undefined) {
    row = []
    for (let i = 0; i < width; i++) row.push(0)
    zeroRows[width] = row
  }
  return row
}

const counterColumnCache = new WeakMap<FlowTableState, number[]>()
function cachedCounterColumns(state: FlowTableState): number[] {
  let columns = counterColumnCache.get(state)
  if (!columns) counterColumnCache.set(state, (columns = counterColumns(state)))
  return columns
}

export const flowTableOps: SlotOps<FlowTableState, FlowCellDelta, BindingDelta> = {
  version: (state, slot) => ((flagsOf(state, slot) & IN_USE) !== 0 ? versionOf(state, slot) : 0),
  owner: (state, slot) => state.links[slot * LINKS + LINK_ORIGIN]!,
  stamp(state, slot, version) {
    const flags = flagsOf(state, slot)
    setVersion(state, slot, version)
    if ((flags & WRITTEN) !== 0) setWriteVersion(state, slot, version)
    setFlags(state, slot, flags & ~(DIRTY | WRITTEN))
  },
  encodeSlot(encoder: Encoder, state, slot, origins: OriginCodec) {
    writeEntryKey(encoder, state, state.links[slot * LINKS + LINK_ENTRY]!)
    writeVarUint(encoder, state.links[slot * LINKS + LINK_ORDINAL]! + 1)
    if (state.links[slot * LINKS + LINK_ORDINAL]! >= 0) writeVarUint(encoder, state.links[slot * LINKS + LINK_GENERATION]!)
    encodeCellBody(encoder, state, slot, origins, false)
  },
  decodeSlot: (reader: Reader, origins: OriginCodec, state: FlowTableState, into?: FlowCellDelta) => decodeFlowCell(state, reader, origins, false, into),
  applySlot: applyFlowCell,
  *slots(state) {
    for (let cell = 0; cell < state.cellCount; cell++) {
      if ((flagsOf(state, cell) & IN_USE) !== 0 && versionOf(state, cell) > 0) yield cell
    }
  },
  absorb: absorbOrigin,
  dropOrigin,
  reserve(state, origin, cells, bindings) {
    // Called when nothing of `origin` is held: every cell is new, and may make a new entry (when
    // its flow is one this table holds already, that entry's room stays free for later ones).
    reserve(state, cells, cells)
    reserveBindings(state, origin, bindings)
  },
  interned: {
    encodeSlot(encoder, state, slot, origins) {
      writeVarUint(encoder, state.links[slot * LINKS + LINK_ORDINAL]!)
      encodeCellBody(encoder, state, slot, origins, true)
    },
    decodeSlot: (reader, origins, state, into) => decodeFlowCell(state, reader, origins, true, into),
    needsBinding,
    bind: bindCell,
    bindingVersion,
    encodeBinding,
    decodeBinding,
    applyBinding,
  },
}

/**
 * Bits of a cell's header byte. What the common case makes redundant is left out: the generation
 * when it is 1, the life when it is the one its binding recorded, the write version when it is
 * the cell's version (these three only in the interned encoding, where the binding and the
 * slot's version are at hand when applying), the last-write time when 0, deletions when none.
 */
const HEAD_GENERATION_ONE = 0x01
const HEAD_LIFE_AS_BOUND = 0x02
const HEAD_WRITES = 0x04
const HEAD_WRITE_AT_VERSION = 0x08
const HEAD_LAST = 0x10
const HEAD_REMOVALS = 0x20
/**
 * Interned encoding only: the key follows the header. A holder sends it for a cell whose binding
 * it no longer holds (an old copy of a cell whose ordinal its owner bound again), which a
 * receiver could otherwise never read: such a cell travels whole, like in the keyed encoding.
 */
const HEAD_KEYED = 0x40
const HEAD_INTERNED_ONLY = HEAD_GENERATION_ONE | HEAD_LIFE_AS_BOUND | HEAD_WRITE_AT_VERSION | HEAD_KEYED

/** Everything of a cell after its key (keyed) or ordinal (interned). */
function encodeCellBody(encoder: Encoder, state: FlowTableState, slot: number, origins: OriginCodec, interned: boolean): void {
    const flags = flagsOf(state, slot)
    const life = lifeOf(state, slot)
    const writeVersion = (flags & HAS_WRITES) !== 0 ? writeVersionOf(state, slot) : 0
    const lastMs = lastOf(state, slot)
    const removed = (flags & HAS_REMOVALS) !== 0 ? state.removals.get(slot) : undefined
    const generation = state.links[slot * LINKS + LINK_GENERATION]!
    let head = (writeVersion > 0 ? HEAD_WRITES : 0) | (lastMs > 0 ? HEAD_LAST : 0) | (removed ? HEAD_REMOVALS : 0)
    if (interned) {
      if (generation === 1) head |= HEAD_GENERATION_ONE
      const bound = boundLife(state, state.links[slot * LINKS + LINK_ORIGIN]!, state.links[slot * LINKS + LINK_ORDINAL]!, generation, versionOf(state, slot))
      if (bound < 0) head |= HEAD_KEYED
      else if (life === bound) head |= HEAD_LIFE_AS_BOUND
      if (writeVersion > 0 && writeVersion === versionOf(state, slot)) head |= HEAD_WRITE_AT_VERSION
    }
    writeU8(encoder, head)
    if ((head & HEAD_KEYED) !== 0) writeEntryKey(encoder, state, state.links[slot * LINKS + LINK_ENTRY]!)
    if (interned && (head & HEAD_GENERATION_ONE) === 0) writeVarUint(encoder, generation)
    if ((head & HEAD_LIFE_AS_BOUND) === 0) writeVarUint(encoder, life)
    if ((head & (HEAD_WRITES | HEAD_WRITE_AT_VERSION)) === HEAD_WRITES) writeVarUint(encoder, writeVersion)
    if (lastMs > 0) writeVarUint(encoder, lastMs)
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
    if (removed) {
      writeVarUint(encoder, removed.size)
      const columns = cachedCounterColumns(state)
      for (const [origin, base] of removed) {
        writeVarUint(encoder, origins.toWire(origin))
        writeVarUint(encoder, base.life)
        writeVarUint(encoder, base.writeVersion)
        for (const column of columns) writeVarUint(encoder, base.counters[column]!)
      }
    }
}

/** Where `decodeFlowCell` reads a cell's key. */
const keyRead: KeyRef = { key: null, bytes: null, at: 0 }

/**
 * Decodes one cell written by `encodeSlot`, for a table with this layout. Never touches state.
 * With `into` (a delta decoded before for this table, no longer needed), overwrites and returns
 * it instead of allocating one: the replica reads every frame into deltas it reuses (src/gossip.ts,
 * slot pools).
 */
export function decodeFlowCell(state: FlowTableState, reader: Reader, origins: OriginCodec, interned: boolean, into?: FlowCellDelta): FlowCellDelta {
  let key: FlowKey | null | undefined
  let keyBytes: Uint8Array | null = null
  let keyAt = 0
  let ordinal: number
  let generation = 0
  if (interned) {
    ordinal = readOrdinal(reader, 'cell ordinal')
  } else {
    readFlowKeyRef(reader, keyRead)
    key = keyRead.key
    keyBytes = keyRead.bytes
    keyAt = keyRead.at
    // The keyed form writes the ordinal plus one (0: not bound), then the generation if bound.
    ordinal = readOrdinal(reader, 'cell ordinal') - 1
    if (ordinal >= 0) generation = readGeneration(reader, 'cell generation')
  }
  const head = reader.u8('cell header')
  if (head > 0x7f || (!interned && (head & HEAD_INTERNED_ONLY) !== 0) || (head & (HEAD_WRITES | HEAD_WRITE_AT_VERSION)) === HEAD_WRITE_AT_VERSION
    || (head & (HEAD_KEYED | HEAD_LIFE_AS_BOUND)) === (HEAD_KEYED | HEAD_LIFE_AS_BOUND)) {
    throw new DecodeError(`cell header ${head} is not valid here`)
  }
  if ((head & HEAD_KEYED) !== 0) {
    readFlowKeyRef(reader, keyRead)
    key = keyRead.key
    keyBytes = keyRead.bytes
    keyAt = keyRead.at
  }
  if (interned) generation = (head & HEAD_GENERATION_ONE) !== 0 ? 1 : readGeneration(reader, 'cell generation')
  // -1: resolved when applied (the binding's life; the slot's version).
  const life = (head & HEAD_LIFE_AS_BOUND) !== 0 ? -1 : reader.varUint('cell life')
  const writeVersion = (head & HEAD_WRITES) === 0 ? 0 : (head & HEAD_WRITE_AT_VERSION) !== 0 ? -1 : reader.varUint('cell write version')
  const lastMs = (head & HEAD_LAST) !== 0 ? reader.varUint('cell last write') : 0
  const numbers = into === undefined ? zeroRow(state.width).slice() : into.numbers
  const objects: unknown[] = state.objectWidth === 0 ? NO_OBJECTS : into === undefined ? new Array(state.objectWidth) : into.objects
  for (const field of state.fields) {
    switch (field.kind) {
      case 'counter':
        numbers[field.offset] = reader.varUint(field.label)
        break
      case 'pnCounter':
        numbers[field.offset] = reader.varUint(field.label)
        numbers[field.offset + 1] = reader.varUint(field.label)
        break
      case 'maxRegister': {
        // Read from the cell's last-write time; its column is never written here, so stays 0.
        if (field.isLastSeen) break
        const tag = reader.u8(field.label)
        if (tag > 1) throw new DecodeError(`field ${field.name} has bad tag ${tag}`)
        numbers[field.offset] = tag === 0 ? -Infinity : reader.float64(field.label)
        if (tag === 1 && !Number.isFinite(numbers[field.offset]!)) throw new DecodeError(`field ${field.name} is not finite`)
        break
      }
      case 'register': {
        const wallMs = reader.varUint(field.label) - 1
        numbers[field.offset] = wallMs
        if (wallMs >= 0) {
          numbers[field.offset + 1] = reader.varUint(field.label)
          objects[field.objectOffset] = reader.value(field.label)
        } else {
          numbers[field.offset + 1] = 0
          objects[field.objectOffset] = undefined
        }
        break
      }
    }
  }
  const removedCount = (head & HEAD_REMOVALS) === 0 ? 0 : reader.count(Math.min(origins.size, reader.remaining), 'removal count')
  const removed: FlowCellDelta['removed'] = removedCount === 0 ? NO_REMOVALS : []
  const columns = removedCount === 0 ? NO_COLUMNS : cachedCounterColumns(state)
  for (let i = 0; i < removedCount; i++) {
    const originRef = reader.varUint('removal origin')
    if (originRef >= origins.size) throw new DecodeError(`removal names origin ${originRef}, frame has ${origins.size}`)
    const baseLife = reader.varUint('removal life')
    const baseWriteVersion = reader.varUint('removal write version')
    const counters = new Float64Array(state.width)
    for (const column of columns) counters[column] = reader.varUint('removal counter')
    removed.push({ originRef, life: baseLife, writeVersion: baseWriteVersion, counters })
  }
  if (into === undefined) return { key, keyBytes, keyAt, ordinal, generation, life, writeVersion, lastMs, numbers, objects, removed }
  into.key = key
  into.keyBytes = keyBytes
  into.keyAt = keyAt
  into.ordinal = ordinal
  into.generation = generation
  into.life = life
  into.writeVersion = writeVersion
  into.lastMs = lastMs
  into.removed = removed
  return into
}

function applyRegisters(state: FlowTableState, cell: number, delta: FlowCellDelta): void {
  for (const field of state.fields) {
    if (field.kind !== 'register') continue
    state.objects[cell * state.objectWidth + field.objectOffset] = delta.objects[field.objectOffset]
    const wallMs = delta.numbers[field.offset]!
    if (wallMs >= 0) state.context.observeTimestamp(wallMs, delta.numbers[field.offset + 1]!)
  }
}

/** The key `applyFlowCell` looks the entry up by, when the cell does not resolve to a cell held. */
const applyKey: KeyRef = { key: null, bytes: null, at: 0 }

function applyFlowCell(state: FlowTableState, origin: number, version: number, delta: FlowCellDelta, origins: OriginCodec): number {
  let entry: number | undefined
  let cell = -1
  let hash = 0
  let looked = false
  if (delta.key === undefined) {
    cell = resolveCell(state, origin, delta.ordinal, delta.generation)
    if (cell === MISSING_BINDING) return MISSING_BINDING
    if (cell >= 0) {
      entry = state.links[cell * LINKS + LINK_ENTRY]!
    } else {
      boundKey(state, origin, delta.ordinal, applyKey)
      looked = true
    }
  } else {
    applyKey.key = delta.key
    applyKey.bytes = delta.keyBytes
    applyKey.at = delta.keyAt
    looked = true
  }
  if (looked) {
    const key = applyKey.key
    hash = key === null ? hashPacked(applyKey.bytes!, applyKey.at) : hashKey(key)
    entry = key === null ? state.keyIndex.getPacked(applyKey.bytes!, applyKey.at, hash) : state.keyIndex.get(key, hash)
  }
  // An old cell is accepted even when the entry is unknown here: whether it is dead depends on
  // the entry's other cells, which may arrive later in the same exchange (rejecting it made a
  // join depend on slot order). Expired entries are dropped by `sweepExpired`.
  if (entry === undefined) {
    // Hashed once for the lookup that missed and the insert.
    const key = applyKey.key
    entry = key === null ? allocatePackedEntry(state, applyKey.bytes!, applyKey.at, hash) : allocateEntry(state, key, hash)
  } else {
    if (cell < 0) cell = findCell(state, entry, origin)
    // A dirty cell is our own with unstamped writes: no copy of it elsewhere can be newer (after
    // a sweep re-created it, it has version 0 and a peer may still hold its old copy).
    if (cell >= 0 && (versionOf(state, cell) >= version || (flagsOf(state, cell) & DIRTY) !== 0)) return -1
  }
  // A cell that names its binding found it held above (else it returned): its life is the binding's.
  const life = delta.life >= 0 ? delta.life : delta.key === undefined ? heldLife(state, origin, delta.ordinal) : boundLife(state, origin, delta.ordinal, delta.generation)
  const writeVersion = delta.writeVersion >= 0 ? delta.writeVersion : version
  if (cell < 0) cell = allocateCell(state, entry, origin)
  state.links[cell * LINKS + LINK_ORDINAL] = delta.ordinal
  state.links[cell * LINKS + LINK_GENERATION] = delta.generation
  if (delta.key === undefined) cacheCell(state, origin, delta.ordinal, cell)
  const hadRemovals = (flagsOf(state, cell) & HAS_REMOVALS) !== 0
  setVersion(state, cell, version)
  setLife(state, cell, life)
  setWriteVersion(state, cell, writeVersion)
  // A table that records no times keeps none: a peer of the same schema never sends one.
  setLast(state, cell, delta.lastMs)
  setFlags(state, cell, IN_USE | (writeVersion > 0 ? HAS_WRITES : 0))
  if (delta.lastMs > 0 && state.tracksTime && delta.lastMs > state.entryLast[entry]!) state.entryLast[entry] = delta.lastMs
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
        addRemovalCount(state, entry, 1)
        entryChanged(state, entry)
      }
      return cell
    }
  }
  if (hadRemovals) {
    clearRemovals(state, cell)
    addRemovalCount(state, entry, -1)
  }
  return cell
}
