/**
 * fast-check arbitraries over the frame grammar (docs/protocol.md): a header (mostly valid magic,
 * version, flags and schema fingerprint, so the frame reaches the decoders), a kind, a sender,
 * member records, an origin table, groups of slots and doc sections, each part either well
 * formed, a corpus part in the wrong place, or hostile (huge numbers and counts, ids at and past
 * their size limit, references past the origin table, fields that hold no slots, slot payloads
 * cut short and ending in deeply nested values, doc messages that are not sync messages).
 *
 * The frame is written with the frame module's own writers (`beginFrame`, `writeMembers`,
 * `writeOrigins`, `sealFrame`); slot payloads and doc messages come from the corpus, cut out of
 * real frames by the real parser, so no slot layout is written down here.
 */
import fc from 'fast-check'
import { type Encoder, toBytes, writeBytes, writeString, writeU32, writeU8, writeVarBytes, writeVarUint } from '../../crdts/codec.js'
import type { FrameKey } from '../../src/auth.js'
import { type FrameFold, type FrameOrigin, beginFrame, sealFrame, writeMembers, writeOrigins } from '../../src/frame.js'
import type { MemberRecord } from '../../src/membership.js'
import { CORPUS_IDS, type Corpus } from './corpus.js'
import { type FuzzFrame, seal } from './sealing.js'

/**
 * The arbitraries of one profile. A well-formed frame keeps every structural rule (counts,
 * references, version ranges, sizes), so most are accepted and their forged content reaches the
 * apply path; a hostile frame breaks any of them, so it reaches each check of the decoders.
 */
interface Profile {
  readonly hostile: boolean
  readonly id: fc.Arbitrary<string>
  readonly number: fc.Arbitrary<number>
  readonly countSkew: fc.Arbitrary<number>
}

const wellFormed: Profile = {
  hostile: false,
  id: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...CORPUS_IDS, 'target', 'x', 'y') },
    { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
  ),
  number: fc.oneof(
    { weight: 8, arbitrary: fc.nat(12) },
    { weight: 1, arbitrary: fc.nat() },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER - 100) },
  ),
  countSkew: fc.constant(0),
}

const hostile: Profile = {
  hostile: true,
  id: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...CORPUS_IDS, 'target', 'x', 'y') },
    { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom('', 'z'.repeat(1024), 'z'.repeat(1025), '\u{1F525}'.repeat(300)) },
  ),
  // Counters, versions, incarnations: small, large, and at the edges of exact integers.
  number: fc.oneof(
    { weight: 6, arbitrary: fc.nat(12) },
    { weight: 2, arbitrary: fc.nat() },
    { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER) },
    { weight: 1, arbitrary: fc.maxSafeNat() },
  ),
  // How far a written count is off the number of items written (mostly not at all).
  countSkew: fc.oneof(
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: -1, max: 2 }) },
    { weight: 1, arbitrary: fc.constantFrom(1000, 2 ** 31, Number.MAX_SAFE_INTEGER) },
  ),
}

/** In a hostile frame, one value in `odds` comes from `bad` instead of `good`. */
function sometimes<T>(profile: Profile, good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, odds = 10): fc.Arbitrary<T> {
  return profile.hostile ? fc.oneof({ weight: odds - 1, arbitrary: good }, { weight: 1, arbitrary: bad }) : good
}

type HeaderVariant = { kind: 'valid' } | { kind: 'magic' | 'version' | 'flags'; value: number } | { kind: 'fingerprint'; value: number }

const headerArb = (profile: Profile): fc.Arbitrary<HeaderVariant> => sometimes<HeaderVariant>(profile, fc.constant({ kind: 'valid' }), fc.oneof<fc.Arbitrary<HeaderVariant>[]>(
  fc.record({ kind: fc.constantFrom('magic' as const, 'version' as const, 'flags' as const), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('fingerprint' as const), value: fc.nat(2 ** 32 - 1) }),
), 20)

