/**
 * How a frame's slots are read (src/frame.ts): validated whole by `parseFrame`; a small group is
 * applied from what validation decoded, a large one (more than `KEEP_DECODED_SLOTS`) is decoded a
 * second time, `KEEP_DECODED_SLOTS` slots at a time, as it is applied (`GroupChunks`): what the
 * receiver ends up holding must still be every key and count the sender wrote.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { type FrameSlot, KEEP_DECODED_SLOTS, groupChunks, groupSlots, parseFrame, type ParsedFrame, type SlotDecoder } from '../../src/frame.js'
import type { FlowCellDelta, FlowKey } from '../../crdts/flow-table.js'
import { type KeyRef, keyOfRef } from '../../crdts/flow-table-bindings.js'
import { gossip, largest, recordedReplica } from './support.js'

const Flows = defineState({ flows: flowTable({ fields: { packets: counter(), bytes: counter() } }) })
const CELLS = 0
const BINDINGS = 1

/** Canonical IPv4 5-tuples: the form that travels packed in 13 bytes. */
function fiveTuple(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.7:${1024 + i}>10.1.0.2:443/6`
}

function decoderOf(replica: Replica): SlotDecoder {
  return (replica as unknown as { gossip: SlotDecoder }).gossip
}

function parse(receiver: Replica, frame: Uint8Array): ParsedFrame {
  return parseFrame(frame, Flows.fingerprint, null, { maxFrameBytes: Number.MAX_SAFE_INTEGER }, decoderOf(receiver))
}

/** A decoded slot with a key left packed in the frame as its string (the frame itself is not compared). */
function copied(delta: unknown): unknown {
  const value = delta as Partial<FlowCellDelta> & Partial<KeyRef>
  if (Array.isArray(value.numbers)) {
    const { keyBytes, keyAt, ...rest } = value
    return { ...rest, key: value.key === null ? keyOfRef({ key: null, bytes: keyBytes!, at: keyAt! }) : value.key, numbers: [...value.numbers], objects: [...value.objects!] }
  }
  const { bytes, at, ...rest } = value
  return { ...rest, key: keyOfRef({ key: value.key!, bytes: bytes!, at: at! }) }
}

// 300 flows: one group of 600 slots (a binding and a cell per flow), kept decoded; 2,500 flows:
// 5,000 slots, decoded again when applied.
describe.each([
  { FLOWS: 300, kept: true },
  { FLOWS: 2_500, kept: false },
])('a frame of $FLOWS flows is validated whole, then applied slot by slot (kept decoded: $kept)', ({ FLOWS, kept }) => {
  const sim = createSimulation({ seed: 3, latencyMs: [1, 5] })
  const x = recordedReplica(sim, Flows, { id: 'x', gossip })
  const keys = Array.from({ length: FLOWS }, (_, i) => fiveTuple(i))
  for (const [i, key] of keys.entries()) {
    const entry = x.replica.state.flows.entry(key)
    entry.packets.increment(i + 1)
    entry.bytes.increment(64 * (i + 1))
  }
  const y = recordedReplica(sim, Flows, { id: 'y', gossip })
  sim.advance(400)

  it('the receiver holds every key and count the sender wrote, keys that travelled packed included', () => {
    const flows = y.replica.state.flows
    expect(new Set(flows.keys())).toEqual(new Set<FlowKey>(keys))
    for (const [i, key] of keys.entries()) {
      expect([flows.get(key)?.packets.global, flows.get(key)?.bytes.global]).toEqual([i + 1, 64 * (i + 1)])
    }
  })

  it('the group is kept decoded only when it is small', () => {
    const frame = parse(y.replica, largest(x.sent))
    const group = frame.groups.find((candidate) => candidate.slotCount >= 2 * FLOWS)!
    expect(group.slotCount > KEEP_DECODED_SLOTS).toBe(!kept)
    expect(group.slots === null).toBe(!kept)
  })

  it('the bindings decoded when applied carry the real keys', () => {
    const frame = parse(y.replica, largest(x.sent))
    const bound = frame.groups.flatMap((group) => groupSlots(frame, group, decoderOf(y.replica)))
      .filter((slot) => slot.field === BINDINGS).map((slot) => keyOfRef(slot.delta as KeyRef))
    expect(new Set(bound)).toEqual(new Set<FlowKey>(keys))
  })

  it('groupChunks reads every slot again, in order, in chunks of KEEP_DECODED_SLOTS, exactly as a standalone decode does', () => {
    const frame = parse(y.replica, largest(x.sent))
    const decoder = decoderOf(y.replica)
    let cells = 0
    for (const group of frame.groups) {
      const expected = groupSlots(frame, group, decoder).map((slot) => ({ field: slot.field, version: slot.version, delta: copied(slot.delta) }))
      const read: unknown[] = []
      const sizes: number[] = []
      for (const chunks = groupChunks(frame, group, decoder); chunks.next();) {
        sizes.push(chunks.slots.length)
        for (const slot of chunks.slots) {
          read.push({ field: slot.field, version: slot.version, delta: copied(slot.delta) })
          if (slot.field === CELLS) cells++
        }
      }
      expect(read).toEqual(expected)
      expect(read.length).toBe(group.slotCount)
      expect(sizes.slice(0, -1).every((size) => size === KEEP_DECODED_SLOTS)).toBe(true)
      expect(sizes.at(-1)).toBeLessThanOrEqual(KEEP_DECODED_SLOTS)
    }
    expect(cells).toBeGreaterThanOrEqual(FLOWS)
  })
})

// A catch-up group alternates between a binding and cells, but not in step: a cell written again
// later moves to the group's end. So a position of a slot pool meets both fields from one chunk
// (or frame) to the next, and keeps a spare delta of the other field rather than allocating one.
describe('a slot pool reuses the deltas of both fields a position meets', () => {
  const FLOWS = 2_500
  const sim = createSimulation({ seed: 5, latencyMs: [1, 5] })
  const x = recordedReplica(sim, Flows, { id: 'x', gossip })
  const keys = Array.from({ length: FLOWS }, (_, i) => fiveTuple(i))
  for (const key of keys) x.replica.state.flows.entry(key).packets.increment(1)
  sim.advance(100)
  // Stamped in a later round: these cells move to the end of x's log.
  for (let i = 0; i < FLOWS; i += 5) x.replica.state.flows.entry(keys[i]!).bytes.increment(64)
  sim.advance(100)
  recordedReplica(sim, Flows, { id: 'y', gossip })
  sim.advance(400)

  it('reading a large group again into the same pool allocates deltas only where its short last chunk cut the pool', () => {
    const frame = parse(x.replica, largest(x.sent))
    const group = frame.groups.find((candidate) => candidate.slotCount > KEEP_DECODED_SLOTS)!
    const decoder = decoderOf(x.replica)
    let fresh = 0
    const counting: SlotDecoder = Object.assign(Object.create(decoder) as SlotDecoder, {
      decodeSlot(field: number, reader: Parameters<SlotDecoder['decodeSlot']>[1], origins: Parameters<SlotDecoder['decodeSlot']>[2], into?: unknown) {
        if (into === undefined) fresh++
        return decoder.decodeSlot(field, reader, origins, into)
      },
    })
    const pool: FrameSlot[] = []
    const chunkFields: number[][] = []
    for (const chunks = groupChunks(frame, group, counting, pool); chunks.next();) chunkFields.push(chunks.slots.map((slot) => slot.field))
    // The test means something only if some position changes field from the first chunk to the last.
    expect(chunkFields.at(-1)!.some((field, position) => field !== chunkFields[0]![position])).toBe(true)
    fresh = 0
    const read: unknown[] = []
    for (const chunks = groupChunks(frame, group, counting, pool); chunks.next();) for (const slot of chunks.slots) read.push({ field: slot.field, version: slot.version, delta: copied(slot.delta) })
    // The last chunk cut the pool to its length; every position below it meets both fields.
    expect(fresh).toBe(KEEP_DECODED_SLOTS - chunkFields.at(-1)!.length)
    expect(read).toEqual(groupSlots(frame, group, decoder).map((slot) => ({ field: slot.field, version: slot.version, delta: copied(slot.delta) })))
  })
})
