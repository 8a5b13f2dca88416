/**
 * Builds, for every declared field, its state record, its slot operations, the handle users
 * write through, and its plain-data global view for `snapshot()`.
 */
import * as counterType from '../crdts/counter.js'
import * as pnCounterType from '../crdts/pn-counter.js'
import * as registerType from '../crdts/register.js'
import * as maxRegisterType from '../crdts/max-register.js'
import * as setType from '../crdts/aw-set.js'
import * as perInstanceType from '../crdts/per-instance.js'
import * as flowTableType from '../crdts/flow-table.js'
import { flowTableOps } from '../crdts/flow-table-slots.js'
import * as docType from '../crdts/doc.js'
import * as customType from '../crdts/custom.js'
import type { DirtySink, SlotOps, TypeContext } from '../crdts/slot-type.js'
import * as handles from './handles.js'
import { plainView } from './plain-view.js'
import type { FieldSpec, Schema } from './schema.js'

export interface FieldRuntime {
  readonly name: string
  readonly index: number
  readonly kind: FieldSpec['kind']
  readonly state: unknown
  /** Slot operations; null for a doc, which is replicated by Yjs sync messages instead. */
  readonly ops: SlotOps<unknown, unknown, unknown> | null
  readonly doc: docType.DocState | null
  readonly handle: unknown
  /** The global view as plain data, deterministic across replicas with the same updates. */
  view(): unknown
  /** Periodic housekeeping (idle-expiry sweep of flow tables). */
  housekeeping(): void
}

function compareElements(a: string | number, b: string | number): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

function nothing(): void {}

export function buildFields(
  schema: Schema,
  context: TypeContext,
  sink: DirtySink,
  own: handles.OwnOrigin,
  onDocChange: (field: number, local: boolean) => void,
  /** The Yjs client id of a doc field: unique per replica, and reproducible in simulations. */
  docClientId: (field: number) => number,
): FieldRuntime[] {
  return schema.names.map((name, index): FieldRuntime => {
    const spec = schema.fields[name]!
    const base = { name, index, kind: spec.kind, doc: null, housekeeping: nothing }
    switch (spec.kind) {
      case 'counter': {
        const state = counterType.createCounter(index, sink)
        return { ...base, state, ops: counterType.counterOps as SlotOps<unknown, unknown, unknown>, handle: handles.counterHandle(state, own), view: () => state.total }
      }
      case 'pnCounter': {
        const state = pnCounterType.createPNCounter(index, sink)
        return { ...base, state, ops: pnCounterType.pnCounterOps as SlotOps<unknown, unknown, unknown>, handle: handles.pnCounterHandle(state, own), view: () => state.total }
      }
      case 'register': {
        const state = registerType.createRegister(spec.initial, context, index, sink)
        return { ...base, state, ops: registerType.registerOps as SlotOps<unknown, unknown, unknown>, handle: handles.registerHandle(state, own), view: () => registerType.globalValue(state) }
      }
      case 'maxRegister': {
        const state = maxRegisterType.createMaxRegister(index, sink)
        return { ...base, state, ops: maxRegisterType.maxRegisterOps as SlotOps<unknown, unknown, unknown>, handle: handles.maxRegisterHandle(state, own), view: () => maxRegisterType.globalValue(state) }
      }
      case 'set': {
        const state = setType.createAWSet(index, sink)
        return {
          ...base, state, ops: setType.awSetOps as SlotOps<unknown, unknown, unknown>, handle: handles.setHandle(state, own),
          view: () => [...setType.values(state)].sort(compareElements),
        }
      }
      case 'perInstance': {
        const state = perInstanceType.createPerInstance(spec.reduce, context, index, sink)
        return {
          ...base, state, ops: perInstanceType.perInstanceOps as SlotOps<unknown, unknown, unknown>, handle: handles.perInstanceHandle(state, own),
          view: () => perInstanceType.globalValue(state),
        }
      }
      case 'flowTable': {
        const fields: Record<string, flowTableType.FlowFieldSpec> = {}
        for (const [fieldName, fieldSpec] of Object.entries(spec.fields)) {
          fields[fieldName] = { kind: fieldSpec.kind, initial: fieldSpec.kind === 'register' ? fieldSpec.initial : undefined }
        }
        const state = flowTableType.createFlowTable({ fields, idleTimeoutMs: spec.idleTimeoutMs }, context, index, sink)
        return {
          ...base, state, ops: flowTableOps as SlotOps<unknown, unknown, unknown>, handle: handles.flowTableHandle(state, own, spec),
          view: () => flowTableView(state),
          housekeeping: () => { flowTableType.sweepExpired(state) },
        }
      }
      case 'doc': {
        const state = docType.createDocState((local) => onDocChange(index, local), docClientId(index))
        return { ...base, state, ops: null, doc: state, handle: handles.docHandle(state), view: () => docType.docView(state) }
      }
      case 'custom': {
        const definition = spec.definition
        const state = customType.createCustom<unknown>(definition, context, index, sink)
        const snapshot = definition.snapshot
        return {
          ...base, state, ops: customType.customOps as SlotOps<unknown, unknown, unknown>, handle: handles.customHandle(state, own),
          view: snapshot ? () => snapshot.call(definition, customType.merged(state)) : () => plainView(customType.globalValue(state)),
        }
      }
    }
  })
}

/**
 * Entries keyed by their key as a string, numbers first, then strings, each in order. A numeric
 * key whose decimal string is also present as a string key is shown as `<n> (number)`, so the
 * two entries never merge in a snapshot.
 */
function flowTableView(state: flowTableType.FlowTableState): Record<string, Record<string, unknown>> {
  const keys = [...flowTableType.keys(state)].sort(compareElements)
  const view: Record<string, Record<string, unknown>> = {}
  for (const key of keys) {
    const entry = state.keyIndex.get(key)!
    const fields: Record<string, unknown> = {}
    for (const field of state.fields) fields[field.name] = flowTableType.fieldGlobal(state, entry, field)
    const name = typeof key === 'number' && state.keyIndex.has(String(key)) && flowTableType.lookup(state, String(key)) >= 0 ? `${key} (number)` : String(key)
    view[name] = fields
  }
  return view
}
