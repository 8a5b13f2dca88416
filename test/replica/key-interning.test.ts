/**
 * Key interning of flow tables between replicas (docs/protocol.md, "A cell does not carry its
 * flow key"): a flow key crosses the wire once per origin, in a binding, and later changes of the
 * flow name the binding by two varuints; with idle expiry, ordinals of dropped cells are reused
 * (next generation) and every replica still reads every cell under its own key; an old copy of
 * a cell whose ordinal was bound again (still alive at a holder) travels with its key, so nothing
 * is held back.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, register, type Replica } from '../../src/index.js'
import { createSimulation, type Simulation } from '../../src/sim/index.js'
import { type ParsedFrame, groupSlots, parseFrame } from '../../src/frame.js'
import type { FlowKey, FlowTableState } from '../../crdts/flow-table.js'
import { flowTableOps } from '../../crdts/flow-table-slots.js'
import { keyOfRef } from '../../crdts/flow-table-bindings.js'
import { Reader, createEncoder, toBytes } from '../../crdts/codec.js'
import { identityOrigins } from '../../crdts/join.js'
import { gossip, recordedReplica } from './support.js'

/** One field: wire field 0 carries the table's cells, wire field 1 its key bindings. */
const Flows = defineState({ flows: flowTable({ fields: { packets: counter() } }) })
const CELLS = 0
const BINDINGS = 1

const Expiring = defineState({ flows: flowTable({ fields: { packets: counter(), tag: register<string>('') }, idleTimeoutMs: 100 }) })
type ExpiringReplica = Replica<typeof Expiring.fields>

/** What the tests read of a replica's insides. */
interface Insides {
  fields: { state: unknown }[]
  ownOrigin: number
  origins: { ids: string[]; incarnations: number[]; known: number[]; listed: number[]; lookup(id: string, incarnation: number): number }
  gossip: { missingBindings: number; fieldCount: number; isDocField(field: number): boolean; holdsSlots(field: number): boolean; decodeSlot: unknown }
}

function insides(replica: Replica): Insides {
  return replica as unknown as Insides
}

function tableOf(replica: Replica): FlowTableState {
  return insides(replica).fields[0]!.state as FlowTableState
}

const interned = flowTableOps.interned!

/** Version of the binding `state` holds for `origin`'s ordinal (0: none). */
function bindingVersion(state: FlowTableState, origin: number, ordinal: number): number {
  return interned.bindingVersion(state, origin, ordinal)
}

/** The key `state` holds for `origin`'s binding (ordinal, generation), undefined when it holds none of that generation. */
function boundKey(state: FlowTableState, origin: number, ordinal: number, generation: number): FlowKey | undefined {
  if (bindingVersion(state, origin, ordinal) === 0) return undefined
  const encoder = createEncoder()
  interned.encodeBinding(encoder, state, origin, ordinal)
  const held = interned.decodeBinding(new Reader(toBytes(encoder)))
  return held.generation === generation ? keyOfRef(held) : undefined
}

/** A 5-tuple-like key of about 60 bytes, distinct for every `i`. */
function longKey(i: number): string {
  return `tcp:10.${(i >> 8) & 255}.${i & 255}.17:${40_000 + i}>192.168.200.201:443/https-flow-${i}`
}

/** Decodes a frame as `receiver` would (its schema and slot decoders), without applying it. */
function parse(receiver: Replica, frame: Uint8Array): ParsedFrame {
  return parseFrame(frame, Flows.fingerprint, null, { maxFrameBytes: Number.MAX_SAFE_INTEGER }, insides(receiver).gossip as never)
}

/** The slots of `frame` of wire field `field`. */
function slotsOf(receiver: Replica, frame: ParsedFrame, field: number): { version: number; delta: unknown }[] {
  const decoder = insides(receiver).gossip as never
  return frame.groups.flatMap((group) => groupSlots(frame, group, decoder).filter((slot) => slot.field === field))
}

function includesText(frame: Uint8Array, text: string): boolean {
  return Buffer.from(frame).includes(Buffer.from(text, 'utf8'))
}

/** Advances in steps of `stepMs` until `done()`, at most `maxMs`; returns whether it got there. */
function advanceUntil(sim: Simulation, done: () => boolean, maxMs: number, stepMs = 10): boolean {
  for (let waited = 0; !done(); waited += stepMs) {
    if (waited >= maxMs) return false
    sim.advance(stepMs)
  }
  return true
}

