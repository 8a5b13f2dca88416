/**
 * `doc()`: a Yjs document (a sequence CRDT, YATA: Nicolaescu et al., GROUP 2016) replicated
 * through the same gossip as every other type, with y-protocols sync messages carried inside our
 * frames: a digest carries sync step 1 (the state vector) plus a hash of the delete set, a reply
 * carries sync step 2 (the missing structs and the full delete set), and local edits are pushed
 * as sync updates. Yjs updates commute and are idempotent, so loss, duplication and reordering
 * are harmless. Deletions do not advance a state vector, which is why the digest also hashes the
 * delete set: two replicas with equal vectors but different deletions still exchange step 2.
 */
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { DecodeError } from '../src/errors.js'
import { fnv1a32 } from './hash.js'

/** Transaction origin marking updates that came from gossip (not re-pushed as local edits). */
export const REMOTE_ORIGIN = Symbol('elastic-state remote')

export interface DocState {
  readonly doc: Y.Doc
  /** Local updates not yet pushed to peers. */
  pending: Uint8Array[]
  /** Cached digest; reset on every change. */
  digestCache: DocDigest | null
}

export interface DocDigest {
  stateVector: Uint8Array
  deleteSetHash: number
}

/** A y-protocols sync message, validated. */
export interface DocMessage {
  type: number
  payload: Uint8Array
}

/**
 * `clientId` is the document's Yjs client id: it must be unique among replicas, and the
 * simulator derives it from its seed so that runs with docs replay exactly.
 */
export function createDocState(onChange: (local: boolean) => void, clientId?: number): DocState {
  const doc = new Y.Doc()
  if (clientId !== undefined) doc.clientID = clientId
  const state: DocState = { doc, pending: [], digestCache: null }
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    state.digestCache = null
    const local = origin !== REMOTE_ORIGIN
    if (local) state.pending.push(update)
    onChange(local)
  })
  return state
}

export function digest(state: DocState): DocDigest {
  if (!state.digestCache) {
    const snapshot = Y.encodeSnapshot(Y.snapshot(state.doc))
    state.digestCache = { stateVector: Y.encodeStateVector(state.doc), deleteSetHash: fnv1a32(snapshot) }
  }
  return state.digestCache
}

/**
 * Whether to answer a peer's digest with step 2: the digest hashes both structs and deletions,
 * so different hashes mean one side lacks something; sending ours is harmless when it is the peer
 * that has more (the join is idempotent), and the peer's own reply covers the other direction.
 */
export function peerMayLack(state: DocState, peer: DocDigest): boolean {
  return digest(state).deleteSetHash !== peer.deleteSetHash
}

/** Whether a peer's digest shows everything `own` shows: equal, or a state vector covering ours. */
export function covers(peer: DocDigest, own: DocDigest): boolean {
  if (peer.deleteSetHash === own.deleteSetHash) return true
  const peerVector = Y.decodeStateVector(peer.stateVector)
  for (const [client, clock] of Y.decodeStateVector(own.stateVector)) {
    if ((peerVector.get(client) ?? 0) < clock) return false
  }
  return true
}

/**
 * Sync step 2 for a peer's state vector: what it lacks of the integrated content, plus our delete
 * set. Structs and deletions Yjs keeps pending (waiting for items this replica does not hold) are
 * left out, although Yjs would send them: a pending struct may share its id with a different,
 * integrated one (two updates naming the same item, which only a forged frame makes), and the
 * peer would then keep the pending copy while this replica shows the integrated one, for good
 * (found by the frame fuzzer, docs/fuzzing.md). Pending content travels from the replicas that
 * hold it integrated, as every other content does. Store records are made here too, so they hold
 * what this replica shows.
 */
export function step2For(state: DocState, peerStateVector: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  const store = state.doc.store
  const { pendingStructs, pendingDs } = store
  store.pendingStructs = null
  store.pendingDs = null
  try {
    syncProtocol.writeSyncStep2(encoder, state.doc, peerStateVector)
  } finally {
    store.pendingStructs = pendingStructs
    store.pendingDs = pendingDs
  }
  return encoding.toUint8Array(encoder)
}