const memberArb = (corpus: Corpus, profile: Profile): fc.Arbitrary<MemberRecord> => fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...corpus.members) },
  {
    weight: 3,
    arbitrary: fc.record({
      id: profile.id,
      incarnation: profile.number,
      heartbeat: profile.number,
      status: sometimes(profile, fc.nat(1), fc.nat(255)),
      address: fc.oneof(profile.id, fc.constantFrom('ws://127.0.0.1:1', 'target')),
      // A graceful leave names an heir (written only for status 1).
      heir: fc.oneof(profile.id, fc.constant('')),
      heirIncarnation: profile.number,
      final: profile.number,
      heirFinal: profile.number,
    }),
  },
)

const foldArb = (profile: Profile): fc.Arbitrary<FrameFold> => fc.record({ id: profile.id, incarnation: profile.number, from: profile.number, to: profile.number })

const originArb = (corpus: Corpus, profile: Profile): fc.Arbitrary<FrameOrigin> => fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...corpus.origins) },
  {
    weight: 2,
    arbitrary: fc.record({
      id: profile.id,
      incarnation: profile.number,
      known: profile.number,
      folds: fc.oneof({ weight: 4, arbitrary: fc.constant<FrameFold[]>([]) }, { weight: 1, arbitrary: fc.array(foldArb(profile), { maxLength: 3 }) }),
    }).map((origin): FrameOrigin => ({
      ...origin,
      // Well-formed folds span versions of their heir it holds.
      folds: profile.hostile ? origin.folds : origin.folds.filter(() => origin.known > 0).map((fold) => {
        const from = 1 + (fold.from % origin.known)
        return { ...fold, from, to: from + (fold.to % (origin.known - from + 1)) }
      }),
    })),
  },
)

/** A slot payload, chosen when the frame is written (it depends on the slot's field). */
interface PayloadChoice {
  kind: 'own-field' | 'other-field' | 'random' | 'cut-and-nest'
  pick: number
  random: Uint8Array
  cut: number
  nesting: { tag: 'array' | 'object'; depth: number }
}

const payloadArb = (profile: Profile): fc.Arbitrary<PayloadChoice> => fc.record({
  kind: sometimes(profile, fc.constant('own-field' as const), fc.constantFrom('other-field' as const, 'random' as const, 'cut-and-nest' as const), 6),
  pick: fc.nat(),
  random: fc.uint8Array({ maxLength: 24 }),
  cut: fc.nat(),
  nesting: fc.record({ tag: fc.constantFrom('array' as const, 'object' as const), depth: fc.constantFrom(2, 64, 65, 1_000, 9_500, 20_000) }),
})

interface SlotChoice {
  field: number
  gap: number
  payload: PayloadChoice
}

interface GroupChoice {
  originRef: number
  from: number
  /** Versions the group spans past its last slot. */
  slack: number
  slots: SlotChoice[]
  slotSkew: number
}

const groupArb = (corpus: Corpus, profile: Profile): fc.Arbitrary<GroupChoice> => fc.record({
  originRef: sometimes(profile, fc.nat(5), profile.number),
  // A group applies only when it continues what the target holds: often from version 0.
  from: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: profile.number }),
  slack: sometimes(profile, fc.nat(3), fc.integer({ min: -3, max: -1 })),
  slots: fc.array(fc.record({
    field: sometimes(profile, fc.constantFrom(...corpus.slotFields), fc.nat(12)),
    gap: sometimes(profile, fc.integer({ min: 1, max: 3 }), fc.oneof(fc.constant(0), profile.number)),
    payload: payloadArb(profile),
  }), { maxLength: 6 }),
  slotSkew: profile.countSkew,
})

interface DocChoice {
  field: number
  digest: { vector: number; random: Uint8Array | null; hash: number } | null
  digestFlag: number
  messages: { kind: 'corpus' | 'random' | 'flipped'; pick: number; random: Uint8Array; flip: number }[]
  messageSkew: number
}

