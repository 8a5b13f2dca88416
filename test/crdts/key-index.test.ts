import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FlowKey } from '../../crdts/flow-table.js'
import { KeyIndex } from '../../crdts/key-index.js'

type Op = { kind: 'add'; key: FlowKey } | { kind: 'delete'; key: FlowKey }

const key: fc.Arbitrary<FlowKey> = fc.oneof(
  fc.nat(300),
  fc.nat(300).map(String),
  fc.string({ maxLength: 4 }),
  fc.constantFrom(2 ** 40, 2 ** 53 - 1, '10.0.0.1:1>10.0.0.2:2/6', ''),
)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: key.map((k) => ({ kind: 'add' as const, key: k })) },
  { weight: 2, arbitrary: key.map((k) => ({ kind: 'delete' as const, key: k })) },
)

describe('KeyIndex', () => {
  it('behaves as a Map from keys to entries under random adds and deletes (entries reused as a flow table does)', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const keys: (FlowKey | undefined)[] = []
      const free: number[] = []
      const index = new KeyIndex(keys)
      const model = new Map<FlowKey, number>()
      for (const { kind, key: k } of ops) {
        if (kind === 'add') {
          if (model.has(k)) continue
          const entry = free.pop() ?? keys.length
          keys[entry] = k
          index.set(k, entry)
          model.set(k, entry)
        } else {
          const entry = model.get(k)
          expect(index.delete(k)).toBe(entry !== undefined)
          if (entry === undefined) continue
          keys[entry] = undefined
          free.push(entry)
          model.delete(k)
        }
        expect(index.size).toBe(model.size)
      }
      for (const [k, entry] of model) expect(index.get(k)).toBe(entry)
      for (const { key: k } of ops) if (!model.has(k)) expect(index.get(k)).toBeUndefined()
      expect(new Map(index)).toEqual(model)
      // 7 and '7' are different keys.
      for (const [k] of model) if (typeof k === 'number') expect(index.get(String(k))).toBe(model.get(String(k)))
    }), { numRuns: 300 })
  })
})