/** Local edits since the last call, merged into one sync update message, or null. */
export function takePending(state: DocState): Uint8Array | null {
  if (state.pending.length === 0) return null
  const update = state.pending.length === 1 ? state.pending[0]! : Y.mergeUpdates(state.pending)
  state.pending = []
  const encoder = encoding.createEncoder()
  syncProtocol.writeUpdate(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** Parses and validates a sync message without touching any document. */
export function parseMessage(bytes: Uint8Array): DocMessage {
  const decoder = decoding.createDecoder(bytes)
  let type: number
  let payload: Uint8Array
  try {
    type = decoding.readVarUint(decoder)
    payload = decoding.readVarUint8Array(decoder)
  } catch (cause) {
    throw new DecodeError('malformed doc sync message', { cause })
  }
  if (decoder.pos !== bytes.length) throw new DecodeError('doc sync message has trailing bytes')
  try {
    if (type === syncProtocol.messageYjsSyncStep1) Y.decodeStateVector(payload)
    // Decoding alone accepts structs Yjs cannot integrate (e.g. an item whose origin is itself,
    // which makes applyUpdate throw a TypeError half-way): integrate into a scratch document.
    else if (type === syncProtocol.messageYjsSyncStep2 || type === syncProtocol.messageYjsUpdate) {
      checkOwnClientReferences(payload)
      Y.applyUpdate(new Y.Doc(), payload)
    }
    else throw new DecodeError(`unknown doc sync message type ${type}`)
  } catch (cause) {
    if (cause instanceof DecodeError) throw cause
    throw new DecodeError('doc sync message carries a malformed Yjs payload', { cause })
  }
  return { type, payload }
}

/**
 * An item can only name, as its neighbours at creation or its parent, items that existed when it
 * was made: of its own client, only earlier clocks. Yjs does not check it. Such an item passes the
 * scratch document (it waits there for its client's earlier clocks) but makes `applyUpdate` throw
 * half-way in a document that holds them, leaving part of the update applied (found by the fuzzer,
 * property-tests/fuzz/).
 */
function checkOwnClientReferences(update: Uint8Array): void {
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item)) continue
    const { client, clock } = struct.id
    const earlier = (id: Y.ID | null) => id === null || id.client !== client || id.clock < clock
    if (!earlier(struct.origin) || !earlier(struct.rightOrigin) || (struct.parent instanceof Y.ID && !earlier(struct.parent))) {
      throw new DecodeError(`doc sync message: item ${client}:${clock} names a later item of its own client`)
    }
  }
}

/**
 * Applies a validated step 2 or update message.
 * @throws DecodeError when Yjs still fails to integrate it against this document's content
 * (`parseMessage` can only check it in isolation); Yjs has no dry run, so part of it may be applied.
 */
export function applyMessage(state: DocState, message: DocMessage): void {
  if (message.type === syncProtocol.messageYjsSyncStep1) return
  try {
    Y.applyUpdate(state.doc, message.payload, REMOTE_ORIGIN)
  } catch (cause) {
    throw new DecodeError('doc sync message could not be integrated', { cause })
  }
}

/**
 * Plain-data view of the document: every root type as JSON, sorted by name. A root type that
 * arrived by sync but was never opened locally is still generic; it is opened here as the kind
 * its content shows (map entries: a map; string content: text; other items: an array), so two
 * replicas with the same updates show the same view whatever their code opened.
 */
export function docView(state: DocState): Record<string, unknown> {
  const doc = state.doc
  const view: Record<string, unknown> = {}
  for (const name of [...doc.share.keys()].sort()) {
    const json = rootJson(doc.share.get(name) as unknown as GenericType)
    // An empty root type is left out: a replica that merely opened a type (which sends nothing)
    // or holds only deleted items must show the same view as one that never heard of it.
    if (!isEmptyJson(json)) view[name] = json
  }
  return view
}

/** Yjs' internals read here: a root type's map entries and its list of items. */
interface GenericItem {
  content: { getContent(): unknown[] }
  deleted: boolean
  right: GenericItem | null
}

interface GenericType {
  constructor: unknown
  _map: Map<string, GenericItem>
  _start: GenericItem | null
  toJSON(): unknown
}

/**
 * JSON of a root type. A root that arrived by sync but was never opened locally is still a
 * generic placeholder; it is read here without being specialized (specializing it as the wrong
 * kind, before the content that tells its kind has arrived, would hide that content for good):
 * map entries read as an object, string content as text, other items as an array.
 */
function rootJson(type: GenericType): unknown {
  const generic = (type.constructor as unknown) === (Y.AbstractType as unknown)
  if (!generic) return type.toJSON()
  const entries: Record<string, unknown> = {}
  for (const [key, item] of type._map) {
    if (item.deleted) continue
    const values = item.content.getContent()
    entries[key] = valueJson(values[values.length - 1])
  }
  if (Object.keys(entries).length > 0) return entries
  let text: string | null = null
  const array: unknown[] = []
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue
    const content = item.content
    if (content instanceof Y.ContentFormat) continue
    if (content instanceof Y.ContentString || content instanceof Y.ContentEmbed) {
      if (content instanceof Y.ContentString) text = (text ?? '') + content.str
      continue
    }
    for (const value of content.getContent()) array.push(valueJson(value))
  }
  return text !== null && array.length === 0 ? text : array
}

function valueJson(value: unknown): unknown {
  return value instanceof Y.AbstractType ? value.toJSON() : value
}

function isEmptyJson(json: unknown): boolean {
  if (json === '') return true
  if (Array.isArray(json)) return json.length === 0
  return json !== null && typeof json === 'object' && Object.keys(json).length === 0
}
