/**
 * The frame format (grammar in docs/protocol.md). A frame is decoded and validated whole before
 * any of it is applied: this module turns bytes into a `ParsedFrame` or throws a typed error,
 * and never touches replica state. A group's slots are kept decoded when the group is small (a
 * round's changes); a large group (a joiner's catch-up) is only validated then, and decoded a
 * second time, `KEEP_DECODED_SLOTS` slots at a time, as it is applied (`GroupChunks`), so it
 * never holds all its decoded slots at once. Both passes run a large group through the code that
 * reads and applies a small one, chunk by chunk.
 */
import * as encoding from 'lib0/encoding'
import { Reader, copyEncoded, createEncoder, toBytes, writeBytes, writeString, writeU32, writeU8, writeVarUint, type Encoder } from '../crdts/codec.js'
import type { DocDigest, DocMessage } from '../crdts/doc.js'
import { parseMessage } from '../crdts/doc.js'
import type { OriginCodec } from '../crdts/slot-type.js'
import { AuthError, DecodeError, ProtocolVersionError, SchemaMismatchError } from './errors.js'
import { type FrameKey, TAG_BYTES, tag, verify } from './auth.js'
import { CHECKSUM_BYTES, checksumMatches, writeChecksum } from './checksum.js'
import { type MemberRecord, STATUS_ALIVE, STATUS_LEFT } from './membership.js'
import { HEIR_SUFFIX, heirIdOf } from './folds.js'

export const MAGIC = 0xe5
export const PROTOCOL_VERSION = 4
/**
 * The version before, still read (a store written by it, a peer not yet upgraded): its frames
 * differ only in naming every origin by id and incarnation and in carrying every address.
 */
export const LEGACY_PROTOCOL_VERSION = 3
const FLAG_AUTHENTICATED = 1
const FLAG_CHECKSUM = 2
export const HEADER_BYTES = 7

/**
 * Frame kinds of a push-pull exchange: a `Push` opens it (digest plus what the sender believes
 * the peer lacks); the peer answers with a `Reply` (what the pusher lacks), or `ReplyWantsMore`
 * when it still lacks something itself, which is answered by a `Final`, never answered.
 */
export const FrameKind = { Push: 0, Reply: 1, ReplyWantsMore: 2, Final: 3 } as const
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind]

/**
 * A fold of a departed origin into this origin, its heir (docs/compaction.md): the heir's
 * versions `from`..`to` carry the departed origin's contributions as its own, and whoever holds
 * the heir's changes through `to` drops the departed origin.
 */
export interface FrameFold {
  id: string
  incarnation: number
  from: number
  to: number
}

export interface FrameOrigin {
  id: string
  incarnation: number
  /** Sender's version vector entry for this origin. */
  known: number
  /** Folds this origin performed as heir, while they are recent. */
  folds: FrameFold[]
}

/** What the frame's origin list is written from. */
export interface OriginList {
  /** Local numbers of the origins to list, in order (their wire numbers are their positions). */
  readonly listed: readonly number[]
  readonly ids: readonly string[]
  readonly incarnations: readonly number[]
  readonly known: readonly number[]
}

export interface FrameSlot {
  field: number
  version: number
  delta: unknown
  /**
   * In a slot pool: a delta decoded at this position before, of field `spareField` (-1: none),
   * kept for reuse. A group's slots alternate between fields (a binding, then cells), so the
   * field at a position changes from one frame or chunk to the next: with one delta per position,
   * each change of field allocated a new delta.
   */
  spare: unknown
  spareField: number
}

export interface FrameGroup {
  originRef: number
  from: number
  to: number
  /** How many slots the group holds (read them with `GroupChunks` when `slots` is null). */
  slotCount: number
  /** Offset of the group's first slot in the frame's `body`. */
  start: number
  /** The decoded slots of a group of at most `KEEP_DECODED_SLOTS`; null for a larger one (decoded again when applied). */
  slots: FrameSlot[] | null
  /** For a larger group: how many of its slots name each wire field (so a receiver can make room first). */
  slotsByField: number[] | null
}

/**
 * Largest group whose decoded slots a parsed frame keeps. Smaller groups are applied from what
 * validation decoded (decoding twice cost the sync path about 5 %); larger ones are decoded again
 * when applied, so a catch-up of the whole state does not hold it all as objects.
 */
export const KEEP_DECODED_SLOTS = 4096

