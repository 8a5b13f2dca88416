/**
 * How a frame's slots are read (src/frame.ts): validated whole by `parseFrame`; a small group is
 * applied from what validation decoded, a large one (more than `KEEP_DECODED_SLOTS`) is decoded a
 * second time, one slot at a time, as it is applied (`GroupSlots`). Validating a large group
 * builds no packed 5-tuple key, and flow cells and bindings are then decoded into one reused
 * object: what the receiver ends up holding must still be every key and count the sender wrote.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { GroupSlots, KEEP_DECODED_SLOTS, groupSlots, parseFrame, type ParsedFrame, type SlotDecoder } from '../../src/frame.js'
import type { FlowCellDelta, FlowKey } from '../../crdts/flow-table.js'
import { Reader } from '../../crdts/codec.js'
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

/**
 * A copy of a decoded slot that later decodes into the same reused object cannot change; a key
 * left packed in the frame is copied as its string (the frame itself is not compared).
 */
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

  it('the bindings decoded when applied carry the real keys, not what the validation pass skipped', () => {
    const frame = parse(y.replica, largest(x.sent))
    const bound = frame.groups.flatMap((group) => groupSlots(frame, group, decoderOf(y.replica)))
      .filter((slot) => slot.field === BINDINGS).map((slot) => keyOfRef(slot.delta as KeyRef))
    expect(new Set(bound)).toEqual(new Set<FlowKey>(keys))
  })

  it('GroupSlots reads every slot again, in order, exactly as a standalone decode does', () => {
    const frame = parse(y.replica, largest(x.sent))
    const decoder = decoderOf(y.replica)
    let cells = 0
    for (const group of frame.groups) {
      const expected = groupSlots(frame, group, decoder).map((slot) => ({ ...slot, delta: copied(slot.delta) }))
      const read: unknown[] = []
      for (const cursor = new GroupSlots(frame, group, decoder); cursor.next();) {
        read.push({ field: cursor.field, version: cursor.version, delta: copied(cursor.delta) })
        if (cursor.field === CELLS) cells++
      }
      expect(read).toEqual(expected)
      expect(read.length).toBe(group.slotCount)
    }
    expect(cells).toBeGreaterThanOrEqual(FLOWS)
  })
})

describe('decoding into a reused object', () => {
  const sim = createSimulation({ seed: 4, latencyMs: [1, 5] })
  const x = recordedReplica(sim, Flows, { id: 'x', gossip })
  x.replica.state.flows.entry('a').packets.increment(3)
  x.replica.state.flows.entry('b').packets.increment(5)
  const y = recordedReplica(sim, Flows, { id: 'y', gossip })
  sim.advance(300)
  const frame = parse(y.replica, largest(x.sent))
  const group = frame.groups.find((candidate) => groupSlots(frame, candidate, decoderOf(y.replica)).filter((slot) => slot.field === CELLS).length >= 2)!

  /** The cells of `group`, each decoded by the receiver's slot decoder from one reader. */
  function decodeCells(reuse: boolean): FlowCellDelta[] {
    const reader = new Reader(frame.body, group.start)
    reader.reuse = reuse
    const origins = { size: frame.origins.length, toWire: (origin: number) => origin, toLocal: (ref: number) => ref }
    const cells: FlowCellDelta[] = []
    for (let s = 0; s < group.slotCount; s++) {
      const field = reader.varUint()
      reader.varUint()
      const delta = decoderOf(y.replica).decodeSlot(field, reader, origins)
      if (field === CELLS) cells.push(delta as FlowCellDelta)
    }
    return cells
  }

  it('with `reuse`, every cell comes back in the same object, holding the last one read', () => {
    const fresh = decodeCells(false)
    const reused = decodeCells(true)
    expect(fresh.length).toBeGreaterThanOrEqual(2)
    expect(new Set(fresh).size).toBe(fresh.length)
    expect(new Set(reused).size).toBe(1)
    expect(copied(reused[0])).toEqual(copied(fresh[fresh.length - 1]))
    // Columns in field-name order: bytes, then packets.
    expect(fresh.map((cell) => cell.numbers[1]).sort()).toEqual([3, 5])
  })
})
