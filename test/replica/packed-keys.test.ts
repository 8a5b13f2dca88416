/**
 * Flow keys kept packed (crdts/key-index.ts): a 5-tuple in `flowKey()`'s form that arrives from a
 * peer stays in its 13 wire bytes at the receiver. Every way a user reaches an entry must find
 * that entry by the key's string, and no way may make a second entry of the same key.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowKey, flowTable, maxRegister } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import type { FlowTableState } from '../../crdts/flow-table.js'

const Flows = defineState({ flows: flowTable({ fields: { packets: counter() } }) })
const key = flowKey({ src: '10.0.3.7', sport: 51234, dst: '10.1.0.2', dport: 443, proto: 6 })
const other = flowKey({ src: '10.0.3.8', sport: 1, dst: '10.1.0.2', dport: 443, proto: 17 })

function tableOf(replica: unknown): FlowTableState {
  return (replica as { fields: { state: FlowTableState }[] }).fields[0]!.state
}

describe('flow keys kept packed at a receiver', () => {
  it('a receiver keeps a peer\'s 5-tuple packed, and reads, writes, deletes and lists it by its string', () => {
    const sim = createSimulation({ seed: 5 })
    const a = sim.spawn(Flows, { id: 'a' })
    const b = sim.spawn(Flows, { id: 'b' })
    a.state.flows.entry(key).packets.increment(3)
    a.state.flows.entry(other).packets.increment(1)
    sim.advance(1_000)
    const table = tableOf(b)
    expect(table.entryKey.filter((stored) => stored === null)).toHaveLength(2)
    expect(b.state.flows.has(key)).toBe(true)
    const read = b.state.flows.get(key)!
    expect(read.packets.global).toBe(3)
    expect(b.state.flows.keys().sort()).toEqual([key, other].sort())
    expect(b.snapshot()).toEqual({ flows: { [key]: { packets: 3 }, [other]: { packets: 1 } } })
    // A write by the string reaches the same entry: no second entry of the key.
    b.state.flows.entry(key).packets.increment(4)
    expect(b.state.flows.size).toBe(2)
    expect(read.packets.global).toBe(7)
    expect(b.state.flows.delete(other)).toBe(true)
    expect(b.state.flows.has(other)).toBe(false)
    // Its handle is known by now (the snapshot made one): `get` still answers by the entry's state.
    expect(b.state.flows.get(other)).toBeUndefined()
    sim.advance(1_000)
    expect(a.snapshot()).toEqual({ flows: { [key]: { packets: 7 } } })
    expect(b.snapshot()).toEqual(a.snapshot())
  })

  it('an entry made here by the string first meets the peer\'s packed key as the same entry', () => {
    const sim = createSimulation({ seed: 6 })
    const a = sim.spawn(Flows, { id: 'a' })
    const b = sim.spawn(Flows, { id: 'b' })
    const early = b.state.flows.entry(key)
    early.packets.increment(2)
    a.state.flows.entry(key).packets.increment(5)
    sim.advance(1_000)
    expect(b.state.flows.size).toBe(1)
    expect(early.packets.global).toBe(7)
    expect(a.state.flows.get(key)?.packets.global).toBe(7)
    expect([...b.state.flows].map(([k]) => k)).toEqual([key])
  })

  it('a packed entry dropped by the idle sweep comes back by its key, and a handle kept across it reads it under its new number', () => {
    const sim = createSimulation({ seed: 7 })
    const Idle = defineState({ flows: flowTable({ fields: { packets: counter(), lastSeen: maxRegister() }, idleTimeoutMs: 1_000 }) })
    const a = sim.spawn(Idle, { id: 'a' })
    const b = sim.spawn(Idle, { id: 'b' })
    a.state.flows.entry(key).packets.increment(3)
    sim.advance(500)
    const kept = b.state.flows.get(key)!
    expect(kept.packets.global).toBe(3)
    sim.advance(10_000)
    expect(b.state.flows.has(key)).toBe(false)
    expect(b.state.flows.get(key)).toBeUndefined()
    expect(tableOf(b).keyIndex.size).toBe(0)
    // Another flow first takes the dropped entry's number: the key comes back under another.
    a.state.flows.entry(other).packets.increment(1)
    sim.advance(500)
    a.state.flows.entry(key).packets.increment(2)
    sim.advance(500)
    expect(b.state.flows.get(key)?.packets.global).toBe(2)
    expect(kept.packets.global).toBe(2)
  })
})