export interface FrameDoc {
  field: number
  digest: DocDigest | null
  messages: DocMessage[]
}

export interface ParsedFrame {
  kind: FrameKind
  senderId: string
  senderIncarnation: number
  senderAddress: string
  members: MemberRecord[]
  origins: FrameOrigin[]
  groups: FrameGroup[]
  docs: FrameDoc[]
  sizeBytes: number
  /** The frame's bytes without its tag or checksum (where `GroupChunks` reads the slots). */
  body: Uint8Array
}

/** How the replica decodes one slot payload of a field (validated, state untouched). */
export interface SlotDecoder {
  fieldCount: number
  isDocField(field: number): boolean
  /** Whether a slot may name wire field `field` (a field's changes, or an interning field's bindings). */
  holdsSlots(field: number): boolean
  /** `into`: a delta this decoder returned before for a slot of the same field, no longer needed (see `SlotOps.decodeSlot`). */
  decodeSlot(field: number, reader: Reader, origins: OriginCodec, into?: unknown): unknown
  /**
   * Where the slots of a frame's group `group` are read, when the decoder reuses them from frame
   * to frame: an array this decoder keeps, whose slot objects and deltas are overwritten by the
   * next frame it parses, so a parsed frame must be applied before the next is parsed (the
   * replica does). Without it every slot is a new object.
   */
  slotPool?(group: number): FrameSlot[] | undefined
}

export interface FrameLimits {
  maxFrameBytes: number
}

const MAX_ID_BYTES = 1024

/** Writes the header; the body follows, then `seal` appends the tag. */
export function beginFrame(fingerprint: number, key: FrameKey | null): Encoder {
  const encoder = createEncoder()
  writeU8(encoder, MAGIC)
  writeU8(encoder, PROTOCOL_VERSION)
  writeU8(encoder, key ? FLAG_AUTHENTICATED : FLAG_CHECKSUM)
  writeU32(encoder, fingerprint)
  return encoder
}

const NO_PARTS: readonly (Uint8Array | Encoder)[] = []

/**
 * The frame: what `encoder` holds, then `parts` in order (a frame's groups are written apart and
 * copied in here), then the authentication tag (with a secret) or a MurmurHash3 checksum (without
 * one). The frame is put together in one buffer of its final size: a catch-up frame of megabytes
 * is copied once, not once per stage.
 */
export function sealFrame(encoder: Encoder, key: FrameKey | null, parts = NO_PARTS): Uint8Array {
  let bodyLength = encoding.length(encoder)
  for (const part of parts) bodyLength += part instanceof Uint8Array ? part.length : encoding.length(part)
  const sealed = new Uint8Array(bodyLength + (key ? TAG_BYTES : CHECKSUM_BYTES))
  let at = copyEncoded(encoder, sealed, 0)
  for (const part of parts) {
    if (part instanceof Uint8Array) {
      sealed.set(part, at)
      at += part.length
    } else at = copyEncoded(part, sealed, at)
  }
  if (key) sealed.set(tag(key, sealed.subarray(0, bodyLength)), bodyLength)
  else writeChecksum(sealed, bodyLength)
  return sealed
}

/**
 * The members a frame lists, by `incarnation:id`, to their place in the list: an origin that is
 * a listed member (or a listed member's heir origin) is written as a reference to it.
 */
export type MemberRefs = ReadonlyMap<string, number>

const NO_MEMBER_REFS: MemberRefs = new Map()

/** A member's key, `incarnation:id`: in a frame's member references and for a peer's records in the gossip engine. */
export function memberKey(id: string, incarnation: number): string {
  return `${incarnation}:${id}`
}

/**
 * Status bit of a member record whose address is left out: the sender's own (the frame's sender
 * field has it), or one the frame's receiver listed in its last frame to the sender.
 */
const ADDRESS_OMITTED = 2

/**
 * Writes the member list; returns the members' places for `writeOrigins`. `omitAddress`: the
 * live members whose address the receiver knows (`ADDRESS_OMITTED`).
 */
