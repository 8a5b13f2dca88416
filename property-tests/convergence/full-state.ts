/**
 * A declaration that uses every state type, random local writes over it, and their application
 * through the public handles. Shared by the convergence properties.
 */
import fc from 'fast-check'
import * as Y from 'yjs'
import {
  counter, defineState, doc, flowTable, maxRegister, perInstance, pnCounter, register, set,
  type Replica, type Schema,
} from '../../src/index.js'

const flowFields = {
  packets: counter(),
  balance: pnCounter(),
  lastSeen: maxRegister(),
  verdict: register<string>('none'),
}

const nonDocFields = {
  packets: counter(),
  active: pnCounter(),
  mode: register<string>('init'),
  peak: maxRegister(),
  blocked: set<string | number>(),
  load: perInstance<number>({ reduce: 'sum' }),
  flows: flowTable({ fields: flowFields }),
}

/** Every type: counter, pnCounter, register, maxRegister, set, perInstance, flowTable, doc. */
export const FullState = defineState({ ...nonDocFields, rules: doc() })

/** The same without `doc()` (for properties that compare two separate runs; see determinism.test.ts). */
export const FullStateWithoutDoc = defineState(nonDocFields)

export type FullFields = typeof FullState.fields

export const setElements: readonly (string | number)[] = ['10.0.0.1', '10.0.0.2', 'evil.example', 0, 7, 443]
export const flowKeys: readonly (string | number)[] = ['10.0.0.1:1234>10.1.0.1:80/6', 'b', 'c', 0, 1, 99]

export type WriteOp =
  | { type: 'increment'; n: number }
  | { type: 'pnIncrement'; n: number }
  | { type: 'pnDecrement'; n: number }
  | { type: 'registerSet'; value: string }
  | { type: 'maxSet'; value: number }
  | { type: 'setAdd'; element: string | number }
  | { type: 'setDelete'; element: string | number }
  | { type: 'perInstanceSet'; value: number }
  | { type: 'flowWrite'; key: string | number; field: 'packets' | 'balanceUp' | 'balanceDown' | 'lastSeen' | 'verdict'; value: number }
  | { type: 'flowDelete'; key: string | number }
  | { type: 'docInsert'; index: number; value: number }
  | { type: 'docDelete'; index: number }
  | { type: 'docMapSet'; key: string; value: number }

const count = fc.integer({ min: 0, max: 5 })
const element = fc.constantFrom(...setElements)
const flowKey = fc.constantFrom(...flowKeys)

const commonWrites: fc.Arbitrary<WriteOp>[] = [
  fc.record({ type: fc.constant('increment' as const), n: count }),
  fc.record({ type: fc.constant('pnIncrement' as const), n: count }),
  fc.record({ type: fc.constant('pnDecrement' as const), n: count }),
  fc.record({ type: fc.constant('registerSet' as const), value: fc.constantFrom('allow', 'deny', 'log', '') }),
  fc.record({ type: fc.constant('maxSet' as const), value: fc.integer({ min: -1000, max: 1000 }) }),
  fc.record({ type: fc.constant('setAdd' as const), element }),
  fc.record({ type: fc.constant('setDelete' as const), element }),
  fc.record({ type: fc.constant('perInstanceSet' as const), value: fc.integer({ min: 0, max: 100 }) }),
  fc.record({
    type: fc.constant('flowWrite' as const), key: flowKey,
    field: fc.constantFrom('packets' as const, 'balanceUp' as const, 'balanceDown' as const, 'lastSeen' as const, 'verdict' as const),
    value: fc.integer({ min: 0, max: 1000 }),
  }),
  fc.record({ type: fc.constant('flowDelete' as const), key: flowKey }),
]

/** Random schedules also write a Y.Map in the doc field (a map read before its content arrived used to be shown as an array). */
export const DOC_MAP_WRITES = true

const docWrites: fc.Arbitrary<WriteOp>[] = [
  fc.record({ type: fc.constant('docInsert' as const), index: fc.nat(20), value: fc.integer({ min: 0, max: 999 }) }),
  fc.record({ type: fc.constant('docDelete' as const), index: fc.nat(20) }),
  ...(DOC_MAP_WRITES ? [fc.record({ type: fc.constant('docMapSet' as const), key: fc.constantFrom('mode', 'limit'), value: fc.integer({ min: 0, max: 9 }) })] : []),
]

/** Any write of `FullState`. */
export const writeOp: fc.Arbitrary<WriteOp> = fc.oneof(...commonWrites, ...docWrites)

/** Any write of `FullStateWithoutDoc`. */
export const writeOpWithoutDoc: fc.Arbitrary<WriteOp> = fc.oneof(...commonWrites)

type AnyFullReplica = Replica<FullFields> | Replica<typeof FullStateWithoutDoc.fields>

/** Applies `op` through the replica's handles (doc writes are ignored by a schema without doc). */
export function applyWrite(replica: AnyFullReplica, op: WriteOp): void {
  const state = replica.state
  switch (op.type) {
    case 'increment': state.packets.increment(op.n); break
    case 'pnIncrement': state.active.increment(op.n); break
    case 'pnDecrement': state.active.decrement(op.n); break
    case 'registerSet': state.mode.set(op.value); break
    case 'maxSet': state.peak.set(op.value); break
    case 'setAdd': state.blocked.add(op.element); break
    case 'setDelete': state.blocked.delete(op.element); break
    case 'perInstanceSet': state.load.set(op.value); break
    case 'flowWrite': {
      const entry = state.flows.entry(op.key)
      if (op.field === 'packets') entry.packets.increment(op.value % 10)
      else if (op.field === 'balanceUp') entry.balance.increment(op.value % 10)
      else if (op.field === 'balanceDown') entry.balance.decrement(op.value % 10)
      else if (op.field === 'lastSeen') entry.lastSeen.set(op.value)
      else entry.verdict.set(op.value % 2 === 0 ? 'allow' : 'deny')
      break
    }
    case 'flowDelete': state.flows.delete(op.key); break
    case 'docInsert':
    case 'docDelete':
    case 'docMapSet': {
      if (!('rules' in state)) break
      const ydoc: Y.Doc = state.rules.doc
      if (op.type === 'docMapSet') {
        ydoc.getMap<number>('config').set(op.key, op.value)
        break
      }
      const list = ydoc.getArray<number>('list')
      if (op.type === 'docInsert') list.insert(op.index % (list.length + 1), [op.value])
      else if (list.length > 0) list.delete(op.index % list.length, 1)
      break
    }
  }
}

/**
 * Gossip settings of the properties: short rounds and time-outs keep virtual time, and so runtime,
 * small; logs are compacted from 16 entries on, so the properties' short runs compact them too.
 */
export const fastGossip = { intervalMs: 20, fanout: 3, failureTimeoutMs: 200, leaveTimeoutMs: 600, compactLogsAt: 16 } as const

export type AnySchema = Schema<FullFields> | Schema<typeof FullStateWithoutDoc.fields>
