/**
 * Where a replica keeps its state between runs. The replica writes records (frames of the wire
 * format, checksummed, with the changes since the previous record) and reads them back in order
 * at start; a store only has to keep bytes safely:
 * - `append` resolves once the record survives a crash of the process (and of the machine,
 *   where the store can promise it);
 * - `replace` swaps everything stored for one record atomically: after a crash either the old
 *   records or the new one are there, never a mix that loses data;
 * - `load` returns the records in the order written, leaving out a torn last record.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, type Persistence } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * // A store over a Map, as a key-value database would hold it.
 * function mapStore(map: Map<string, Uint8Array[]>, key: string): Persistence {
 *   return {
 *     load: async () => (map.get(key) ?? []).map((record) => record.slice()),
 *     append: async (record) => { map.set(key, [...(map.get(key) ?? []), record.slice()]) },
 *     replace: async (record) => { map.set(key, [record.slice()]) },
 *     close: async () => {},
 *   }
 * }
 * const database = new Map<string, Uint8Array[]>()
 * const Monitor = defineState({ packets: counter() })
 * const first = createReplica(Monitor, { id: 'vnf-1', persistence: mapStore(database, 'vnf-1'), incarnation: 1 })
 * await first.start()
 * first.state.packets.increment(2)
 * await first.flush()
 * await first.stop()
 * const restarted = createReplica(Monitor, { id: 'vnf-1', persistence: mapStore(database, 'vnf-1'), incarnation: 2 })
 * await restarted.start()
 * assert.equal(restarted.state.packets.global, 2)
 * await restarted.stop()
 * ```
 */
export interface Persistence {
  load(): Promise<Uint8Array[]>
  append(record: Uint8Array): Promise<void>
  replace(record: Uint8Array): Promise<void>
  close(): Promise<void>
}