function flowsView(replica: Replica): unknown {
  return replica.snapshot()['flows']
}


/** Counts `n` packets of flow `key` and tags the flow with its own key (a cell read under another key shows another tag). */
function writeTagged(replica: { state: { flows: { entry(key: string): { packets: { increment(n: number): void }; tag: { set(value: string): void } } } } }, key: string, n: number): void {
  const entry = replica.state.flows.entry(key)
  entry.packets.increment(n)
  entry.tag.set(key)
}

describe('flow keys cross the wire once', () => {
  it('later changes of a flow name its binding: no key bytes, a few bytes per changed flow', async () => {
    const FLOWS = 1000
    const sim = createSimulation({ seed: 31, latencyMs: [1, 4] })
    const x = recordedReplica(sim, Flows, { id: 'x', gossip })
    const y = recordedReplica(sim, Flows, { id: 'y', gossip })
    const keys = Array.from({ length: FLOWS }, (_, i) => longKey(i))
    expect(Math.min(...keys.map((key) => Buffer.byteLength(key)))).toBeGreaterThanOrEqual(50)
    for (const key of keys) x.replica.state.flows.entry(key).packets.increment(1)
    const caughtUp = (total: number) => () => keys.every((key) => y.replica.state.flows.get(key)?.packets.global === total)
    expect(advanceUntil(sim, caughtUp(1), 2_000)).toBe(true)
    sim.advance(200) // beliefs settle: nothing is resent after this

    // The first exchange carried every key, once, in a binding; the cells carried none.
    const firstFrames = x.sent.map((frame) => parse(y.replica, frame))
    const boundKeys = firstFrames.flatMap((frame) => slotsOf(y.replica, frame, BINDINGS).map((slot) => (slot.delta as { key: FlowKey }).key))
    expect(new Set(boundKeys)).toEqual(new Set(keys))
    const firstCells = firstFrames.flatMap((frame) => slotsOf(y.replica, frame, CELLS))
    expect(firstCells.length).toBeGreaterThanOrEqual(FLOWS)
    for (const slot of firstCells) expect((slot.delta as { key: unknown }).key).toBeUndefined()
    const firstBytes = Math.max(...x.sent.map((frame) => frame.length))
    expect(firstBytes).toBeGreaterThan(FLOWS * 50)

    /** Rewrites `count` flows, flushes x, and returns the frame that carried them to y. */
    const rewrite = async (count: number, total: number): Promise<Uint8Array> => {
      const from = x.sent.length
      for (const key of keys.slice(0, count)) x.replica.state.flows.entry(key).packets.increment(1)
      await x.replica.flush()
      const pushed = x.sent.slice(from)
      expect(pushed.length).toBe(1)
      const frame = pushed[0]!
      const parsed = parse(y.replica, frame)
      expect(slotsOf(y.replica, parsed, CELLS).length).toBe(count)
      expect(slotsOf(y.replica, parsed, BINDINGS).length).toBe(0)
      expect(advanceUntil(sim, () => keys.slice(0, count).every((key) => y.replica.state.flows.get(key)?.packets.global === total), 1_000)).toBe(true)
      sim.advance(200)
      return frame
    }
    const all = await rewrite(FLOWS, 2)
    const one = await rewrite(1, 3)
    const perCell = (all.length - one.length) / (FLOWS - 1)
    expect(perCell).toBeGreaterThan(1) // the difference does measure the cells
    expect(perCell).toBeLessThan(20) // a key alone is over 50 bytes
    expect(all.length).toBeLessThan(firstBytes / 2)

    // No frame since the first exchange, of either replica, holds any key's bytes.
    const later = [...x.sent.slice(firstFrames.length), ...y.sent.slice(-20)]
    expect(later.length).toBeGreaterThan(2)
    for (const frame of later) {
      const text = Buffer.from(frame).toString('latin1')
      const found = keys.filter((key) => text.includes(key))
      expect(found, `a frame of ${frame.length} bytes holds keys`).toEqual([])
    }
    expect(includesText(all, keys[0]!)).toBe(false)
    for (const key of keys) expect(y.replica.state.flows.get(key)?.packets.global).toBe(key === keys[0] ? 3 : 2)
  })

  it('a replica forwards the bindings it holds: a newcomer that only reaches it reads every key', () => {
    const sim = createSimulation({ seed: 32, latencyMs: [1, 4], loss: 0.1 })
    const a = sim.spawn(Flows, { id: 'a', gossip })
    const b = sim.spawn(Flows, { id: 'b', gossip })
    // Long strings, 5-tuples in `flowKey()`'s form, integers.
    const keys: FlowKey[] = [...Array.from({ length: 40 }, (_, i) => longKey(i)), '10.0.3.7:51234>10.1.0.2:443/6', '10.0.3.8:1>10.1.0.2:53/17', 0, 1, 2, 99]
    keys.forEach((key, i) => a.state.flows.entry(key).packets.increment(i + 1))
    sim.runUntilConverged({ maxMs: 5_000 })
    keys.forEach((key) => a.state.flows.entry(key).packets.increment(100)) // changes after the bindings
    sim.runUntilConverged({ maxMs: 5_000 })
    sim.partition(['a'], ['b', 'c'])
    const c = sim.spawn(Flows, { id: 'c', gossip })
    expect(advanceUntil(sim, () => JSON.stringify(flowsView(c)) === JSON.stringify(flowsView(b)), 5_000)).toBe(true)
    keys.forEach((key, i) => expect(c.state.flows.get(key)?.packets.global).toBe(i + 101))
    const aAtC = insides(c).origins.lookup('a', 1)
    expect(aAtC).toBeGreaterThanOrEqual(0)
    expect(insides(c).origins.known[aAtC]).toBe(insides(a).origins.known[insides(a).ownOrigin])
  })
})