export function writeMembers(encoder: Encoder, members: readonly MemberRecord[], omitAddress?: (member: MemberRecord) => boolean): MemberRefs {
  writeVarUint(encoder, members.length)
  const refs = new Map<string, number>()
  for (let index = 0; index < members.length; index++) {
    const member = members[index]!
    refs.set(memberKey(member.id, member.incarnation), index)
    writeString(encoder, member.id)
    writeVarUint(encoder, member.incarnation)
    writeVarUint(encoder, member.heartbeat)
    if (member.status === STATUS_ALIVE && omitAddress?.(member)) {
      writeU8(encoder, member.status | ADDRESS_OMITTED)
      continue
    }
    writeU8(encoder, member.status)
    writeString(encoder, member.address)
    if (member.status === STATUS_LEFT) {
      writeString(encoder, member.heir ?? '')
      writeVarUint(encoder, member.heirIncarnation ?? 0)
      writeVarUint(encoder, member.final ?? 0)
      writeVarUint(encoder, member.heirFinal ?? 0)
    }
  }
  return refs
}

const NO_FOLDS: readonly FrameFold[] = []

/**
 * Writes the origins with their versions (the vector) and folds. An origin that is a member of
 * `members` (the frame's member list) is written as `1 + 2·place`, its heir origin as
 * `2 + 2·place`; any other as 0, its id and its incarnation.
 */
export function writeOrigins(encoder: Encoder, origins: OriginList, foldsOf: (origin: number) => readonly FrameFold[] = () => NO_FOLDS, members: MemberRefs = NO_MEMBER_REFS): void {
  writeVarUint(encoder, origins.listed.length)
  for (const origin of origins.listed) {
    const id = origins.ids[origin]!
    const incarnation = origins.incarnations[origin]!
    const heir = id.endsWith(HEIR_SUFFIX)
    const place = members.size === 0 ? undefined : members.get(memberKey(heir ? id.slice(0, -HEIR_SUFFIX.length) : id, incarnation))
    if (place === undefined) {
      writeVarUint(encoder, 0)
      writeString(encoder, id)
      writeVarUint(encoder, incarnation)
    } else writeVarUint(encoder, 1 + 2 * place + (heir ? 1 : 0))
    writeVarUint(encoder, origins.known[origin]!)
    const folds = foldsOf(origin)
    writeVarUint(encoder, folds.length)
    for (const fold of folds) {
      writeString(encoder, fold.id)
      writeVarUint(encoder, fold.incarnation)
      writeVarUint(encoder, fold.from)
      writeVarUint(encoder, fold.to)
    }
  }
}

/**
 * Checks size, magic, version, fingerprint and authentication, then decodes the body.
 * @throws DecodeError, AuthError, SchemaMismatchError or ProtocolVersionError; nothing else.
 */
