/**
 * elastic-state: replicated state for elastic network functions. Runs in Node and browsers.
 * @module
 */

export { counter, pnCounter, register, maxRegister, set, perInstance, flowTable, doc, defineState } from './schema.js'
export type {
  Schema, SchemaFields, FieldSpec, CounterSpec, PNCounterSpec, RegisterSpec, MaxRegisterSpec, SetSpec,
  PerInstanceSpec, FlowTableSpec, FlowFieldSpec, DocSpec,
} from './schema.js'
export { custom } from './custom-spec.js'
export type { CustomSpec, CustomTypeDefinition, CustomWrites } from './custom-spec.js'
export type { CustomHandle, CustomWriteArgs } from './custom-handle.js'
export type { WriteContext } from '../crdts/custom.js'
export type { ByteReader, ByteWriter } from '../crdts/custom-codec.js'
/**
 * Creates a replica of a declaration: one instance's copy of the state. Writes through
 * `replica.state` are local and immediate; `start()` begins gossiping through
 * `options.transport` (without one, the replica runs standalone).
 * @example
 * ```ts
 * import { counter, defineState, createReplica } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const Monitor = defineState({ packets: counter() })
 * const replica = createReplica(Monitor, { id: 'vnf-1' })
 * await replica.start()
 * replica.state.packets.increment()
 * assert.equal(replica.state.packets.global, 1)
 * assert.deepEqual(replica.snapshot(), { packets: 1 })
 * assert.throws(() => createReplica(Monitor, { id: '' }), RangeError)
 * await replica.stop()
 * ```
 */
export { createReplica } from './replica.js'
/**
 * One instance's copy of the declared state: its handles (`state`), its lifecycle (`start`,
 * `flush`, `leave`, `stop`), its views as plain data (`snapshot()`), its membership, events and
 * statistics.
 * @typeParam F - the declaration's fields.
 * @example
 * ```ts
 * import { counter, defineState, type Replica } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 *
 * const Monitor = defineState({ packets: counter() })
 * const sim = createSimulation({ seed: 1 })
 * const a: Replica<typeof Monitor.fields> = sim.spawn(Monitor, { id: 'a' })
 * const b = sim.spawn(Monitor, { id: 'b' })
 * b.state.packets.increment(3)
 * sim.runUntilConverged()
 * assert.deepEqual(a.members(), ['a', 'b'])
 * await b.leave()                         // graceful scale-in: b hands its writes over first
 * assert.equal(b.status, 'stopped')
 * assert.equal(a.state.packets.global, 3)
 * ```
 */
export type { Replica } from './replica.js'
/**
 * Options of `createReplica`: identity, transport, gossip settings, secret, persistence, and
 * the time and randomness sources (injected, so simulations replay).
 * @example
 * ```ts
 * import { counter, defineState, createReplica, memoryPersistence, type ReplicaOptions } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const options: ReplicaOptions = {
 *   id: 'vnf-1',
 *   gossip: { intervalMs: 50, fanout: 2 },
 *   secret: 'cluster-key',
 *   persistence: memoryPersistence(),
 *   clock: () => 1_700_000_000_000,
 * }
 * const replica = createReplica(defineState({ packets: counter() }), options)
 * assert.equal(replica.id, 'vnf-1')
 * ```
 */
export type { ReplicaOptions } from './replica.js'
/**
 * Gossip settings of a replica: round interval, fanout, failure and leave time-outs, frame
 * size limit. Shorter rounds spread changes sooner and cost more frames.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, type GossipOptions } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const gossip: GossipOptions = { intervalMs: 20, fanout: 3, failureTimeoutMs: 200, leaveTimeoutMs: 600 }
 * createReplica(defineState({ packets: counter() }), { gossip })
 * assert.throws(() => createReplica(defineState({ packets: counter() }), { gossip: { intervalMs: 0 } }), RangeError)
 * ```
 */
export type { GossipOptions } from './replica.js'
/**
 * Where a replica is in its life: `created`, `running` (after `start()`), `leaving` (during a
 * graceful `leave()`), `stopped`.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, type ReplicaStatus } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const replica = createReplica(defineState({ packets: counter() }))
 * const seen: ReplicaStatus[] = [replica.status]
 * await replica.start()
 * seen.push(replica.status)
 * await replica.stop()
 * seen.push(replica.status)
 * assert.deepEqual(seen, ['created', 'running', 'stopped'])
 * ```
 */
export type { ReplicaStatus } from './replica.js'
export type {
  StateHandles, HandleOf, CounterHandle, PNCounterHandle, RegisterHandle, MaxRegisterHandle, SetHandle,
  PerInstanceHandle, FlowTableHandle, EntryHandles, EntryFieldHandle, DocHandle,
} from './handles.js'
export type { ReplicaEvents, ChangeEvent } from './events.js'
export type { ReplicaStats, RejectReason, InboundDropReason } from './stats.js'
/**
 * What moves frames between replicas: `open` (start listening, return this replica's address),
 * `seeds` (addresses to join through), `send` (best effort) and `close`. The simulator, the
 * WebSocket and BroadcastChannel transports implement it; so can you.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, type FrameHandler, type Transport } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * // Replicas of one process, delivering frames on the next tick.
 * const hub = new Map<string, FrameHandler>()
 * const hubTransport = (): Transport => ({
 *   open(localId, onFrame) {
 *     hub.set(localId, onFrame)
 *     return localId
 *   },
 *   seeds: () => [...hub.keys()],
 *   send(address, frame) {
 *     const deliver = hub.get(address)
 *     if (deliver) setTimeout(() => deliver(frame), 0)
 *   },
 *   close: () => Promise.resolve(),
 * })
 * const Monitor = defineState({ packets: counter() })
 * const gossip = { intervalMs: 10 }
 * const a = createReplica(Monitor, { id: 'a', transport: hubTransport(), gossip })
 * const b = createReplica(Monitor, { id: 'b', transport: hubTransport(), gossip })
 * await a.start()
 * await b.start()
 * a.state.packets.increment(2)
 * for (let tries = 0; b.state.packets.global !== 2 && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 5))
 * assert.equal(b.state.packets.global, 2)
 * await a.stop()
 * await b.stop()
 * ```
 */
export type { Transport } from './transport.js'
export type { FrameHandler } from './transport.js'
export type { Persistence } from './persistence.js'
export { memoryPersistence } from './memory-persistence.js'
export type { MemoryPersistence } from './memory-persistence.js'
export { broadcastChannelTransport } from './broadcast-transport.js'
export type { BroadcastChannelTransport, BroadcastChannelTransportOptions } from './broadcast-transport.js'
export { webSocketClientTransport } from './ws-client-transport.js'
export type { WebSocketClientTransport, WebSocketClientTransportOptions } from './ws-client-transport.js'
export type { Scheduler } from './scheduler.js'
export { flowKey } from './flow-key.js'
export type { FiveTuple } from './flow-key.js'
export type { FlowKey } from '../crdts/flow-table.js'
export type { Reduce, BuiltinReduce } from '../crdts/per-instance.js'
export {
  ElasticStateError, DecodeError, AuthError, SchemaMismatchError, ProtocolVersionError, SchemaError, LifecycleError,
} from './errors.js'
