/** elastic-state: replicated state for elastic network functions. Runs in Node and browsers. */
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
export { createReplica } from './replica.js'
export type { Replica, ReplicaOptions, GossipOptions, ReplicaStatus } from './replica.js'
export type {
  StateHandles, HandleOf, CounterHandle, PNCounterHandle, RegisterHandle, MaxRegisterHandle, SetHandle,
  PerInstanceHandle, FlowTableHandle, EntryHandles, DocHandle,
} from './handles.js'
export type { ReplicaEvents, ChangeEvent } from './events.js'
export type { ReplicaStats, RejectReason } from './stats.js'
export type { Transport, FrameHandler } from './transport.js'
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
