/**
 * Valid frames captured from real replicas gossiping (random writes of every type, loss and
 * partitions on a simulated network), and the parts they are made of, cut out by the real frame
 * parser: slot payloads by field, doc sync messages and state vectors, member records and
 * origin entries. Mutations start from the frames; the grammar generator recombines the parts,
 * so neither knows the byte layout of a slot payload or of a Yjs update.
 */
import fc from 'fast-check'
import { type Reader, createEncoder, toBytes, writeVarBytes, writeVarUint } from '../../crdts/codec.js'
import type { OriginCodec } from '../../crdts/slot-type.js'
import { createFrameKey } from '../../src/auth.js'
import { type FrameOrigin, type SlotDecoder, parseFrame } from '../../src/frame.js'
import type { MemberRecord } from '../../src/membership.js'
import { createSimulation } from '../../src/sim/index.js'
import { FuzzState, applyFuzzWrite, fuzzWrite } from './fuzz-state.js'
import { type SimNode, startSimNode } from './sim-node.js'

/** Ids of the replicas whose frames make the corpus (the fuzz targets never run under them). */
export const CORPUS_IDS = ['s1', 's2', 's3', 's4'] as const

export interface Corpus {
  /** The shared secret the frames were sealed with, if any. */
  readonly secret: string | undefined
  readonly fingerprint: number
  /** Every frame sent, in order (duplicates removed). */
  readonly frames: Uint8Array[]
  /** Slot payloads seen, by field index (empty for doc fields). */
  readonly slotPayloads: Uint8Array[][]
  /** Fields that hold slots, and doc fields. */
  readonly slotFields: number[]
  readonly docFields: number[]
  /** Doc sync messages (step 2 and updates) and state vectors seen. */
  readonly docMessages: Uint8Array[]
  readonly stateVectors: Uint8Array[]
  readonly members: MemberRecord[]
  readonly origins: FrameOrigin[]
}

const cache = new Map<string, Corpus>()

/** The corpus of one seed and secret (computed once per process). */
export function corpusFor(seed: number, secret: string | undefined): Corpus {
  const key = `${seed}:${secret ?? ''}`
  let corpus = cache.get(key)
  if (!corpus) cache.set(key, (corpus = captureCorpus(seed, secret)))
  return corpus
}

/** Runs three replicas through random writes, loss and a partition, then a late joiner; keeps what they sent. */
export function captureCorpus(seed: number, secret: string | undefined, writes = 400): Corpus {
  const sim = createSimulation({ seed, loss: 0.1, latencyMs: [1, 15] })
  const start = (index: number) => startSimNode(sim, CORPUS_IDS[index]!, seed * 31 + index, {
    recordSent: true, incarnation: 1000 + index, ...(secret === undefined ? {} : { secret }),
  })
  const nodes: SimNode[] = [start(0), start(1), start(2)]
  const ops = fc.sample(fc.tuple(fc.nat(2), fuzzWrite, fc.integer({ min: 0, max: 30 })), { seed, numRuns: writes })
  ops.forEach(([at, op, thenMs], index) => {
    applyFuzzWrite(nodes[at]!.replica, op)
    if (index === Math.floor(writes / 3)) sim.partition(['s1'], ['s2', 's3'])
    if (index === Math.floor(writes / 2)) sim.heal()
    sim.advance(thenMs)
  })
  // A late joiner: the frames that catch it up carry whole states.
  sim.configure({ loss: 0 })
  nodes.push(start(3))
  sim.advance(2_000)
  const seen = new Set<string>()
  const frames: Uint8Array[] = []
  for (const node of nodes) {
    for (const frame of node.sent) {
      const text = Buffer.from(frame).toString('base64')
      if (seen.has(text)) continue
      seen.add(text)
      frames.push(frame)
    }
  }
  for (const node of nodes) void node.replica.stop()
  return harvest(frames, secret, nodes[0]!)
}

/** Cuts the frames into parts with the real parser, recording each slot payload's bytes. */
function harvest(frames: Uint8Array[], secret: string | undefined, source: SimNode): Corpus {
  const decoder = (source.replica as unknown as { gossip: SlotDecoder }).gossip
  const fieldCount = decoder.fieldCount
  // Wire field numbers: the fields, then the bindings of interning fields (flow tables).
  const slotPayloads: Uint8Array[][] = Array.from({ length: 2 * fieldCount }, () => [])
  const recorder: SlotDecoder = {
    fieldCount,
    isDocField: (field) => decoder.isDocField(field),
    holdsSlots: (field) => decoder.holdsSlots(field),
    decodeSlot(field: number, reader: Reader, origins: OriginCodec) {
      const start = reader.position
      const delta = decoder.decodeSlot(field, reader, origins)
      const list = slotPayloads[field]!
      if (list.length < 200) list.push(reader.bytes.slice(start, reader.position))
      return delta
    },
  }
  const key = secret === undefined ? null : createFrameKey(secret)
  const docMessages: Uint8Array[] = []
  const stateVectors: Uint8Array[] = []
  const members: MemberRecord[] = []
  const origins: FrameOrigin[] = []
  for (const frame of frames) {
    const parsed = parseFrame(frame, FuzzState.fingerprint, key, { maxFrameBytes: Number.MAX_SAFE_INTEGER }, recorder)
    if (members.length < 64) members.push(...parsed.members)
    if (origins.length < 64) origins.push(...parsed.origins)
    for (const doc of parsed.docs) {
      if (doc.digest && stateVectors.length < 100) stateVectors.push(doc.digest.stateVector.slice())
      for (const message of doc.messages) if (docMessages.length < 200) docMessages.push(encodeSyncMessage(message.type, message.payload))
    }
  }
  const fields = Array.from({ length: fieldCount }, (_, field) => field)
  return {
    secret, fingerprint: FuzzState.fingerprint, frames, slotPayloads,
    slotFields: Array.from({ length: 2 * fieldCount }, (_, field) => field).filter((field) => decoder.holdsSlots(field)),
    docFields: fields.filter((field) => decoder.isDocField(field)),
    docMessages, stateVectors, members, origins,
  }
}

/** A y-protocols sync message: type, then the payload with its length. */
function encodeSyncMessage(type: number, payload: Uint8Array): Uint8Array {
  const encoder = createEncoder()
  writeVarUint(encoder, type)
  writeVarBytes(encoder, payload)
  return toBytes(encoder)
}