describe('ordinal reuse with idle expiry, end to end', () => {
  const IDS = ['a', 'b', 'c']
  const KEYS_PER_REPLICA = 4

  /** Round `round`'s keys of replica `at`: its own strings and integers, and two keys all write. */
  function roundKeys(round: number, at: number): FlowKey[] {
    const own: FlowKey[] = [`r${round}:${IDS[at]}:${longKey(round * 10 + at)}`, `r${round}:${IDS[at]}:short`, 1000 * (round + 1) + at]
    return [...own.slice(0, KEYS_PER_REPLICA - 2), own[2]!, `shared:${round}`].slice(0, KEYS_PER_REPLICA)
  }

  it('rounds of writes, expiry, sweeps and new keys: every replica shows the same entries and counts', () => {
    const ROUNDS = 6
    const sim = createSimulation({ seed: 41, latencyMs: [1, 8], loss: 0.05, duplicate: 0.05, reorder: true })
    const replicas = IDS.map((id) => sim.spawn(Expiring, { id, gossip })) as ExpiringReplica[]
    for (let round = 0; round < ROUNDS; round++) {
      const expected = new Map<FlowKey, number>()
      for (let wave = 0; wave < 2; wave++) {
        replicas.forEach((replica, at) => {
          roundKeys(round, at).forEach((key, j) => {
            const n = 1 + ((round + at + j + wave) % 5)
            const entry = replica.state.flows.entry(key)
            entry.packets.increment(n)
            entry.tag.set(String(key))
            expected.set(key, (expected.get(key) ?? 0) + n)
          })
        })
        sim.advance(20)
      }
      // Shown the same everywhere, each under its own key, before anything of this round expires.
      const view = Object.fromEntries([...expected].sort(([x], [y]) => (String(x) < String(y) ? -1 : 1)).map(([key, packets]) => [String(key), { packets, tag: String(key) }]))
      const shown = advanceUntil(sim, () => replicas.every((replica) => JSON.stringify(sortedView(replica)) === JSON.stringify(view)), 70)
      expect(shown, `round ${round}: ${JSON.stringify(replicas.map(sortedView))} instead of ${JSON.stringify(view)}`).toBe(true)
      // Everything of the round expires and is swept everywhere (idle 100 ms, grace 100 ms).
      sim.advance(300)
      for (const replica of replicas) {
        expect(replica.state.flows.size).toBe(0)
        expect(tableOf(replica).keyIndex.size, `round ${round}: ${replica.id} swept`).toBe(0)
      }
    }

    // Each replica held at most KEYS_PER_REPLICA own cells at once: its ordinals were reused,
    // each round with the next generation, and every peer holds the same bindings.
    for (const [at, owner] of replicas.entries()) {
      const own = insides(owner).ownOrigin
      const table = tableOf(owner)
      const lastKeys = roundKeys(ROUNDS - 1, at)
      const bound = Array.from({ length: KEYS_PER_REPLICA }, (_, ordinal) => boundKey(table, own, ordinal, ROUNDS))
      expect(new Set(bound)).toEqual(new Set(lastKeys))
      expect(bindingVersion(table, own, KEYS_PER_REPLICA), 'no ordinal beyond the most cells held at once').toBe(0)
      for (const peer of replicas) {
        if (peer === owner) continue
        const origin = insides(peer).origins.lookup(owner.id, 1)
        const atPeer = Array.from({ length: KEYS_PER_REPLICA }, (_, ordinal) => boundKey(tableOf(peer), origin, ordinal, ROUNDS))
        expect(atPeer, `${owner.id}'s bindings at ${peer.id}`).toEqual(bound)
      }
    }
    // Nothing is held back: every replica holds every origin up to the same version.
    const vectors = replicas.map((replica) => vectorOf(replica))
    for (const vector of vectors) expect(vector).toEqual(vectors[0])
    expect(sim.network.stats().handlerErrors + sim.network.stats().timerErrors).toBe(0)
  })

  it('an old copy of a cell whose binding was replaced travels with its key: nothing is held back', () => {
    // b keeps 'old' alive (writing it) while a, cut off, drops its cell of 'old' and binds the
    // freed ordinal to 'new'. b then holds a's old cell (old generation) and a's new binding:
    // c, which learns a's changes only from b, is sent the old cell with its key (b no longer
    // holds its binding), reads it under 'old', and gets the rest of a's changes at once.
    const sim = createSimulation({ seed: 43, latencyMs: [1, 3] })
    const [a, b] = ['a', 'b'].map((id) => sim.spawn(Expiring, { id, gossip })) as [ExpiringReplica, ExpiringReplica]
    writeTagged(a, 'old', 5)
    sim.advance(60)
    expect(b.state.flows.get('old')?.packets.global).toBe(5)
    const aOrigin = insides(a).ownOrigin
    expect(boundKey(tableOf(a), aOrigin, 0, 1)).toBe('old')

    sim.partition(['a'], ['b'])
    for (let i = 0; i < 8; i++) {
      writeTagged(b, 'old', 1)
      sim.advance(40)
    }
    expect(tableOf(a).keyIndex.has('old')).toBe(false) // swept at a: ordinal 0 is free
    writeTagged(a, 'new', 7)
    sim.advance(20)
    expect(boundKey(tableOf(a), aOrigin, 0, 2)).toBe('new')

    sim.heal()
    writeTagged(b, 'old', 1)
    sim.advance(60)
    expect(b.state.flows.get('new')?.packets.global).toBe(7)
    expect(b.state.flows.get('old')?.packets.global).toBe(5 + 9) // a's old cell still counted at b
    sim.crash('a') // from now on only b has a's changes

    const c = sim.spawn(Expiring, { id: 'c', gossip })
    const aAtC = () => insides(c).origins.lookup('a', 1)
    // b stops writing 'old' (it expires, and is swept 200 ms after its last write) and keeps
    // 'new' alive; c has a's 'new' and a's old cell well before b drops that cell.
    let bNew = 0
    const aAtB = insides(b).origins.lookup('a', 1)
    for (let i = 0; i < 10; i++) {
      writeTagged(b, 'new', 1)
      bNew++
      sim.advance(40)
      if (i === 2) {
        // 120 ms on, b (last write of 'old' 180 ms ago) still holds a's old cell: c was sent it
        // with its key, holds a's changes as far as b does, and shows 'old' as b does.
        expect(tableOf(b).keyIndex.has('old')).toBe(true)
        expect(insides(c).gossip.missingBindings).toBe(0)
        expect(aAtC()).toBeGreaterThanOrEqual(0)
        expect(insides(c).origins.known[aAtC()]).toBe(insides(b).origins.known[aAtB]!)
        expect(c.state.flows.get('new')?.packets.global).toBeGreaterThanOrEqual(7 + bNew - 1) // a's 7 are there
        expect(c.state.flows.get('new')?.packets.global).toBeLessThanOrEqual(7 + bNew)
        expect(wrongTags(c)).toEqual([])
      }
    }
    expect(tableOf(b).keyIndex.has('old')).toBe(false)
    const arrived = advanceUntil(sim, () => c.state.flows.get('new')?.packets.global === 7 + bNew, 60)
    expect(arrived, `c: ${JSON.stringify(flowsView(c))}, b: ${JSON.stringify(flowsView(b))}`).toBe(true)
    expect(flowsView(c)).toEqual(flowsView(b))
    expect(c.state.flows.get('new')?.tag.global).toBe('new')
    expect(insides(c).gossip.missingBindings).toBe(0)
    expect(aAtC()).toBeGreaterThanOrEqual(0)
    expect(insides(c).origins.known[aAtC()]).toBe(insides(b).origins.known[aAtB])
    expect(boundKey(tableOf(c), aAtC(), 0, 2)).toBe('new')
    // No cell at c holds another key's tag.
    expect(wrongTags(c)).toEqual([])
  })
})