const docArb = (corpus: Corpus, profile: Profile): fc.Arbitrary<DocChoice> => fc.record({
  field: sometimes(profile, fc.constantFrom(...corpus.docFields), fc.nat(12)),
  digest: fc.option(fc.record({ vector: fc.nat(), random: profile.hostile ? fc.option(fc.uint8Array({ maxLength: 12 }), { freq: 4 }) : fc.constant(null), hash: fc.nat(2 ** 32 - 1) })),
  digestFlag: sometimes(profile, fc.constant(-1), fc.nat(255), 20),
  messages: fc.array(fc.record({
    kind: sometimes(profile, fc.constant('corpus' as const), fc.constantFrom('random' as const, 'flipped' as const), 4),
    pick: fc.nat(),
    random: fc.uint8Array({ maxLength: 40 }),
    flip: fc.nat(),
  }), { maxLength: 3 }),
  messageSkew: profile.countSkew,
})

interface FrameChoice {
  hostile: boolean
  header: HeaderVariant
  kind: number
  sender: { id: string; incarnation: number; address: string }
  members: MemberRecord[]
  origins: FrameOrigin[]
  groups: GroupChoice[]
  groupSkew: number
  docs: DocChoice[]
  docSkew: number
  trailing: Uint8Array
}

const frameArb = (corpus: Corpus, profile: Profile): fc.Arbitrary<FrameChoice> => fc.record({
  hostile: fc.constant(profile.hostile),
  header: headerArb(profile),
  kind: sometimes(profile, fc.nat(3), fc.nat(255), 20),
  sender: fc.record({ id: profile.id, incarnation: profile.number, address: fc.oneof(profile.id, fc.constant('honest')) }),
  members: fc.array(memberArb(corpus, profile), { maxLength: 5 }),
  origins: fc.array(originArb(corpus, profile), { maxLength: 6 }),
  groups: fc.array(groupArb(corpus, profile), { maxLength: 4 }),
  groupSkew: profile.countSkew,
  docs: fc.array(docArb(corpus, profile), { maxLength: 2 }),
  docSkew: profile.countSkew,
  trailing: sometimes(profile, fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 1, maxLength: 8 }), 30),
})

export interface GrammarOptions {
  /**
   * Whether frames carry fold records and graceful leaves that name an heir (which make the
   * heir fold the departed origin). Off, the fuzzer leaves the folding code alone (to tell
   * whether a failure comes from it).
   */
  folds: boolean
}

/** Frames generated from the grammar, half well-formed and half hostile, sealed with `key` (or a checksum without one). */
export function grammarFrame(corpus: Corpus, key: FrameKey | null, options: GrammarOptions): fc.Arbitrary<FuzzFrame> {
  return fc.oneof(frameArb(corpus, wellFormed), frameArb(corpus, hostile))
    .map((frame) => (options.folds ? frame : withoutFolds(frame)))
    .map((frame) => ({ source: 'grammar' as const, recipe: describe(frame), bytes: writeFrame(frame, corpus, key) }))
}

function withoutFolds(frame: FrameChoice): FrameChoice {
  return {
    ...frame,
    members: frame.members.map((member) => ({ ...member, heir: '' })),
    origins: frame.origins.map((origin) => ({ ...origin, folds: [] })),
  }
}

function describe(frame: FrameChoice): string {
  const parts = [frame.hostile ? 'hostile' : 'well-formed', `kind ${frame.kind}`, `${frame.members.length}m ${frame.origins.length}o ${frame.groups.length}g ${frame.docs.length}d`]
  if (frame.header.kind !== 'valid') parts.unshift(`bad ${frame.header.kind}`)
  return parts.join(', ')
}

