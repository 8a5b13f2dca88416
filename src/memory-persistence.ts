/**
 * `memoryPersistence()`: a store kept in memory, for tests, simulations and browser pages. It
 * outlives the replicas that use it, so a replica restarted on it (in a simulation, after
 * `crash`) finds every write that `flush()` confirmed, as it would on disk.
 */
import type { Persistence } from './persistence.js'

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
 * const store = memoryPersistence()
 * const a = sim.spawn(Monitor, { id: 'a', persistence: store })
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
