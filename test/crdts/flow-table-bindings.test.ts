/**
 * Key interning of flow tables (crdts/flow-table-bindings.ts, docs/protocol.md "A cell does not
 * carry its flow key"), on the state: the owner binds a cell to an (ordinal, generation) of its
 * origin before its first stamp; the binding carries the key, the cell names only the binding;
 * a receiver resolves the key through its bindings of that origin, which outlive its own expiry
 * sweep; ordinals of own cells dropped by the sweep are reused with the next generation; a cell
 * whose binding is not held is refused with MISSING_BINDING and changes nothing.
 */
import { describe, expect, it } from 'vitest'
import {
  type FlowKey, type FlowTableConfig, type FlowTableState, createFlowTable, entryFor, fieldGlobal, fieldLocal,
  findCell, incrementField, keys, lifeOf, lookup, setField, size, sweepExpired, versionOf, writeVersionOf,
} from '../../crdts/flow-table.js'
import { flowTableOps } from '../../crdts/flow-table-slots.js'
import { keyOfRef } from '../../crdts/flow-table-bindings.js'
import { MISSING_BINDING } from '../../crdts/slot-type.js'
import { PACKED_KEY_TAG, Reader, createEncoder, toBytes, writeKey, writeVarUint } from '../../crdts/codec.js'
import { PACKED_FIVE_TUPLE_BYTES, packFiveTuple, writePackedKey } from '../../crdts/five-tuple.js'
import { flowKey } from '../../src/index.js'
import { identityOrigins, joinInto } from '../../crdts/join.js'
import { DecodeError } from '../../src/errors.js'
import { type World, advance, createTestContext, createWorld } from '../../property-tests/harness/context.js'
import { dump } from './helpers.js'

const interned = flowTableOps.interned!
const needsBinding = (state: FlowTableState, cell: number) => interned.needsBinding(state, cell)
const bindingVersion = (state: FlowTableState, origin: number, ordinal: number) => interned.bindingVersion(state, origin, ordinal)
const encodeBinding = (encoder: ReturnType<typeof createEncoder>, state: FlowTableState, origin: number, ordinal: number) => interned.encodeBinding(encoder, state, origin, ordinal)
const decodeBinding = (reader: Reader) => interned.decodeBinding(reader)

/**
 * The key this state holds for `origin`'s binding (ordinal, generation), or undefined when it
 * holds no binding of that ordinal or one of another generation (read through the interned ops:
 * what a receiver would resolve a cell naming it to).
 */
function boundKey(state: FlowTableState, origin: number, ordinal: number, generation: number): FlowKey | undefined {
  if (bindingVersion(state, origin, ordinal) === 0) return undefined
  const encoder = createEncoder()
  encodeBinding(encoder, state, origin, ordinal)
  const held = decodeBinding(new Reader(toBytes(encoder)))
  return held.ordinal === ordinal && held.generation === generation ? keyOfRef(held) : undefined
}

/** Idle expiry after 100 ms, cells dropped 50 ms later (a sweep drops an entry idle for 150 ms). */
const config: FlowTableConfig = {
  fields: { packets: { kind: 'counter' }, tag: { kind: 'register', initial: '' } },
  idleTimeoutMs: 100,
  gcGraceMs: 50,
}

const A = 0
const B = 1
const C = 2

/** Keys as long as a 5-tuple, kept as strings on the wire (not in `flowKey()`'s form), easy to find in bytes. */
const K1 = 'tcp 10.0.0.1:40000 -> 192.168.7.21:443'
const K2 = 'tcp 10.0.0.2:40001 -> 192.168.7.22:443'
const K3 = 7

function tables(world: World, count: number): FlowTableState[] {
  return Array.from({ length: count }, (_, origin) => createFlowTable(config, createTestContext(world, origin)))
}

function layout(state: FlowTableState, name: string) {
  return state.fieldByName.get(name)!
}