describe('a cell naming a later generation of an ordinal', () => {
  it('is never read under the earlier binding a lagging replica still holds', () => {
    // a binds ordinal 0 to 'k1', 'k2', then 'k3' (each time after sweeping the previous cell,
    // which b keeps alive); r, cut off all along, holds (0, generation 1) -> 'k1' and then meets
    // b, which holds a's 'k2' cell (0, generation 2) and a's binding (0, generation 3).
    const sim = createSimulation({ seed: 47, latencyMs: [1, 3] })
    const [a, b, r] = ['a', 'b', 'r'].map((id) => sim.spawn(Expiring, { id, gossip })) as [ExpiringReplica, ExpiringReplica, ExpiringReplica]
    const aOrigin = insides(a).ownOrigin
    writeTagged(a, 'k1', 5)
    sim.advance(60)
    const aAtR = insides(r).origins.lookup('a', 1)
    expect(boundKey(tableOf(r), aAtR, 0, 1)).toBe('k1')
    const keys = ['k1', 'k2', 'k3']
    for (let round = 0; round < 2; round++) {
      sim.partition(['a'], ['b'], ['r'])
      for (let i = 0; i < 8; i++) {
        writeTagged(b, keys[round]!, 1)
        sim.advance(40)
      }
      expect(tableOf(a).keyIndex.has(keys[round]!), `a swept ${keys[round]}`).toBe(false)
      writeTagged(a, keys[round + 1]!, 7 + round)
      sim.advance(10)
      sim.partition(['a', 'b'], ['r'])
      writeTagged(b, keys[round]!, 1) // b keeps its copy of a's cell alive while it gets a's new binding
      const aAtB = insides(b).origins.lookup('a', 1)
      expect(advanceUntil(sim, () => boundKey(tableOf(b), aAtB, 0, round + 2) === keys[round + 1], 90)).toBe(true)
      expect(boundKey(tableOf(a), aOrigin, 0, round + 2)).toBe(keys[round + 1])
    }
    const aAtB = insides(b).origins.lookup('a', 1)
    expect(b.state.flows.get('k2')?.packets.global).toBe(7 + 9) // a's old 'k2' cell still counts at b
    writeTagged(b, 'k2', 1) // and a while longer
    sim.crash('a')
    sim.heal()
    expect(boundKey(tableOf(r), aAtR, 0, 1)).toBe('k1')

    let bK3 = 0
    for (let i = 0; i < 10; i++) {
      writeTagged(b, 'k3', 1)
      bK3++
      sim.advance(40)
      expect(wrongTags(r), `after ${i + 1} rounds`).toEqual([])
      if (i === 2) {
        // b still holds a's old 'k2' cell, and sent it to r with its key: r is not held back.
        expect(tableOf(b).keyIndex.has('k2')).toBe(true)
        expect(insides(r).gossip.missingBindings).toBe(0)
        expect(insides(r).origins.known[aAtR]).toBe(insides(b).origins.known[aAtB]!)
      }
    }
    expect(advanceUntil(sim, () => r.state.flows.get('k3')?.packets.global === 8 + bK3, 60)).toBe(true)
    expect(sortedView(r)).toEqual(sortedView(b))
    expect(r.state.flows.get('k3')?.tag.global).toBe('k3')
    expect(insides(r).origins.known[aAtR]).toBe(insides(b).origins.known[aAtB])
    expect(boundKey(tableOf(r), aAtR, 0, 3)).toBe('k3')
    expect(wrongTags(r)).toEqual([])
    expect(wrongTags(b)).toEqual([])
  })
})

