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

/** A handle over `state` writing as `origin`. */
export function customHandle<S, W extends CustomWrites<S>, G, L>(state: customType.CustomState<S>, own: { readonly origin: number }): CustomHandle<W, G, L> {
  const origin = own.origin
  const context = customType.writeContext(state, origin)
  const handle: Record<string, unknown> = {}
  for (const name of Object.keys(state.type.writes)) {
    handle[name] = (...args: unknown[]) => customType.applyWrite(state, origin, context, name, args)
  }
  Object.defineProperty(handle, 'local', { get: () => customType.localValue(state, origin), enumerable: true })
  Object.defineProperty(handle, 'global', { get: () => customType.globalValue(state), enumerable: true })
  return Object.freeze(handle) as CustomHandle<W, G, L>
}
