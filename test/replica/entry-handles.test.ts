/**
 * A flow table entry as the user holds it (src/flow-table-handle.ts): `entry(key)` returns a
 * small object each time, and each field access makes a view of that field. Entry objects and
 * views made at different times write the same cell, a view kept across an idle expiry writes the entry made again, and
 * the entry shows its field names (and nothing of its internals) to the usual inspection.
 */
import { describe, expect, it } from 'vitest'
import { counter, createReplica, defineState, flowTable, maxRegister, pnCounter, register } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'

const fields = { packets: counter(), balance: pnCounter(), peak: maxRegister(), verdict: register('allow') }
const Table = defineState({ flows: flowTable({ fields }) })

describe('flow table entries and their field views', () => {
  it('entry objects and views of a field made at any time write and read the same cell', () => {
    const replica = createReplica(Table, { id: 'solo' })
    const entry = replica.state.flows.entry('f1')
    const again = replica.state.flows.entry('f1')
    again.packets.increment()
    const kept = entry.packets
    entry.packets.increment(2)
    kept.increment()
    entry.balance.increment(5)
    entry.balance.decrement(2)
    entry.peak.set(7)
    entry.peak.set(3)
    entry.verdict.set('deny')
    again.packets.increment()
    expect([kept.local, kept.global, entry.packets.global, again.packets.global]).toEqual([5, 5, 5, 5])
    expect([entry.balance.local, entry.peak.global, entry.verdict.global]).toEqual([3, 7, 'deny'])
    expect(replica.snapshot()).toEqual({ flows: { f1: { packets: 5, balance: 3, peak: 7, verdict: 'deny' } } })
  })

  it('lists its field names to for-in and nothing to JSON or Object.keys', () => {
    const replica = createReplica(Table, { id: 'solo' })
    const entry = replica.state.flows.entry('f1')
    entry.packets.increment()
    const names: string[] = []
    for (const name in entry) names.push(name)
    expect(names.sort()).toEqual(['balance', 'packets', 'peak', 'verdict'])
    expect(Object.keys(entry)).toEqual([])
    expect(JSON.stringify(entry)).toBe('{}')
  })

  it('a field view kept across an idle expiry writes the entry made again, from zero', () => {
    const sim = createSimulation({ seed: 3 })
    const Idle = defineState({ flows: flowTable({ fields: { packets: counter() }, idleTimeoutMs: 1_000 }) })
    const replica = sim.spawn(Idle, { id: 'a' })
    const view = replica.state.flows.entry('f1').packets
    view.increment(4)
    sim.advance(5_000)
    expect(replica.state.flows.has('f1')).toBe(false)
    view.increment()
    expect(replica.state.flows.get('f1')?.packets.global).toBe(1)
    expect(view.global).toBe(1)
  })
})