/** Cells (stamped, visible or not) whose tag is not their entry's key, read through the slot ops. */
function wrongTags(replica: Replica): { key: FlowKey; tag: unknown }[] {
  const table = tableOf(replica)
  const tag = table.fieldByName.get('tag')!
  const wrong: { key: FlowKey; tag: unknown }[] = []
  for (const slot of flowTableOps.slots(table)) {
    const encoder = createEncoder()
    flowTableOps.encodeSlot(encoder, table, slot, identityOrigins)
    const delta = flowTableOps.decodeSlot(new Reader(toBytes(encoder)), identityOrigins, table)
    const value = delta.numbers[tag.offset]! >= 0 ? delta.objects[tag.objectOffset] : undefined
    const key = keyOfRef({ key: delta.key!, bytes: delta.keyBytes, at: delta.keyAt })
    if (value !== undefined && value !== String(key)) wrong.push({ key, tag: value })
  }
  return wrong
}

/** `[key, { packets, tag }]` of every visible entry, by key as a string. */
function sortedView(replica: ExpiringReplica): Record<string, { packets: number; tag: unknown }> {
  const entries = [...replica.state.flows].map(([key, entry]) => [String(key), { packets: entry.packets.global, tag: entry.tag.global }] as const)
  entries.sort(([x], [y]) => (x < y ? -1 : 1))
  return Object.fromEntries(entries)
}

