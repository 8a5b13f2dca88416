import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FlowKey } from '../../crdts/flow-table.js'
import { KeyIndex, hashKey, hashPacked } from '../../crdts/key-index.js'
import { PACKED_FIVE_TUPLE_BYTES, packFiveTuple } from '../../crdts/five-tuple.js'

/**
 * An add in either form (`packed`: the key as a peer's frame carries a 5-tuple), a delete, or room
 * reserved for `more` entries beyond those used (as before a catch-up).
 */
type Op = { kind: 'add'; key: FlowKey; packed: boolean } | { kind: 'delete'; key: FlowKey } | { kind: 'reserve'; more: number }

/** Canonical 5-tuples from a small space, so the same key comes back in both forms. */
const fiveTuple: fc.Arbitrary<string> = fc.tuple(fc.nat(3), fc.constantFrom(1, 80, 443, 65535), fc.nat(2), fc.constantFrom(6, 17))
  .map(([host, port, other, protocol]) => `10.0.0.${host}:${port}>10.1.${other}.2:443/${protocol}`)

const key: fc.Arbitrary<FlowKey> = fc.oneof(
  fc.nat(300),
  fc.nat(300).map(String),
  fc.string({ maxLength: 4 }),
  fiveTuple,
  fc.constantFrom(2 ** 40, 2 ** 53 - 1, '10.0.0.1:1>10.0.0.2:2/6', '10.0.0.01:1>10.0.0.2:2/6', ''),
)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(key, fc.boolean()).map(([k, packed]) => ({ kind: 'add' as const, key: k, packed })) },
  { weight: 2, arbitrary: key.map((k) => ({ kind: 'delete' as const, key: k })) },
  { weight: 1, arbitrary: fc.nat(400).map((more) => ({ kind: 'reserve' as const, more })) },
)

function packed(key: FlowKey): Uint8Array | null {
  const bytes = new Uint8Array(PACKED_FIVE_TUPLE_BYTES + 3)
  // At an offset, as a key sits inside a frame.
  return typeof key === 'string' && packFiveTuple(key, bytes, 3) ? bytes : null
}

describe('KeyIndex', () => {
  it('behaves as a Map from keys to entries under random adds, deletes and reservations, a 5-tuple in either form (entries reused as a flow table does)', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const keys: (FlowKey | null | undefined)[] = []
      const free: number[] = []
      const index = new KeyIndex(keys)
      const model = new Map<FlowKey, number>()
      for (const step of ops) {
        if (step.kind === 'reserve') {
          index.reserve(keys.length + step.more)
          expect(index.size).toBe(model.size)
          continue
        }
        const k = step.key
        if (step.kind === 'add') {
          if (model.has(k)) continue
          const entry = free.pop() ?? keys.length
          const bytes = step.packed ? packed(k) : null
          if (bytes) {
            keys[entry] = null
            index.setPacked(bytes, 3, entry, hashPacked(bytes, 3))
          } else {
            keys[entry] = k
            index.set(k, entry)
          }
          model.set(k, entry)
        } else {
          const entry = model.get(k)
          expect(index.get(k)).toBe(entry)
          if (entry === undefined) continue
          expect(index.deleteEntry(entry)).toBe(true)
          expect(index.deleteEntry(entry)).toBe(false)
          keys[entry] = undefined
          free.push(entry)
          model.delete(k)
        }
        expect(index.size).toBe(model.size)
      }
      for (const [k, entry] of model) {
        expect(index.get(k)).toBe(entry)
        expect(index.keyOf(entry)).toBe(k)
        const bytes = packed(k)
        if (bytes) expect(index.getPacked(bytes, 3, hashPacked(bytes, 3))).toBe(entry)
      }
      for (const step of ops) {
        if (step.kind === 'reserve') continue
        const k = step.key
        if (model.has(k)) continue
        expect(index.get(k)).toBeUndefined()
        const bytes = packed(k)
        if (bytes) expect(index.getPacked(bytes, 3, hashPacked(bytes, 3))).toBeUndefined()
      }
      expect(new Map(index)).toEqual(model)
      // 7 and '7' are different keys.
      for (const [k] of model) if (typeof k === 'number') expect(index.get(String(k))).toBe(model.get(String(k)))
    }), { numRuns: 300 })
  })

  it('hashes a canonical 5-tuple string as its packed form, and a string that does not read back exactly as a plain string', () => {
    const bytes = packed('10.0.3.7:51234>10.1.0.2:443/6')!
    expect(hashKey('10.0.3.7:51234>10.1.0.2:443/6')).toBe(hashPacked(bytes, 3))
    // Leading zeros: not canonical, so never the same key as the packed one.
    expect(packed('10.0.3.07:51234>10.1.0.2:443/6')).toBeNull()
    const index = new KeyIndex([null])
    index.setPacked(bytes, 3, 0, hashPacked(bytes, 3))
    expect(index.get('10.0.3.7:51234>10.1.0.2:443/6')).toBe(0)
    expect(index.get('10.0.3.07:51234>10.1.0.2:443/6')).toBeUndefined()
    expect(index.keyOf(0)).toBe('10.0.3.7:51234>10.1.0.2:443/6')
  })
})
