/**
 * Regressions found by the frame fuzzer (property-tests/fuzz/, docs/fuzzing.md): input a peer can
 * send in a valid frame that made replicas diverge, throw half-way through applying a frame, or
 * hold values no write can make.
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { awSetOps, createAWSet } from '../../crdts/aw-set.js'
import { Reader, createEncoder, toBytes, writeValue } from '../../crdts/codec.js'
import { parseMessage } from '../../crdts/doc.js'
import { createFlowTable, layoutFields } from '../../crdts/flow-table.js'
import { flowTableOps } from '../../crdts/flow-table-slots.js'
import { createMaxRegister, globalValue as maxGlobal, maxRegisterOps } from '../../crdts/max-register.js'
import { createRegister, globalValue, registerOps } from '../../crdts/register.js'
import type { OriginCodec } from '../../crdts/slot-type.js'
import { DecodeError } from '../../src/errors.js'
import { createTestContext, createWorld } from '../../property-tests/harness/context.js'

/** Origin 1 of the frame is folded away here: it maps to -1, and nothing may be stored under -1. */
const foldedOrigin: OriginCodec = {
  size: 2,
  toWire: (origin) => {
    if (origin < 0) throw new Error(`origin ${origin} was stored and is now being encoded`)
    return origin
  },
  toLocal: (ref) => (ref === 1 ? -1 : ref),
}

describe('views depend on the slots held, not on the order they arrived in', () => {
  it('register: a newer version of the winning slot with an earlier timestamp hands the win on', () => {
    const world = createWorld(3, { ids: ['a', 'b', 'c'] })
    const stamped = (wallMs: number, value: string) => ({ wallMs, logical: 0, value })
    const sawOldVersion = createRegister<unknown>('init', createTestContext(world))
    registerOps.applySlot(sawOldVersion, 1, 1, stamped(10, 'late'), foldedOrigin)
    registerOps.applySlot(sawOldVersion, 2, 1, stamped(5, 'middle'), foldedOrigin)
    // A forged frame: origin 1's next version carries an earlier timestamp.
    registerOps.applySlot(sawOldVersion, 1, 2, stamped(1, 'early'), foldedOrigin)
    const sawOnlyNewVersion = createRegister<unknown>('init', createTestContext(world))
    registerOps.applySlot(sawOnlyNewVersion, 2, 1, stamped(5, 'middle'), foldedOrigin)
    registerOps.applySlot(sawOnlyNewVersion, 1, 2, stamped(1, 'early'), foldedOrigin)
    expect(globalValue(sawOldVersion)).toBe('middle')
    expect(globalValue(sawOnlyNewVersion)).toBe('middle')
  })

  it('maxRegister: a newer, smaller value of the largest slot lowers the maximum', () => {
    const sawOldVersion = createMaxRegister()
    maxRegisterOps.applySlot(sawOldVersion, 1, 1, 10, foldedOrigin)
    maxRegisterOps.applySlot(sawOldVersion, 2, 1, 5, foldedOrigin)
    maxRegisterOps.applySlot(sawOldVersion, 1, 2, 1, foldedOrigin)
    const sawOnlyNewVersion = createMaxRegister()
    maxRegisterOps.applySlot(sawOnlyNewVersion, 2, 1, 5, foldedOrigin)
    maxRegisterOps.applySlot(sawOnlyNewVersion, 1, 2, 1, foldedOrigin)
    expect(maxGlobal(sawOldVersion)).toBe(5)
    expect(maxGlobal(sawOnlyNewVersion)).toBe(5)
  })
})

describe('a removal that names an origin folded away here is dropped, not stored under -1', () => {
  it('set', () => {
    const state = createAWSet()
    const slot = awSetOps.applySlot(state, 0, 1, { element: 'x', adds: 1, removed: [[1, 3], [0, 1]] }, foldedOrigin)
    expect([...state.cells[slot]!.removed!.keys()]).toEqual([0])
    const encoder = createEncoder()
    awSetOps.encodeSlot(encoder, state, slot, foldedOrigin)
    expect(toBytes(encoder).length).toBeGreaterThan(0)
  })

  it('flow table', () => {
    const fields = { packets: { kind: 'counter' as const } }
    const state = createFlowTable({ fields }, createTestContext(createWorld(2)))
    const { width } = layoutFields(fields)
    const base = (originRef: number) => ({ originRef, life: 1, writeVersion: 1, counters: new Float64Array(width) })
    const cell = flowTableOps.applySlot(state, 0, 1, {
      key: 'flow', keyBytes: null, keyAt: 0, ordinal: -1, generation: 0, life: 1, writeVersion: 1, lastMs: 0, numbers: new Array(width).fill(1), objects: [], removed: [base(1)],
    }, foldedOrigin)
    expect(state.removals.get(cell)).toBeUndefined()
    const encoder = createEncoder()
    flowTableOps.encodeSlot(encoder, state, cell, foldedOrigin)
    expect(toBytes(encoder).length).toBeGreaterThan(0)
  })
})

describe('doc sync messages', () => {
  it('refuses an item that names a later clock of its own client as its origin', () => {
    // Client 1 inserts 'a' (clock 0), then 'b' after it (clock 1, origin 1:0).
    const writer = new Y.Doc()
    writer.clientID = 1
    writer.getArray<string>('list').insert(0, ['a'])
    const holdsA = Y.encodeStateVector(writer)
    writer.getArray<string>('list').insert(1, ['b'])
    const update = Y.encodeStateAsUpdate(writer, holdsA)
    expect(Buffer.from(update).toString('hex')).toBe('010101018801000177016200')
    // The same item naming clock 5 of its own client as its origin.
    const forged = Uint8Array.from(Buffer.from('010101018801050177016200', 'hex'))
    // An empty document keeps it pending (it lacks clock 0 of client 1), so the scratch check passed it...
    expect(() => Y.applyUpdate(new Y.Doc(), forged)).not.toThrow()
    // ...but a document that holds clock 0 integrates it and throws half-way.
    const holder = new Y.Doc()
    const first = new Y.Doc()
    first.clientID = 1
    first.getArray<string>('list').insert(0, ['a'])
    Y.applyUpdate(holder, Y.encodeStateAsUpdate(first))
    expect(() => Y.applyUpdate(holder, forged)).toThrow()
    expect(() => parseMessage(syncUpdate(forged))).toThrow(DecodeError)
    expect(parseMessage(syncUpdate(update)).type).toBe(2)
  })
})

describe('values', () => {
  it('a value nested deeper than any write may make (64 levels) is refused', () => {
    const nested = (depth: number) => {
      let value: unknown = 0
      for (let level = 0; level < depth; level++) value = [value]
      const encoder = createEncoder()
      writeValue(encoder, value)
      return toBytes(encoder)
    }
    expect(() => new Reader(nested(64)).value()).not.toThrow()
    expect(() => new Reader(nested(65)).value()).toThrow(DecodeError)
    // Deep enough to decode before the limit, too deep for JSON.stringify afterwards.
    expect(() => new Reader(nested(4_500)).value()).toThrow(DecodeError)
  })
})

/** A y-protocols update message: type 2, then the update with its length (shorter than 128 bytes here). */
function syncUpdate(update: Uint8Array): Uint8Array {
  return Uint8Array.from([2, update.length, ...update])
}