export function parseFrame(bytes: Uint8Array, fingerprint: number, key: FrameKey | null, limits: FrameLimits, slots: SlotDecoder): ParsedFrame {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('a frame must be a Uint8Array')
  if (bytes.length > limits.maxFrameBytes) throw new DecodeError(`frame of ${bytes.length} bytes exceeds the limit of ${limits.maxFrameBytes}`)
  if (bytes.length < HEADER_BYTES) throw new DecodeError(`frame of ${bytes.length} bytes is shorter than a header`)
  if (bytes[0] !== MAGIC) throw new DecodeError(`bad magic byte 0x${bytes[0]!.toString(16)}`)
  if (bytes[1] !== PROTOCOL_VERSION && bytes[1] !== LEGACY_PROTOCOL_VERSION) {
    throw new ProtocolVersionError(`frame has protocol version ${bytes[1]}, this replica speaks ${PROTOCOL_VERSION} (and reads ${LEGACY_PROTOCOL_VERSION})`)
  }
  const flags = bytes[2]!
  if ((flags & ~(FLAG_AUTHENTICATED | FLAG_CHECKSUM)) !== 0 || flags === (FLAG_AUTHENTICATED | FLAG_CHECKSUM)) {
    throw new DecodeError(`unknown frame flags 0x${flags.toString(16)}`)
  }
  let body = bytes
  if (key) {
    if ((flags & FLAG_AUTHENTICATED) === 0) throw new AuthError('frame is not authenticated and this replica requires a secret')
    if (bytes.length < HEADER_BYTES + TAG_BYTES) throw new AuthError('authenticated frame is too short to hold its tag')
    body = bytes.subarray(0, bytes.length - TAG_BYTES)
    if (!verify(key, body, bytes.subarray(bytes.length - TAG_BYTES))) throw new AuthError('frame authentication failed (wrong secret or tampered frame)')
  } else if ((flags & FLAG_AUTHENTICATED) !== 0) {
    throw new AuthError('frame is authenticated but this replica has no secret configured')
  } else {
    if ((flags & FLAG_CHECKSUM) === 0) throw new DecodeError('frame carries no checksum')
    if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES || !checksumMatches(bytes)) throw new DecodeError('frame checksum mismatch (corrupted frame)')
    body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES)
  }
  const reader = new Reader(body)
  reader.bytesOf(3, 'header')
  const received = reader.u32('schema fingerprint')
  if (received !== fingerprint) {
    throw new SchemaMismatchError(`peer declared different state: schema fingerprint ${received.toString(16)}, expected ${fingerprint.toString(16)}`, fingerprint, received)
  }
  try {
    return parseBody(reader, slots, bytes.length, bytes[1]!)
  } catch (error) {
    if (error instanceof DecodeError) throw error
    throw new DecodeError(`malformed frame: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }
}

function parseBody(reader: Reader, slots: SlotDecoder, sizeBytes: number, version: number): ParsedFrame {
  const kind = reader.u8('frame kind')
  if (kind > FrameKind.Final) throw new DecodeError(`unknown frame kind ${kind}`)
  const senderId = reader.string('sender id', MAX_ID_BYTES)
  const senderIncarnation = reader.varUint('sender incarnation')
  const senderAddress = reader.string('sender address', MAX_ID_BYTES)

  const memberCount = reader.count(reader.remaining, 'member count')
  const members: MemberRecord[] = []
  for (let i = 0; i < memberCount; i++) {
    const id = reader.string('member id', MAX_ID_BYTES)
    const incarnation = reader.varUint('member incarnation')
    const heartbeat = reader.varUint('member heartbeat')
    const status = reader.u8('member status')
    if (status === (STATUS_ALIVE | ADDRESS_OMITTED) && version !== LEGACY_PROTOCOL_VERSION) {
      // The sender's own record takes the address of the frame's sender field.
      if (id === senderId && incarnation === senderIncarnation) members.push({ id, incarnation, heartbeat, status: STATUS_ALIVE, address: senderAddress })
      else members.push({ id, incarnation, heartbeat, status: STATUS_ALIVE, address: '', addressOmitted: true })
      continue
    }
    if (status > 1) throw new DecodeError(`member ${JSON.stringify(id)} has unknown status ${status}`)
    const address = reader.string('member address', MAX_ID_BYTES)
    if (status === STATUS_LEFT) {
      members.push({ id, incarnation, heartbeat, status, address, heir: reader.string('member heir', MAX_ID_BYTES), heirIncarnation: reader.varUint('member heir incarnation'), final: reader.varUint('member final version'), heirFinal: reader.varUint('member heir final version') })
    } else {
      members.push({ id, incarnation, heartbeat, status, address })
    }
  }

  const originCount = reader.count(reader.remaining, 'origin count')
  const origins: FrameOrigin[] = []
  for (let i = 0; i < originCount; i++) {
    let id: string
    let incarnation: number
    const ref = version === LEGACY_PROTOCOL_VERSION ? 0 : reader.varUint('origin reference')
    if (ref === 0) {
      id = reader.string('origin id', MAX_ID_BYTES)
      incarnation = reader.varUint('origin incarnation')
    } else {
      const member = members[(ref - 1) >> 1]
      if (member === undefined) throw new DecodeError(`origin names member ${(ref - 1) >> 1}, frame lists ${members.length}`)
      id = (ref & 1) === 0 ? heirIdOf(member.id) : member.id
      incarnation = member.incarnation
    }
    const known = reader.varUint('origin version')
    const foldCount = reader.count(reader.remaining, 'fold count')
    const folds: FrameFold[] = []
    for (let f = 0; f < foldCount; f++) {
      const fold = { id: reader.string('folded origin id', MAX_ID_BYTES), incarnation: reader.varUint('folded origin incarnation'), from: reader.varUint('fold from'), to: reader.varUint('fold to') }
      if (fold.from < 1 || fold.from > fold.to + 1 || fold.to > known) throw new DecodeError(`fold of ${JSON.stringify(fold.id)} spans versions ${fold.from}..${fold.to} of an origin known to ${known}`)
      if (fold.id === id && fold.incarnation === incarnation) throw new DecodeError(`origin ${JSON.stringify(id)} folds itself`)
      folds.push(fold)
    }
    origins.push({ id, incarnation, known, folds })
  }
  const codec = wireOrigins(origins.length)

  const groupCount = reader.count(origins.length, 'group count')
  const groups: FrameGroup[] = []
  for (let i = 0; i < groupCount; i++) {
    const originRef = reader.varUint('group origin')
    if (originRef >= origins.length) throw new DecodeError(`group names origin ${originRef}, frame has ${origins.length}`)
    const from = reader.varUint('group from')
    const to = reader.varUint('group to')
    if (to < from) throw new DecodeError(`group of origin ${originRef} ends (${to}) before it starts (${from})`)
    const slotCount = reader.count(reader.remaining, 'slot count')
    const start = reader.position
    const pool = slots.slotPool?.(i)
    if (slotCount <= KEEP_DECODED_SLOTS) {
      const kept = pool ?? []
      readSlots(reader, slots, codec, from, from, to, slotCount, kept, pool !== undefined)
      groups.push({ originRef, from, to, slotCount, start, slots: kept, slotsByField: null })
    } else {
      // A larger group is only validated here, a chunk at a time, by the loop that reads a kept
      // group (compiled by the syncs already), and decoded again when applied (`GroupChunks`).
      const slotsByField: number[] = []
      for (const chunks = new GroupChunks(reader, from, to, slotCount, slots, codec, pool); chunks.next();) countFields(chunks.slots, slotsByField)
      groups.push({ originRef, from, to, slotCount, start, slots: null, slotsByField })
    }
  }

  const docCount = reader.count(slots.fieldCount, 'doc count')
  const docs: FrameDoc[] = []
  for (let i = 0; i < docCount; i++) {
    const field = reader.varUint('doc field')
    if (field >= slots.fieldCount || !slots.isDocField(field)) throw new DecodeError(`doc section names field ${field}, which is not a doc`)
    const hasDigest = reader.u8('doc digest flag')
    if (hasDigest > 1) throw new DecodeError(`bad doc digest flag ${hasDigest}`)
    let digest: DocDigest | null = null
    if (hasDigest === 1) {
      const stateVector = reader.varBytes('doc state vector')
      digest = { stateVector, deleteSetHash: reader.u32('doc delete set hash') }
      parseMessage(encodeStep1(stateVector))
    }
    const messageCount = reader.count(reader.remaining, 'doc message count')
    const messages: DocMessage[] = []
    for (let m = 0; m < messageCount; m++) messages.push(parseMessage(reader.varBytes('doc message')))
    docs.push({ field, digest, messages })
  }
  reader.end()
  return { kind: kind as FrameKind, senderId, senderIncarnation, senderAddress, members, origins, groups, docs, sizeBytes, body: reader.bytes }
}

/**
 * Reads and validates a group's `slotCount` slots into `kept` (appended). With `reuse`, `kept`
 * holds the previous chunk's slots, which are overwritten, their deltas passed back to the
 * decoder, and it ends `slotCount` long. A function of its own, so that each group loop is
 * compiled apart from the rest of the frame's parsing.
 */
function readSlots(reader: Reader, slots: SlotDecoder, codec: OriginCodec, start: number, from: number, to: number, slotCount: number, kept: FrameSlot[], reuse: boolean): number {
  let version = start
  // The slots past the group's end go: a pool kept as long as its longest group held about 17
  // bytes per flow more on the workload's replicas, for fewer allocations only.
  if (reuse && kept.length > slotCount) kept.length = slotCount
  for (let s = 0; s < slotCount; s++) {
    const field = slotField(reader, slots)
    version = nextVersion(reader, version, from, to, s)
    const old = reuse ? kept[s] : undefined
    if (old === undefined) kept.push({ field, version, delta: slots.decodeSlot(field, reader, codec), spare: undefined, spareField: -1 })
    else {
      let into: unknown
      if (old.field === field) into = old.delta
      else {
        // The position's current delta becomes its spare; the spare, if of this field, is reused.
        into = old.spareField === field ? old.spare : undefined
        old.spare = old.delta
        old.spareField = old.field
      }
      old.delta = slots.decodeSlot(field, reader, codec, into)
      old.field = field
      old.version = version
    }
  }
  return version
}

/** Counts a chunk's slots by field into `slotsByField`. */
function countFields(chunk: readonly FrameSlot[], slotsByField: number[]): void {
  for (const slot of chunk) slotsByField[slot.field] = (slotsByField[slot.field] ?? 0) + 1
}

function slotField(reader: Reader, slots: SlotDecoder): number {
  const field = reader.varUint('slot field')
  if (!slots.holdsSlots(field)) throw new DecodeError(`slot names field ${field}, which holds no slots`)
  return field
}

/** The version of slot `s` after `version`. */
function nextVersion(reader: Reader, version: number, from: number, to: number, s: number): number {
  const gap = reader.varUint('slot version gap')
  // One version is one change: versions strictly increase within a group (a receiver that
  // stops a group before a slot holds exactly the versions below it).
  if (gap === 0) throw new DecodeError(`slot ${s} of a group repeats version ${version}`)
  const next = version + gap
  if (next <= from || next > to) throw new DecodeError(`slot version ${next} is outside its group (${from}, ${to}]`)
  return next
}

/** Origin references of a frame's slots, as the frame numbers them. */
function wireOrigins(size: number): OriginCodec {
  return { size, toWire: (origin) => origin, toLocal: (ref) => ref }
}

/**
 * A group's slots read from `reader` `KEEP_DECODED_SLOTS` at a time: `next()` fills `slots` with
 * the next chunk (as a kept group holds them), or returns false after the last. Each chunk
 * overwrites the previous one's slot objects and deltas, so after the first chunk nothing is
 * allocated per slot (a catch-up of 165,000 slots made about 75 MB of garbage). `parseFrame`
 * validates a group too large to keep this way; the replica decodes it again this way when it
 * applies it (`groupChunks`), which cannot fail then. Either pass runs the code that reads a kept
 * group, and the replica applies a chunk with the code that applies one: the syncs have compiled
 * both long before a joiner's first large group arrives.
 */
export class GroupChunks {
  private read = 0
  private version: number

  /** `slots`: where the chunks are read (a decoder's pool, or a new array). */
  constructor(
    private readonly reader: Reader, private readonly from: number, private readonly to: number, private readonly slotCount: number,
    private readonly decoder: SlotDecoder, private readonly origins: OriginCodec, readonly slots: FrameSlot[] = [],
  ) {
    this.version = from
  }

  next(): boolean {
    if (this.read === this.slotCount) return false
    const count = Math.min(KEEP_DECODED_SLOTS, this.slotCount - this.read)
    // A chunk's slots and deltas are used until the next chunk is read, then overwritten by it.
    this.version = readSlots(this.reader, this.decoder, this.origins, this.version, this.from, this.to, count, this.slots, true)
    this.read += count
    return true
  }
}

/** The chunks of a group of `frame` that the frame did not keep decoded; `slots` as for `GroupChunks`. */
export function groupChunks(frame: ParsedFrame, group: FrameGroup, decoder: SlotDecoder, slots?: FrameSlot[]): GroupChunks {
  return new GroupChunks(new Reader(frame.body, group.start), group.from, group.to, group.slotCount, decoder, wireOrigins(frame.origins.length), slots)
}

/**
 * Chunks over no slots, for `holder` to keep (src/shapes.ts): while one instance lives, the
 * hidden class of the chunks a frame makes survives a full GC, and so does the code optimized
 * for it. Held by the decoder, not by the process, since it references the decoder.
 */
export function idleGroupChunks(holder: SlotDecoder): GroupChunks {
  return new GroupChunks(new Reader(new Uint8Array(0)), 0, 0, 0, holder, wireOrigins(0))
}

/** Every slot of a group, decoded anew (for tests and tools; the replica reads them with `GroupChunks`). */
export function groupSlots(frame: ParsedFrame, group: FrameGroup, slots: SlotDecoder): FrameSlot[] {
  const reader = new Reader(frame.body, group.start)
  const origins = wireOrigins(frame.origins.length)
  const read: FrameSlot[] = []
  let version = group.from
  for (let s = 0; s < group.slotCount; s++) {
    const field = reader.varUint()
    version += reader.varUint()
    read.push({ field, version, delta: slots.decodeSlot(field, reader, origins), spare: undefined, spareField: -1 })
  }
  return read
}

/** Wraps a state vector as a sync step 1 message, so it is validated like any other. */
function encodeStep1(stateVector: Uint8Array): Uint8Array {
  const encoder = createEncoder()
  writeVarUint(encoder, 0)
  writeVarUint(encoder, stateVector.length)
  writeBytes(encoder, stateVector)
  return toBytes(encoder)
}