/** An owner's write: `n` packets and the tag `String(key)`; returns the owner's cell. */
function write(state: FlowTableState, origin: number, key: FlowKey, n: number): number {
  incrementField(state, entryFor(state, key), origin, layout(state, 'packets'), n)
  setField(state, entryFor(state, key), origin, layout(state, 'tag'), String(key))
  return findCell(state, state.keyIndex.get(key)!, origin)
}

interface Stamped {
  /** The binding made for this stamp (null: the cell was bound already). */
  binding: { ordinal: number; version: number } | null
  version: number
}

/** What the replica's `stampSlot` does: a cell without a binding is bound first, at `version`, and takes the next one. */
function stamp(state: FlowTableState, origin: number, cell: number, version: number): Stamped {
  let binding: Stamped['binding'] = null
  if (interned.needsBinding(state, cell)) {
    binding = { ordinal: interned.bind(state, origin, cell, version), version }
    version++
  }
  flowTableOps.stamp(state, cell, version)
  return { binding, version }
}

/** A cell's (ordinal, generation), as its interned encoding names them. */
function bindingOf(state: FlowTableState, cell: number): { ordinal: number; generation: number } {
  const delta = interned.decodeSlot(new Reader(cellBytes(state, cell)), identityOrigins, state)
  return { ordinal: delta.ordinal, generation: delta.generation }
}

function bindingBytes(state: FlowTableState, origin: number, ordinal: number): Uint8Array {
  const encoder = createEncoder()
  interned.encodeBinding(encoder, state, origin, ordinal)
  return toBytes(encoder)
}

function cellBytes(state: FlowTableState, cell: number): Uint8Array {
  const encoder = createEncoder()
  interned.encodeSlot(encoder, state, cell, identityOrigins)
  return toBytes(encoder)
}

/** Decodes a binding (every byte consumed) and joins it at `version`. */
function receiveBinding(into: FlowTableState, origin: number, version: number, bytes: Uint8Array): number {
  const reader = new Reader(bytes)
  const delta = interned.decodeBinding(reader)
  reader.end('binding')
  return interned.applyBinding(into, origin, version, delta)
}

/** Decodes an interned cell (every byte consumed) and applies it at `version`. */
function receiveCell(into: FlowTableState, origin: number, version: number, bytes: Uint8Array): number {
  const reader = new Reader(bytes)
  const delta = interned.decodeSlot(reader, identityOrigins, into)
  reader.end('cell')
  expect(delta.key, 'an interned cell carries no key').toBeUndefined()
  return flowTableOps.applySlot(into, origin, version, delta, identityOrigins)
}

/** Sends the binding (if one was made) and the cell, as gossip would, in version order. */
function send(from: FlowTableState, into: FlowTableState, origin: number, cell: number, stamped: Stamped): number {
  if (stamped.binding) {
    expect(receiveBinding(into, origin, stamped.binding.version, bindingBytes(from, origin, stamped.binding.ordinal))).toBe(stamped.binding.ordinal)
  }
  return receiveCell(into, origin, stamped.version, cellBytes(from, cell))
}

/** Whether `needle` occurs in `bytes`. */
function contains(bytes: Uint8Array, needle: string): boolean {
  return Buffer.from(bytes).includes(Buffer.from(needle, 'utf8'))
}

function globalOf(state: FlowTableState, key: FlowKey): { packets: unknown; tag: unknown } | 'absent' {
  const entry = lookup(state, key)
  if (entry < 0) return 'absent'
  return { packets: fieldGlobal(state, entry, layout(state, 'packets')), tag: fieldGlobal(state, entry, layout(state, 'tag')) }
}

/** What a reader sees of a table: visible keys and each one's global values. */
function view(state: FlowTableState): unknown {
  return { size: size(state), keys: [...keys(state)].map((key) => [key, globalOf(state, key)]) }
}

