/**
 * The handle of a custom field: the type's writes as methods, its views as `.local` and
 * `.global`. Writes go straight to the own contribution, like every built-in handle's.
 */
import * as customType from '../crdts/custom.js'
import type { CustomWrites } from './custom-spec.js'

/**
 * The arguments of a write, after its context.
 * @example
 * ```ts
 * import type { CustomWriteArgs, WriteContext } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const tried = (_context: WriteContext<Map<string, number>>, source: string, port: number) => { void source; void port }
 * const args: CustomWriteArgs<typeof tried> = ['10.0.0.1', 22]
 * assert.equal(args.length, 2)
 * ```
 */
export type CustomWriteArgs<F> = F extends (context: never, ...args: infer A) => unknown ? A : never

/**
 * What `replica.state.<field>` is for a `custom(...)` field: one method per write of the type,
 * and the two views. Views are computed on the first read after a change and then cached, so
 * treat what they return as read-only.
 * @typeParam W - the type's writes.
 * @typeParam G - the global view.
 * @typeParam L - the local view.
 * @example
 * ```ts
 * import { custom, defineState, createReplica, type CustomHandle } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const maxima = custom({
 *   name: 'maximum',
 *   empty: () => ({ value: -Infinity }),
 *   join: (a, b) => (a.value >= b.value ? a : b),
 *   writes: {
 *     raise({ own }, value: number) {
 *       if (value <= own.value) return false
 *       own.value = value
 *     },
 *   },
 *   global: (state) => state.value,
 *   encode(writer, state) { writer.float64(state.value) },
 *   decode(reader) { return { value: reader.float64('maximum') } },
 * })
 * const replica = createReplica(defineState({ peak: maxima }), { id: 'solo' })
 * const peak: CustomHandle<typeof maxima.definition.writes, number, number> = replica.state.peak
 * peak.raise(7)
 * peak.raise(3)
 * assert.equal(peak.global, 7)
 * assert.equal(peak.local, 7)
 * ```
 */
export type CustomHandle<W, G, L> = {
  /** The type's `local` view of this instance's contribution. */
  readonly local: L
  /** The type's `global` view of the join of every contribution this replica holds. */
  readonly global: G
} & {
  readonly [K in keyof W]: (...args: CustomWriteArgs<W[K]>) => void
}

const STATE = Symbol('state')
const ORIGIN = Symbol('origin')
const CONTEXT = Symbol('context')

interface HandleBase {
  readonly [STATE]: customType.CustomState<unknown>
  readonly [ORIGIN]: number
  readonly [CONTEXT]: customType.WriteContext<unknown>
}

type HandleClass = new (state: customType.CustomState<unknown>, origin: number) => HandleBase

/**
 * Handle classes by custom type: the type's writes as methods on the prototype, made once per
 * type. Every replica's handle of the type then shares one function per write, so a call site
 * such as `state.maximum.offer(n)` sees one target however many replicas a process runs, and V8
 * can inline it (src/handles.ts).
 */
const handleClasses = new WeakMap<object, HandleClass>()

function handleClassOf(type: customType.CustomState<unknown>['type']): HandleClass {
  let Handle = handleClasses.get(type)
  if (Handle !== undefined) return Handle
  Handle = class implements HandleBase {
    declare readonly [STATE]: customType.CustomState<unknown>
    declare readonly [ORIGIN]: number
    declare readonly [CONTEXT]: customType.WriteContext<unknown>
    constructor(state: customType.CustomState<unknown>, origin: number) {
      this[STATE] = state
      this[ORIGIN] = origin
      this[CONTEXT] = customType.writeContext(state, origin)
      Object.freeze(this)
    }
  }
  for (const name of Object.keys(type.writes)) {
    Object.defineProperty(Handle.prototype, name, {
      value: function (this: HandleBase, ...args: unknown[]) { customType.applyWrite(this[STATE], this[ORIGIN], this[CONTEXT], name, args) },
      enumerable: true,
    })
  }
  Object.defineProperty(Handle.prototype, 'local', { get(this: HandleBase) { return customType.localValue(this[STATE], this[ORIGIN]) }, enumerable: true })
  Object.defineProperty(Handle.prototype, 'global', { get(this: HandleBase) { return customType.globalValue(this[STATE]) }, enumerable: true })
  handleClasses.set(type, Handle)
  return Handle
}

/** A handle over `state` writing as `origin`. */
export function customHandle<S, W extends CustomWrites<S>, G, L>(state: customType.CustomState<S>, own: { readonly origin: number }): CustomHandle<W, G, L> {
  const Handle = handleClassOf(state.type as customType.CustomState<unknown>['type'])
  return new Handle(state as customType.CustomState<unknown>, own.origin) as unknown as CustomHandle<W, G, L>
}