function writeFrame(frame: FrameChoice, corpus: Corpus, key: FrameKey | null): Uint8Array {
  const encoder = beginFrame(corpus.fingerprint, key)
  writeU8(encoder, frame.kind)
  writeString(encoder, frame.sender.id)
  writeVarUint(encoder, frame.sender.incarnation)
  writeString(encoder, frame.sender.address)
  // Origins that are listed members are written as references to them, as replicas do.
  const members = writeMembers(encoder, frame.members)
  const origins = frame.origins
  writeOrigins(encoder, {
    listed: origins.map((_, index) => index),
    ids: origins.map((origin) => origin.id),
    incarnations: origins.map((origin) => origin.incarnation),
    known: origins.map((origin) => origin.known),
  }, (index) => origins[index]!.folds, members)
  // A well-formed frame has at most one group per origin it lists, each naming a listed origin.
  const groups = frame.hostile ? frame.groups : frame.groups.slice(0, origins.length).map((group) => ({ ...group, originRef: group.originRef % origins.length }))
  writeVarUint(encoder, skewed(groups.length, frame.groupSkew))
  for (const group of groups) writeGroup(encoder, group, corpus)
  writeVarUint(encoder, skewed(frame.docs.length, frame.docSkew))
  for (const doc of frame.docs) writeDoc(encoder, doc, corpus)
  writeBytes(encoder, frame.trailing)
  if (frame.header.kind === 'valid') return sealFrame(encoder, key)
  // A bad header field is patched in before sealing, so the trailer still matches.
  const body = toBytes(encoder)
  const header = frame.header
  if (header.kind === 'fingerprint') new DataView(body.buffer, body.byteOffset).setUint32(3, header.value)
  else body[header.kind === 'magic' ? 0 : header.kind === 'version' ? 1 : 2] = header.value
  return seal(body, key)
}

function skewed(count: number, skew: number): number {
  return Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, skew > 2 ? skew : count + skew))
}

function writeGroup(encoder: Encoder, group: GroupChoice, corpus: Corpus): void {
  let last = group.from
  for (const slot of group.slots) last += slot.gap
  writeVarUint(encoder, group.originRef)
  writeVarUint(encoder, group.from)
  writeVarUint(encoder, Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, last + group.slack)))
  writeVarUint(encoder, skewed(group.slots.length, group.slotSkew))
  for (const slot of group.slots) {
    writeVarUint(encoder, slot.field)
    writeVarUint(encoder, slot.gap)
    writeBytes(encoder, payloadBytes(slot.field, slot.payload, corpus))
  }
}

function pick<T>(list: readonly T[], index: number): T | undefined {
  return list.length === 0 ? undefined : list[index % list.length]
}

function payloadBytes(field: number, payload: PayloadChoice, corpus: Corpus): Uint8Array {
  const own = pick(corpus.slotPayloads[field] ?? [], payload.pick)
  switch (payload.kind) {
    case 'own-field': return own ?? payload.random
    case 'other-field': return pick(corpus.slotPayloads.flat(), payload.pick) ?? payload.random
    case 'random': return payload.random
    case 'cut-and-nest': {
      const prefix = (own ?? payload.random).subarray(0, payload.cut % ((own ?? payload.random).length + 1))
      const nested = nestedValue(payload.nesting.tag, payload.nesting.depth)
      const bytes = new Uint8Array(prefix.length + nested.length)
      bytes.set(prefix)
      bytes.set(nested, prefix.length)
      return bytes
    }
  }
}

/** A lib0 `any` value nested `depth` deep: arrays of one array, or objects of one key. */
export function nestedValue(tag: 'array' | 'object', depth: number): Uint8Array {
  const unit = tag === 'array' ? [117, 1] : [118, 1, 1, 0x6b]
  const bytes = new Uint8Array(depth * unit.length + 1)
  for (let level = 0; level < depth; level++) bytes.set(unit, level * unit.length)
  bytes[bytes.length - 1] = 127
  return bytes
}

function writeDoc(encoder: Encoder, doc: DocChoice, corpus: Corpus): void {
  writeVarUint(encoder, doc.field)
  writeU8(encoder, doc.digestFlag >= 0 ? doc.digestFlag : doc.digest ? 1 : 0)
  if (doc.digest) {
    writeVarBytes(encoder, doc.digest.random ?? pick(corpus.stateVectors, doc.digest.vector) ?? new Uint8Array([0]))
    writeU32(encoder, doc.digest.hash)
  }
  writeVarUint(encoder, skewed(doc.messages.length, doc.messageSkew))
  for (const message of doc.messages) {
    const base = pick(corpus.docMessages, message.pick)
    let bytes = message.kind === 'random' || !base ? message.random : base
    if (message.kind === 'flipped' && base) {
      bytes = base.slice()
      bytes[message.flip % bytes.length]! ^= 1 << (message.flip % 8)
    }
    writeVarBytes(encoder, bytes)
  }
}