/** Origin `id#incarnation` -> version held through, for every origin a replica lists. */
function vectorOf(replica: Replica): Record<string, number> {
  const origins = insides(replica).origins
  return Object.fromEntries(origins.listed.map((origin) => [`${origins.ids[origin]}#${origins.incarnations[origin]}`, origins.known[origin]!]))
}

describe('a holder that keeps an old copy alive for good', () => {
  it('does not hold back any later change of the copy\'s origin from a newcomer', () => {
    // b keeps writing 'old', so its copy of a's old cell never expires at b; a, cut off, bound
    // the cell's ordinal to 'new', wrote a counter, and crashed. c can learn a's changes only
    // from b. Before old copies travelled with their keys, c stopped a's group at the old cell
    // on every exchange, for as long as b kept 'old' alive.
    const Busy = defineState({
      total: counter(),
      flows: flowTable({ fields: { packets: counter(), tag: register<string>('') }, idleTimeoutMs: 100 }),
    })
    type BusyReplica = Replica<typeof Busy.fields>
    const sim = createSimulation({ seed: 43, latencyMs: [1, 3] })
    const [a, b] = ['a', 'b'].map((id) => sim.spawn(Busy, { id, gossip })) as [BusyReplica, BusyReplica]
    writeTagged(a, 'old', 5)
    sim.advance(60)
    sim.partition(['a'], ['b'])
    for (let i = 0; i < 8; i++) {
      writeTagged(b, 'old', 1)
      sim.advance(40)
    }
    writeTagged(a, 'new', 7)
    a.state.total.increment(100)
    sim.advance(20)
    sim.heal()
    writeTagged(b, 'old', 1)
    sim.advance(60)
    expect(b.state.total.global).toBe(100)
    sim.crash('a')
    const c = sim.spawn(Busy, { id: 'c', gossip })
    for (let i = 0; i < 25; i++) {
      writeTagged(b, 'old', 1)
      writeTagged(b, 'new', 1)
      sim.advance(40)
    }
    expect(tableOf(b as unknown as Replica).keyIndex.has('old')).toBe(true) // b still holds a's old cell
    expect(c.state.total.global).toBe(100)
    expect(c.state.flows.get('old')?.packets.global).toBeGreaterThanOrEqual(b.state.flows.get('old')!.packets.global - 1)
    expect(c.state.flows.get('new')?.packets.global).toBeGreaterThanOrEqual(b.state.flows.get('new')!.packets.global - 1)
    expect(c.state.flows.get('new')?.tag.global).toBe('new')
    expect(insides(c as unknown as Replica).gossip.missingBindings).toBe(0)
  })
})