describe('flow table key bindings', () => {
  it('the owner binds a cell before its first stamp; the binding carries the key, the cell only the binding', () => {
    const world = createWorld(2)
    const [a, b] = tables(world, 2) as [FlowTableState, FlowTableState]
    const cell1 = write(a, A, K1, 3)
    const cell2 = write(a, A, K3, 4)
    expect(needsBinding(a, cell1)).toBe(true)
    const first = stamp(a, A, cell1, 1)
    const second = stamp(a, A, cell2, first.version + 1)
    // The binding takes the version just before the cell's; distinct cells get distinct ordinals.
    expect(first).toEqual({ binding: { ordinal: 0, version: 1 }, version: 2 })
    expect(second).toEqual({ binding: { ordinal: 1, version: 3 }, version: 4 })
    expect(needsBinding(a, cell1)).toBe(false)
    expect(bindingVersion(a, A, 0)).toBe(1)
    expect(bindingVersion(a, A, 1)).toBe(3)
    expect(boundKey(a, A, 0, 1)).toBe(K1)
    expect(boundKey(a, A, 1, 1)).toBe(K3)

    // The key is in the binding, not in the cell (whose tag register holds String(K1) too: the
    // state-level encoding, key included, is longer by the key's bytes).
    expect(contains(bindingBytes(a, A, 0), K1)).toBe(true)
    const full = createEncoder()
    flowTableOps.encodeSlot(full, a, cell1, identityOrigins)
    expect(toBytes(full).length - cellBytes(a, cell1).length).toBeGreaterThan(K1.length)
    const untagged = createFlowTable(config, createTestContext(world, A))
    incrementField(untagged, entryFor(untagged, K2), A, layout(untagged, 'packets'), 1)
    const cellK2 = findCell(untagged, untagged.keyIndex.get(K2)!, A)
    stamp(untagged, A, cellK2, 1)
    expect(contains(cellBytes(untagged, cellK2), K2)).toBe(false)
    expect(contains(bindingBytes(untagged, A, 0), K2)).toBe(true)

    // B learns both through the interned wire path.
    expect(send(a, b, A, cell1, first)).toBeGreaterThanOrEqual(0)
    expect(send(a, b, A, cell2, second)).toBeGreaterThanOrEqual(0)
    expect(view(b)).toEqual(view(a))
    expect(globalOf(b, K1)).toEqual({ packets: 3, tag: K1 })
    expect(globalOf(b, K3)).toEqual({ packets: 4, tag: String(K3) })
    expect(fieldLocal(b, lookup(b, K1), A, layout(b, 'packets'))).toBe(3)
    expect(fieldLocal(b, lookup(b, K1), B, layout(b, 'packets'))).toBe(0)
    // Applied again: nothing newer, nothing changes.
    const before = JSON.stringify(dump(b))
    expect(receiveCell(b, A, first.version, cellBytes(a, cell1))).toBe(-1)
    expect(JSON.stringify(dump(b))).toBe(before)

    // B's own write to K1 counts with A's.
    const cellB = write(b, B, K1, 10)
    const stampedB = stamp(b, B, cellB, 1)
    expect(stampedB.binding).toEqual({ ordinal: 0, version: 1 }) // B's own ordinal space
    expect(send(b, a, B, cellB, stampedB)).toBeGreaterThanOrEqual(0)
    expect(globalOf(a, K1)).toEqual(globalOf(b, K1))
    expect((globalOf(a, K1) as { packets: number }).packets).toBe(13)
  })

  it('an own 5-tuple key is packed once, when bound: the binding holds its 13 bytes, no string, and carries what writeKey writes', () => {
    const world = createWorld(2)
    const [a, b] = tables(world, 2) as [FlowTableState, FlowTableState]
    const tuple = flowKey({ src: '10.0.0.1', sport: 40000, dst: '192.168.7.21', dport: 443, proto: 6 })
    const tupleCell = write(a, A, tuple, 2)
    const plainCell = write(a, A, K1, 3)
    const first = stamp(a, A, tupleCell, 1)
    const second = stamp(a, A, plainCell, first.version + 1)
    const bindings = a.bindings[A]!
    // The 5-tuple: no string kept by the binding, its bytes in the packed column.
    expect(bindings.keys[first.binding!.ordinal] ?? null).toBeNull()
    const packed = new Uint8Array(PACKED_FIVE_TUPLE_BYTES)
    expect(packFiveTuple(tuple, packed, 0)).toBe(true)
    const at = first.binding!.ordinal * PACKED_FIVE_TUPLE_BYTES
    expect([...bindings.packed.subarray(at, at + PACKED_FIVE_TUPLE_BYTES)]).toEqual([...packed])
    // Any other key stays a string.
    expect(bindings.keys[second.binding!.ordinal]).toBe(K1)
    // On the wire, the binding ends with the key as `writeKey` writes the string.
    const written = createEncoder()
    writeKey(written, tuple)
    const key = toBytes(written)
    const binding = bindingBytes(a, A, first.binding!.ordinal)
    expect([...binding.subarray(binding.length - key.length)]).toEqual([...key])
    expect(boundKey(a, A, first.binding!.ordinal, 1)).toBe(tuple)
    expect(send(a, b, A, tupleCell, first)).toBeGreaterThanOrEqual(0)
    expect(send(a, b, A, plainCell, second)).toBeGreaterThanOrEqual(0)
    expect(globalOf(b, tuple)).toEqual(globalOf(a, tuple))
    expect(view(b)).toEqual(view(a))
  })

  it('the state-level encoding carries the key and the ordinal, so joinInto needs no binding', () => {
    const world = createWorld(2)
    const [a, b] = tables(world, 2) as [FlowTableState, FlowTableState]
    const cell = write(a, A, K1, 5)
    stamp(a, A, cell, 1)
    const encoder = createEncoder()
    flowTableOps.encodeSlot(encoder, a, cell, identityOrigins)
    const delta = flowTableOps.decodeSlot(new Reader(toBytes(encoder)), identityOrigins, b)
    expect([delta.key, delta.ordinal, delta.generation]).toEqual([K1, 0, 1])
    expect(joinInto(flowTableOps, b, a)).toBe(1)
    expect(globalOf(b, K1)).toEqual({ packets: 5, tag: K1 })
  })

  it('a binding outlives the receiver\'s sweep: a later change of the cell still resolves its key', () => {
    // B's clock runs 60 ms ahead: B drops the entry while A has not even expired it.
    const world = createWorld(2, { ids: ['a', 'b'], skewMs: [0, 60] })
    const [a, b] = tables(world, 2) as [FlowTableState, FlowTableState]
    const cell = write(a, A, K1, 2)
    const first = stamp(a, A, cell, 1)
    expect(send(a, b, A, cell, first)).toBeGreaterThanOrEqual(0)
    expect(globalOf(b, K1)).toEqual({ packets: 2, tag: K1 })

    advance(world, 95) // A: idle 95 ms (< 100, visible); B: idle 155 ms (>= 150, swept)
    expect(globalOf(a, K1)).toEqual({ packets: 2, tag: K1 })
    expect(sweepExpired(a)).toBe(0)
    expect(sweepExpired(b)).toBe(1)
    expect(b.keyIndex.has(K1)).toBe(false)
    expect(globalOf(b, K1)).toBe('absent')
    // The binding stayed.
    expect(boundKey(b, A, first.binding!.ordinal, 1)).toBe(K1)
    expect(bindingVersion(b, A, first.binding!.ordinal)).toBe(first.binding!.version)

    // A writes the same cell again: no new binding, only the cell travels.
    expect(write(a, A, K1, 3)).toBe(cell)
    const second = stamp(a, A, cell, first.version + 1)
    expect(second.binding).toBeNull()
    expect(receiveCell(b, A, second.version, cellBytes(a, cell))).toBeGreaterThanOrEqual(0)
    expect(globalOf(a, K1)).toEqual({ packets: 5, tag: K1 })
    expect(globalOf(b, K1)).toEqual(globalOf(a, K1))
    expect([...keys(b)]).toEqual([K1])
  })

  it('an ordinal freed by the owner\'s sweep is reused with the next generation; a stale copy of the old cell is refused', () => {
    const world = createWorld(3)
    const [a, b, c] = tables(world, 3) as [FlowTableState, FlowTableState, FlowTableState]
    const old = write(a, A, K1, 4)
    const first = stamp(a, A, old, 1)
    expect(first.binding).toEqual({ ordinal: 0, version: 1 })
    const staleBytes = cellBytes(a, old) // a copy of the old cell, as some replica may still hold it
    const staleBinding = bindingBytes(a, A, 0)
    expect(send(a, b, A, old, first)).toBeGreaterThanOrEqual(0)

    advance(world, 150)
    expect(sweepExpired(a)).toBe(1) // A's own cell goes: ordinal 0 is free
    expect(a.keyIndex.has(K1)).toBe(false)

    const fresh = write(a, A, K2, 6)
    const second = stamp(a, A, fresh, first.version + 1)
    expect(second.binding).toEqual({ ordinal: 0, version: 3 })
    expect(bindingOf(a, fresh)).toEqual({ ordinal: 0, generation: 2 })
    expect(boundKey(a, A, 0, 2)).toBe(K2)
    expect(boundKey(a, A, 0, 1)).toBeUndefined()
    // The free list held one ordinal: the next new cell takes a new one.
    const other = write(a, A, K3, 1)
    expect(stamp(a, A, other, second.version + 1).binding).toEqual({ ordinal: 1, version: 5 })
    expect(bindingOf(a, other)).toEqual({ ordinal: 1, generation: 1 })

    // C never saw the old binding; B holds it and the old cell (expired, not swept).
    for (const receiver of [c, b]) {
      expect(send(a, receiver, A, fresh, second)).toBeGreaterThanOrEqual(0)
      expect(globalOf(receiver, K2)).toEqual({ packets: 6, tag: K2 })
      expect(globalOf(receiver, K1)).toBe('absent')
      expect(boundKey(receiver, A, 0, 2)).toBe(K2)
      expect(boundKey(receiver, A, 0, 1)).toBeUndefined()

      const before = JSON.stringify(dump(receiver))
      const seen = view(receiver)
      // The stale copy names (0, generation 1): that binding is gone, it must not read as K2.
      expect(receiveCell(receiver, A, first.version, staleBytes)).toBe(MISSING_BINDING)
      expect(receiveCell(receiver, A, second.version + 10, staleBytes), 'even with a newer version').toBe(MISSING_BINDING)
      expect(view(receiver)).toEqual(seen)
      expect(globalOf(receiver, K2)).toEqual({ packets: 6, tag: K2 })
      expect(JSON.stringify(dump(receiver))).toBe(before)
    }
    // The old binding arriving late does not replace the newer one.
    expect(receiveBinding(c, A, first.binding!.version, staleBinding)).toBe(-1)
    expect(boundKey(c, A, 0, 2)).toBe(K2)
    expect(receiveCell(c, A, first.version, staleBytes)).toBe(MISSING_BINDING)
  })

  it('a cell whose binding was never received is refused and changes nothing', () => {
    const world = createWorld(2)
    const [a, b] = tables(world, 2) as [FlowTableState, FlowTableState]
    const cell = write(a, A, K1, 1)
    const stamped = stamp(a, A, cell, 1)
    const before = JSON.stringify(dump(b))
    expect(receiveCell(b, A, stamped.version, cellBytes(a, cell))).toBe(MISSING_BINDING)
    expect(JSON.stringify(dump(b))).toBe(before)
    expect(view(b)).toEqual({ size: 0, keys: [] })
    // A binding of another origin, or another generation, does not do either.
    write(b, B, K1, 1)
    const own = stamp(b, B, findCell(b, b.keyIndex.get(K1)!, B), 1)
    expect(own.binding?.ordinal).toBe(0) // B holds (B, 0, 1) -> K1, not (A, 0, 1)
    const mine = JSON.stringify(dump(b))
    expect(receiveCell(b, A, stamped.version, cellBytes(a, cell))).toBe(MISSING_BINDING)
    expect(JSON.stringify(dump(b))).toBe(mine)
    expect(receiveBinding(b, A, stamped.binding!.version, bindingBytes(a, A, 0))).toBe(0)
    expect(receiveCell(b, A, stamped.version, cellBytes(a, cell))).toBeGreaterThanOrEqual(0)
    expect(globalOf(b, K1)).toEqual({ packets: 2, tag: K1 })
  })

  it('dropOrigin forgets the origin\'s bindings: a later cell naming them is refused', () => {
    const world = createWorld(3)
    const [a, b] = tables(world, 3) as [FlowTableState, FlowTableState]
    const cell = write(a, A, K1, 2)
    const first = stamp(a, A, cell, 1)
    expect(send(a, b, A, cell, first)).toBeGreaterThanOrEqual(0)
    // C's cell of K1 in B keeps the entry (and its binding of C) after A is dropped.
    const c = createFlowTable(config, createTestContext(world, C))
    const cellC = write(c, C, K1, 1)
    expect(send(c, b, C, cellC, stamp(c, C, cellC, 1))).toBeGreaterThanOrEqual(0)
    expect(globalOf(b, K1)).toEqual({ packets: 3, tag: expect.any(String) })

    flowTableOps.dropOrigin!(b, A)
    expect(boundKey(b, A, 0, 1)).toBeUndefined()
    expect(bindingVersion(b, A, 0)).toBe(0)
    expect(boundKey(b, C, 0, 1)).toBe(K1)
    expect(globalOf(b, K1)).toEqual({ packets: 1, tag: K1 })

    write(a, A, K1, 5)
    const second = stamp(a, A, cell, first.version + 1)
    expect(second.binding).toBeNull()
    const before = JSON.stringify(dump(b))
    expect(receiveCell(b, A, second.version, cellBytes(a, cell))).toBe(MISSING_BINDING)
    expect(JSON.stringify(dump(b))).toBe(before)
    expect(globalOf(b, K1)).toEqual({ packets: 1, tag: K1 })
  })

  it('decodeBinding reads what encodeBinding wrote, and refuses generation 0 and out-of-range ordinals', () => {
    const world = createWorld(1)
    const [a] = tables(world, 1) as [FlowTableState]
    stamp(a, A, write(a, A, K3, 1), 1)
    const bytes = [...bindingBytes(a, A, 0)]
    const decode = (payload: number[]) => {
      const reader = new Reader(new Uint8Array(payload))
      const delta = decodeBinding(reader)
      reader.end('binding')
      return delta
    }
    expect(decode(bytes)).toMatchObject({ ordinal: 0, generation: 1, key: K3 })
    // The payload starts with the ordinal and the generation (docs/protocol.md), one byte each here.
    expect(bytes.slice(0, 2)).toEqual([0, 1])
    expect(decode([5, 3, ...bytes.slice(2)])).toMatchObject({ ordinal: 5, generation: 3, key: K3 })
    expect(() => decode([0, 0, ...bytes.slice(2)])).toThrow(DecodeError)
    expect(() => decode([0x80, 0x80, 0x80, 0x80, 0x08, ...bytes.slice(1)])).toThrow(DecodeError) // ordinal 2^31
    expect(() => decode([0, 0x80, 0x80, 0x80, 0x80, 0x08, ...bytes.slice(2)])).toThrow(DecodeError) // generation 2^31
    for (let length = 0; length < bytes.length; length++) expect(() => decode(bytes.slice(0, length))).toThrow(DecodeError)
  })

  it('a binding keeps versions and lives past 2^32 exactly, and an ordinal bound again reads its new key in either form', () => {
    const world = createWorld(2)
    const [b] = tables(world, 2) as [FlowTableState, FlowTableState]
    const payload = (ordinal: number, generation: number, life: number, key: FlowKey, packed = false) => {
      const encoder = createEncoder()
      writeVarUint(encoder, ordinal)
      writeVarUint(encoder, generation)
      writeVarUint(encoder, life)
      if (packed) {
        const bytes = new Uint8Array(PACKED_FIVE_TUPLE_BYTES)
        expect(packFiveTuple(key as string, bytes, 0)).toBe(true)
        writePackedKey(encoder, bytes, 0, PACKED_KEY_TAG)
      } else {
        writeKey(encoder, key)
      }
      return toBytes(encoder)
    }
    const heldLife = (ordinal: number) => decodeBinding(new Reader(bindingBytes(b, A, ordinal))).life
    // Small numbers first (the narrow columns), then ones that need eight bytes.
    expect(receiveBinding(b, A, 5, payload(0, 1, 2, K1))).toBe(0)
    const bigVersion = 2 ** 40 + 3
    const bigLife = 2 ** 33 + 1
    expect(receiveBinding(b, A, bigVersion, payload(1, 1, bigLife, K2))).toBe(1)
    expect(bindingVersion(b, A, 0)).toBe(5)
    expect(heldLife(0)).toBe(2)
    expect(bindingVersion(b, A, 1)).toBe(bigVersion)
    expect(heldLife(1)).toBe(bigLife)
    expect(boundKey(b, A, 1, 1)).toBe(K2)
    // An older copy of the binding is refused, a newer one replaces it.
    expect(receiveBinding(b, A, bigVersion - 1, payload(1, 1, 7, K1))).toBe(-1)
    expect(boundKey(b, A, 1, 1)).toBe(K2)
    // Ordinal 0 bound again with a 5-tuple key sent packed, then again with a string key.
    const tuple = flowKey({ src: '10.0.0.9', sport: 1234, dst: '10.1.0.1', dport: 80, proto: 6 })
    expect(receiveBinding(b, A, bigVersion + 1, payload(0, 2, 1, tuple, true))).toBe(0)
    expect(boundKey(b, A, 0, 2)).toBe(tuple)
    expect(receiveBinding(b, A, bigVersion + 2, payload(0, 3, 1, K3))).toBe(0)
    expect(boundKey(b, A, 0, 3)).toBe(K3)
    expect(receiveBinding(b, A, bigVersion + 3, payload(0, 4, 1, tuple, true))).toBe(0)
    expect(boundKey(b, A, 0, 4)).toBe(tuple)
    expect(bindingVersion(b, A, 0)).toBe(bigVersion + 3)
  })

  it('a cell whose version, write version or life needs more than four bytes keeps them, at its owner and at a receiver', () => {
    const world = createWorld(2)
    const [a, b] = tables(world, 2) as [FlowTableState, FlowTableState]
    // Own lives come from one counter; start it high, as years of churn would.
    a.ownLives = 2 ** 33
    const small = write(a, A, K2, 1)
    expect(lifeOf(a, small)).toBe(2 ** 33 + 1)
    const cell = write(a, A, K1, 5)
    expect(lifeOf(a, cell)).toBe(2 ** 33 + 2)
    const first = stamp(a, A, small, 2 ** 40)
    const second = stamp(a, A, cell, first.version + 1)
    expect([versionOf(a, small), writeVersionOf(a, small)]).toEqual([2 ** 40 + 1, 2 ** 40 + 1])
    const atB = send(a, b, A, small, first)
    expect(send(a, b, A, cell, second)).toBeGreaterThanOrEqual(0)
    expect([lifeOf(b, atB), versionOf(b, atB), writeVersionOf(b, atB)]).toEqual([2 ** 33 + 1, 2 ** 40 + 1, 2 ** 40 + 1])
    const cellAtB = findCell(b, b.keyIndex.get(K1)!, A)
    expect([lifeOf(b, cellAtB), versionOf(b, cellAtB)]).toEqual([2 ** 33 + 2, second.version])
    expect(view(b)).toEqual(view(a))
    // An older copy is refused, and B sends the cell on with its life (the keyed encoding carries it whole).
    expect(receiveCell(b, A, 2 ** 40 - 1, cellBytes(a, small))).toBe(-1)
    const full = createEncoder()
    flowTableOps.encodeSlot(full, b, atB, identityOrigins)
    expect(flowTableOps.decodeSlot(new Reader(toBytes(full)), identityOrigins, b).life).toBe(2 ** 33 + 1)
  })
})
