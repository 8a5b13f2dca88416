import fc from 'fast-check'
import {
  type FlowCellDelta, type FlowKey, type FlowTableConfig, type FlowTableState, createFlowTable, entryFor, fieldGlobal,
  fieldLocal, incrementField, keys, lastSeen, lookup, raiseField, remove, setField, size, sweepExpired,
} from '../../../crdts/flow-table.js'
import { flowTableOps } from '../../../crdts/flow-table-slots.js'
import { type TypeAdapter, compareKeys } from '../replica-sim.js'
import { counterAmount } from './counter.js'
import { maxRegisterValue } from './max-register.js'
import { mixedAdvanceMs, registerValue } from './register.js'

/** A small key universe: `1` and `'1'` are distinct keys. */
export const flowKeys: readonly FlowKey[] = [1, 2, 'x', '1']

const fields = {
  packets: { kind: 'counter' },
  bytes: { kind: 'counter' },
  active: { kind: 'pnCounter' },
  peak: { kind: 'maxRegister' },
  label: { kind: 'register', initial: 'none' },
} as const

/** No idle expiry and no lastSeen: writes take the fast path. */
export const plainFlowConfig: FlowTableConfig = { fields }

/** Idle expiry after 100 ms, cells dropped 50 ms later; a declared lastSeen. */
export const timedFlowConfig: FlowTableConfig = {
  fields: { ...fields, lastSeen: { kind: 'maxRegister' } },
  idleTimeoutMs: 100,
  gcGraceMs: 50,
}

export type FlowOp =
  | { kind: 'increment'; key: FlowKey; field: 'packets' | 'bytes'; n: number }
  | { kind: 'pn'; key: FlowKey; column: 0 | 1; n: number }
  | { kind: 'raise'; key: FlowKey; field: 'peak' | 'lastSeen'; n: number }
  | { kind: 'set'; key: FlowKey; value: unknown }
  | { kind: 'delete'; key: FlowKey }
  | { kind: 'sweep'; budget: number }

function flowOp(timed: boolean, keyUniverse: readonly FlowKey[]): fc.Arbitrary<FlowOp> {
  const key = fc.constantFrom(...keyUniverse)
  const raises: fc.Arbitrary<FlowOp>[] = [fc.record({ kind: fc.constant('raise' as const), key, field: fc.constant('peak' as const), n: maxRegisterValue })]
  if (timed) raises.push(fc.record({ kind: fc.constant('raise' as const), key, field: fc.constant('lastSeen' as const), n: fc.oneof(fc.integer({ min: 900, max: 1_300 }), fc.double({ min: 900, max: 1_300, noNaN: true })) }))
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('increment' as const), key, field: fc.constantFrom('packets' as const, 'bytes' as const), n: counterAmount }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('pn' as const), key, column: fc.constantFrom(0 as const, 1 as const), n: counterAmount }) },
    { weight: 1, arbitrary: fc.oneof(...raises) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: registerValue }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
    { weight: timed ? 1 : 0, arbitrary: fc.record({ kind: fc.constant('sweep' as const), budget: fc.integer({ min: 1, max: 8 }) }) },
  )
}

function layout(state: FlowTableState, name: string) {
  const field = state.fieldByName.get(name)
  if (!field) throw new Error(`flow table has no field ${name}`)
  return field
}

export function applyFlowOp(state: FlowTableState, origin: number, op: FlowOp): void {
  switch (op.kind) {
    case 'increment':
      incrementField(state, entryFor(state, op.key), origin, layout(state, op.field), op.n)
      break
    case 'pn':
      incrementField(state, entryFor(state, op.key), origin, layout(state, 'active'), op.n, op.column)
      break
    case 'raise':
      raiseField(state, entryFor(state, op.key), origin, layout(state, op.field), op.n)
      break
    case 'set':
      setField(state, entryFor(state, op.key), origin, layout(state, 'label'), op.value)
      break
    case 'delete':
      remove(state, origin, op.key)
      break
    case 'sweep':
      sweepExpired(state, op.budget)
      break
  }
}

/** Visible keys in a fixed order, with every field's global and per-origin local view. */
export function flowViews(state: FlowTableState, origins: readonly number[]): unknown {
  const visible = [...keys(state)].sort(compareKeys)
  return {
    size: size(state),
    keys: visible,
    entries: visible.map((flowKey) => {
      const entry = lookup(state, flowKey)
      return {
        key: flowKey,
        lastSeen: lastSeen(state, entry),
        fields: state.fields.map((field) => ({
          name: field.name,
          global: fieldGlobal(state, entry, field),
          local: origins.map((origin) => fieldLocal(state, entry, origin, field)),
        })),
      }
    }),
  }
}

/** Advances that cross the idle timeout (100 ms) and the drop horizon (150 ms) often, edges included. */
const timedAdvanceMs = fc.oneof(mixedAdvanceMs, fc.integer({ min: 0, max: 160 }), fc.constantFrom(49, 50, 99, 100, 101, 149, 150))

/** A flow-table adapter; a smaller `keyUniverse` makes writes, deletes and sweeps of one key meet more often. */
export function flowAdapter(name: string, config: FlowTableConfig, keyUniverse: readonly FlowKey[] = flowKeys): TypeAdapter<FlowTableState, FlowCellDelta, FlowOp> {
  return {
    name,
    ops: flowTableOps,
    create: (context, fieldIndex, sink) => createFlowTable(config, context, fieldIndex, sink),
    write: flowOp(config.idleTimeoutMs !== undefined, keyUniverse),
    apply: applyFlowOp,
    views: flowViews,
    advanceMs: config.idleTimeoutMs === undefined ? mixedAdvanceMs : timedAdvanceMs,
  }
}

export const plainFlowTableAdapter = flowAdapter('flowTable', plainFlowConfig)
export const timedFlowTableAdapter = flowAdapter('flowTable(idle 100 ms)', timedFlowConfig)
