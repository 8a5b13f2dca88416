/**
 * The handle layer's memory of where each key is (src/entry-refs.ts) against the table itself:
 * two simulations run the same random history, one writing through the handles (fresh entry
 * objects, entry objects and field views kept across the history), the other through the flow
 * table's own functions, which find the key's entry and own cell anew on every write. Deletions
 * arriving from a peer, own deletions, idle expiry and dropped entries move the table's epoch
 * and reuse entry and cell numbers; whatever the handles remember, both simulations must hold
 * the same state after every step, and every way of reading must agree.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as flowTableType from '../../crdts/flow-table.js'
import type { FlowTableState } from '../../crdts/flow-table.js'
import { counter, defineState, flowKey, flowTable, maxRegister, pnCounter, register } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { checkProperty } from '../../property-tests/harness/runs.js'

const fields = { packets: counter(), balance: pnCounter(), peak: maxRegister(), verdict: register('allow') }
const Tables = defineState({
  flows: flowTable({ fields }),
  idle: flowTable({ fields, idleTimeoutMs: 300 }),
})
type TableName = 'flows' | 'idle'
type FieldName = keyof typeof fields

/** Few keys, so that writes, deletions and expiry often meet on one key. */
const keys = ['f1', flowKey({ src: '10.0.0.1', sport: 1000, dst: '10.0.0.2', dport: 80, proto: 6 })]

type Op =
  | { kind: 'write'; replica: number; table: TableName; key: string; field: FieldName; n: number; via: 'fresh' | 'kept' | 'view' }
  | { kind: 'delete'; replica: number; table: TableName; key: string }
  | { kind: 'advance'; ms: number }

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('write' as const), replica: fc.nat(1), table: fc.constantFrom<TableName>('flows', 'idle'),
    key: fc.constantFrom(...keys), field: fc.constantFrom<FieldName>('packets', 'balance', 'peak', 'verdict'),
    n: fc.integer({ min: 0, max: 5 }), via: fc.constantFrom<'fresh' | 'kept' | 'view'>('fresh', 'kept', 'view'),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), replica: fc.nat(1), table: fc.constantFrom<TableName>('flows', 'idle'), key: fc.constantFrom(...keys) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400 }) }) },
)

interface Internals {
  ownOrigin: number
  fields: { name: string; state: FlowTableState }[]
}

function tableOf(replica: unknown, name: TableName): FlowTableState {
  return (replica as Internals).fields.find((field) => field.name === name)!.state
}

function world() {
  const sim = createSimulation({ seed: 11 })
  const replicas = [sim.spawn(Tables, { id: 'a' }), sim.spawn(Tables, { id: 'b' })]
  return { sim, replicas }
}

/** A write through the handles: a fresh entry, an entry kept since its first use, or a kept field view. */
function writeByHandles(handles: ReturnType<typeof world>, kept: Map<string, any>, op: Extract<Op, { kind: 'write' }>): void {
  const flows = handles.replicas[op.replica]!.state[op.table]
  const name = `${op.replica}/${op.table}/${op.key}`
  let entry: any
  if (op.via === 'fresh') entry = flows.entry(op.key)
  else {
    entry = kept.get(name)
    if (entry === undefined) kept.set(name, (entry = flows.entry(op.key)))
  }
  let view: any
  if (op.via === 'view') {
    view = kept.get(`${name}/${op.field}`)
    if (view === undefined) kept.set(`${name}/${op.field}`, (view = entry[op.field]))
  } else view = entry[op.field]
  if (op.field === 'packets') view.increment(op.n)
  else if (op.field === 'balance') (op.n % 2 === 0 ? view.increment(op.n) : view.decrement(op.n))
  else if (op.field === 'peak') view.set(op.n * 3)
  else view.set(op.n % 2 === 0 ? 'allow' : 'deny')
}

/** The same write through the table's functions: the entry and own cell found anew. */
function writeByTable(reference: ReturnType<typeof world>, op: Extract<Op, { kind: 'write' }>): void {
  const replica = reference.replicas[op.replica]!
  const table = tableOf(replica, op.table)
  const origin = (replica as unknown as Internals).ownOrigin
  const entry = flowTableType.entryFor(table, op.key)
  const field = table.fieldByName.get(op.field)!
  if (op.field === 'packets') flowTableType.incrementField(table, entry, origin, field, op.n)
  else if (op.field === 'balance') flowTableType.incrementField(table, entry, origin, field, op.n, op.n % 2 === 0 ? 0 : 1)
  else if (op.field === 'peak') flowTableType.raiseField(table, entry, origin, field, op.n * 3)
  else flowTableType.setField(table, entry, origin, field, op.n % 2 === 0 ? 'allow' : 'deny')
}

/** Every read of every key, through fresh entries and through the kept ones. */
function reads(side: ReturnType<typeof world>, kept: Map<string, any> | null): unknown[] {
  const out: unknown[] = []
  side.replicas.forEach((replica, index) => {
    for (const table of ['flows', 'idle'] as const) {
      for (const key of keys) {
        const got = replica.state[table].get(key)
        out.push(got === undefined ? null : [got.packets.global, got.packets.local, got.balance.global, got.peak.global, got.verdict.local])
        const held = kept?.get(`${index}/${table}/${key}`)
        if (held !== undefined && got !== undefined) {
          expect([held.packets.global, held.packets.local, held.balance.global, held.peak.global, held.verdict.local]).toEqual(out[out.length - 1])
        }
      }
    }
  })
  return out
}

describe('entry refs against the table', () => {
  it('writes through fresh and kept handles leave the state that writes through the table leave', () => {
    checkProperty(fc.property(fc.array(opArbitrary, { minLength: 1, maxLength: 80 }), (ops) => {
      const handles = world()
      const reference = world()
      const kept = new Map<string, any>()
      for (const op of ops) {
        if (op.kind === 'write') {
          writeByHandles(handles, kept, op)
          writeByTable(reference, op)
        } else if (op.kind === 'delete') {
          expect(handles.replicas[op.replica]!.state[op.table].delete(op.key))
            .toBe(reference.replicas[op.replica]!.state[op.table].delete(op.key))
        } else {
          handles.sim.advance(op.ms)
          reference.sim.advance(op.ms)
        }
        for (let replica = 0; replica < 2; replica++) {
          expect(handles.replicas[replica]!.snapshot()).toEqual(reference.replicas[replica]!.snapshot())
        }
        expect(reads(handles, kept)).toEqual(reads(reference, null))
      }
    }))
  })
})
