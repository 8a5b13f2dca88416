/**
 * `memoryPersistence()`: a store kept in memory, for tests, simulations and browser pages. It
 * outlives the replicas that use it, so a replica restarted on it (in a simulation, after
 * `crash`) finds every write that `flush()` confirmed, as it would on disk.
 */
import type { Persistence } from './persistence.js'

/**
 * A store kept in memory (`memoryPersistence()`), with what it holds for inspection.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, memoryPersistence, type MemoryPersistence } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const store: MemoryPersistence = memoryPersistence()
 * const replica = createReplica(defineState({ packets: counter() }), { id: 'vnf-1', persistence: store })
 * await replica.start()
 * replica.state.packets.increment()
 * await replica.flush()
 * assert.ok(store.records().length > 0 && store.size > 0)
 * await replica.stop()
 * ```
 */
export interface MemoryPersistence extends Persistence {
  /** Records held, oldest first (copies). */
  records(): Uint8Array[]
  /** Bytes held. */
  readonly size: number
}

/**
 * Creates an in-memory store for `createReplica({ persistence })`.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, memoryPersistence } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const Monitor = defineState({ packets: counter() })
 * const store = memoryPersistence()
 * const first = createReplica(Monitor, { id: 'vnf-1', persistence: store, incarnation: 1 })
 * await first.start()
 * first.state.packets.increment(5)
 * await first.flush()                       // durable from here on
 * await first.stop()
 * // A restart: the same id, a higher incarnation (by default derived from the clock).
 * const restarted = createReplica(Monitor, { id: 'vnf-1', persistence: store, incarnation: 2 })
 * await restarted.start()
 * assert.equal(restarted.state.packets.global, 5)
 * await restarted.stop()
 * ```
 */
export function memoryPersistence(): MemoryPersistence {
  let held: Uint8Array[] = []
  return {
    load: () => Promise.resolve(held.map((record) => record.slice())),
    append(record) {
      held.push(record.slice())
      return Promise.resolve()
    },
    replace(record) {
      held = [record.slice()]
      return Promise.resolve()
    },
    close: () => Promise.resolve(),
    records: () => held.map((record) => record.slice()),
    get size() {
      return held.reduce((total, record) => total + record.length, 0)
    },
  }
}
