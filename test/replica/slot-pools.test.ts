/**
 * The gossip engine reads each frame's slots into pools it reuses (src/gossip.ts, `slotPool`): a
 * frame holds the pools from its parse until it is applied, and the next frame overwrites their
 * slot objects and deltas. A frame parsed while another still holds them must get pools of its
 * own, or the first frame would be applied with the second one's changes.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { KEEP_DECODED_SLOTS, type ParsedFrame } from '../../src/frame.js'
import { gossip, recordedReplica } from './support.js'

const Flows = defineState({ packets: counter(), flows: flowTable({ fields: { packets: counter(), bytes: counter() } }) })

interface Engine {
  parse(bytes: Uint8Array): ParsedFrame
  receive(frame: ParsedFrame): void
}

function engineOf(replica: Replica): Engine {
  return (replica as unknown as { gossip: Engine }).gossip
}

function fiveTuple(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.9:${2000 + i}>10.1.0.3:80/6`
}

/** Every flow's (key, packets, bytes), sorted, and the global packet count. */
function contents(replica: Replica<typeof Flows.fields>): { packets: number; flows: [string, number, number][] } {
  const flows = replica.state.flows
  const rows = [...flows.keys()].map((key) => [String(key), flows.get(key)!.packets.global, flows.get(key)!.bytes.global] as [string, number, number])
  return { packets: replica.state.packets.global, flows: rows.sort((a, b) => a[0].localeCompare(b[0])) }
}

/** A receiver with no peer: frames reach it only by hand. */
function receiver(id: string): Replica<typeof Flows.fields> {
  return recordedReplica(createSimulation({ seed: 5 }), Flows, { id, gossip }).replica
}

describe('frames read into reused slot pools', () => {
  // The sender writes in three rounds; a fresh receiver is sent everything at first (one large
  // group, read in chunks), then each later round's changes (small groups, kept decoded).
  const sim = createSimulation({ seed: 11, latencyMs: [1, 3] })
  const x = recordedReplica(sim, Flows, { id: 'x', gossip })
  const y = recordedReplica(sim, Flows, { id: 'y', gossip })
  const FLOWS = KEEP_DECODED_SLOTS + 500
  const rounds: Uint8Array[] = []
  for (let round = 0; round < 3; round++) {
    const from = round === 0 ? 0 : FLOWS - 40 * round
    for (let i = from; i < FLOWS + 30 * round; i++) {
      const entry = x.replica.state.flows.entry(fiveTuple(i))
      entry.packets.increment(round + 1)
      entry.bytes.increment(100 * (round + 1) + i)
      x.replica.state.packets.increment()
    }
    const before = x.sent.length
    sim.advance(300)
    // The frame that carried this round's changes: the largest x sent in the round.
    rounds.push(x.sent.slice(before).reduce((best, frame) => (frame.length > best.length ? frame : best)))
  }

  it('the frames are what the test means: a large group first, then small ones', () => {
    const engine = engineOf(receiver('probe'))
    const sizes = rounds.map((bytes) => {
      const frame = engine.parse(bytes)
      const result = frame.groups.map((group) => group.slotCount)
      engine.receive(frame)
      return Math.max(...result)
    })
    expect(sizes[0]).toBeGreaterThan(KEEP_DECODED_SLOTS)
    expect(sizes.slice(1).every((size) => size > 0 && size <= KEEP_DECODED_SLOTS)).toBe(true)
  })

  it('frames applied one by one reuse the slot objects, and hold what the sender holds', () => {
    const replica = receiver('one-by-one')
    const engine = engineOf(replica)
    let previous: ParsedFrame | null = null
    for (const bytes of rounds) {
      const frame = engine.parse(bytes)
      if (previous !== null && frame.groups[0]!.slots !== null && previous.groups[0]!.slots !== null) {
        // The same pool: the previous frame's slot objects, overwritten.
        expect(frame.groups[0]!.slots[0]).toBe(previous.groups[0]!.slots[0])
      }
      engine.receive(frame)
      previous = frame
    }
    expect(contents(replica)).toEqual(contents(y.replica))
    expect(contents(replica)).toEqual(contents(x.replica))
  })

  it('after a frame with a group too large to keep decoded, the pools are let go (they would keep its bytes alive)', () => {
    const engine = engineOf(receiver('let-go'))
    const pools = () => (engine as unknown as { freePools: unknown[] | null }).freePools
    engine.receive(engine.parse(rounds[0]!))
    expect(pools()).toBeNull()
    engine.receive(engine.parse(rounds[1]!))
    expect(pools()).not.toBeNull()
  })

  it('a frame parsed while another still holds the pools reads into pools of its own', () => {
    const replica = receiver('nested')
    const engine = engineOf(replica)
    engine.receive(engine.parse(rounds[0]!))
    // Round 2's frame is parsed before round 1's is applied (a frame received from inside an
    // event handler): both must be applied with their own changes.
    const first = engine.parse(rounds[1]!)
    const second = engine.parse(rounds[2]!)
    expect(second.groups[0]!.slots![0]).not.toBe(first.groups[0]!.slots![0])
    engine.receive(first)
    engine.receive(second)
    expect(contents(replica)).toEqual(contents(x.replica))
  })

  it('a frame of the replica\'s own, dropped unapplied, leaves the pools free for the next one', () => {
    // A receiver with the sender's id takes x's frames for its own (as a replica seeded with its
    // own address reaches itself).
    const replica = receiver('x')
    const pools = () => (engineOf(replica) as unknown as { freePools: unknown[] | null }).freePools
    replica.receive(rounds[1]!)
    expect(pools()).not.toBeNull()
    expect(replica.state.packets.global).toBe(0)
  })

  it('a rejected frame leaves the pools free for the next one', () => {
    const replica = receiver('rejected')
    const engine = engineOf(replica)
    const corrupted = rounds[0]!.slice()
    corrupted[corrupted.length >> 1] ^= 0x55
    expect(() => engine.parse(corrupted)).toThrow()
    expect((engine as unknown as { freePools: unknown[] | null }).freePools).not.toBeNull()
    for (const bytes of rounds) engine.receive(engine.parse(bytes))
    expect(contents(replica)).toEqual(contents(x.replica))
  })
})
