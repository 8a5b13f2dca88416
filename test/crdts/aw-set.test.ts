import { describe, expect, it } from 'vitest'
import { add, awSetOps, createAWSet, has, localValues, remove, size, values } from '../../crdts/aw-set.js'
import { Reader, createEncoder, toBytes, writeKey, writeVarUint } from '../../crdts/codec.js'
import { joinInto } from '../../crdts/join.js'
import { DecodeError } from '../../src/errors.js'
import { awSetAdapter } from '../../property-tests/harness/types/aw-set.js'
import { badKeys, decodeSuite, dump, originTable, recordingSink } from './helpers.js'

/** Stamps every cell of `origin` (what a runtime round does). */
function stampAll(state: ReturnType<typeof createAWSet>, origin: number, version: number): void {
  for (const cell of state.cells) if (cell.origin === origin && cell.dirty) awSetOps.stamp(state, cell.slot, version)
}

describe('awSet', () => {
  it('adds and removes; 7 and "7" are different elements', () => {
    const state = createAWSet()
    add(state, 0, 7)
    add(state, 0, '7')
    add(state, 1, 'x')
    remove(state, 0, 7)
    expect(has(state, 7)).toBe(false)
    expect(has(state, '7')).toBe(true)
    expect([...values(state)]).toEqual(['7', 'x'])
    expect(size(state)).toBe(2)
    expect([...localValues(state, 1)]).toEqual(['x'])
    add(state, 0, 7)
    expect(has(state, 7)).toBe(true)
  })

  it('removing an absent element changes nothing and marks nothing', () => {
    const sink = recordingSink()
    const state = createAWSet(0, sink)
    remove(state, 0, 'nothing')
    expect(state.cells).toEqual([])
    expect(sink.calls).toEqual([])
  })

  it.each(badKeys.map((key) => [key]))('rejects add(%s) and delete(%s) with a RangeError and changes nothing', (bad) => {
    const sink = recordingSink()
    const state = createAWSet(0, sink)
    add(state, 0, 'kept')
    const before = JSON.stringify(dump(state))
    expect(() => add(state, 0, bad as string)).toThrow(RangeError)
    expect(() => remove(state, 0, bad as string)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
    expect(sink.calls.length).toBe(1)
  })

  it('an add concurrent with a remove wins; a remove wins over the adds it saw', () => {
    const a = createAWSet()
    const b = createAWSet()
    add(a, 0, 'x')
    stampAll(a, 0, 1)
    joinInto(awSetOps, b, a)
    remove(b, 1, 'x')
    add(a, 0, 'x') // again, concurrently with b's remove: a new tag
    stampAll(a, 0, 2)
    stampAll(b, 1, 1)
    joinInto(awSetOps, a, b)
    joinInto(awSetOps, b, a)
    expect(has(a, 'x')).toBe(true)
    expect(has(b, 'x')).toBe(true)
    remove(b, 1, 'x')
    stampAll(b, 1, 2)
    joinInto(awSetOps, a, b)
    expect(has(a, 'x')).toBe(false)
  })

  it('re-adding within one round takes no second tag', () => {
    const sink = recordingSink()
    const state = createAWSet(0, sink)
    add(state, 0, 'x')
    add(state, 0, 'x')
    expect(state.cells[0]!.adds).toBe(1)
    expect(sink.calls).toEqual([[0, 0]])
  })

  it('refuses a removal that names an origin outside the frame', () => {
    const encoder = createEncoder()
    writeKey(encoder, 'x')
    writeVarUint(encoder, 1)
    writeVarUint(encoder, 1)
    writeVarUint(encoder, 5)
    writeVarUint(encoder, 1)
    expect(() => awSetOps.decodeSlot(new Reader(toBytes(encoder)), originTable(3), createAWSet())).toThrow(DecodeError)
  })
})

decodeSuite(awSetAdapter)
