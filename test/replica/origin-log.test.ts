/**
 * Change logs (src/origin-table.ts): each origin's (version, field, slot) entries in version
 * order. A rewritten slot leaves a stale entry, `compact` drops those, and after a compaction the
 * log is sized to the length that triggers the next one, so it never holds more room than twice
 * its live entries (at least 1,024).
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { OriginTable, type OriginLog } from '../../src/origin-table.js'
import { gossip } from './support.js'

describe('OriginTable.resize', () => {
  function filled(count: number): OriginTable {
    const table = new OriginTable()
    const origin = table.intern('o', 1)
    for (let version = 1; version <= count; version++) table.append(origin, version, version % 3, version)
    return table
  }

  it('keeps every entry, in order, and gives the log exactly the room asked for', () => {
    const table = filled(100)
    table.compact(0, (_field, slot) => slot % 2 === 0)
    table.resize(0, 70)
    const log = table.logs[0]!
    expect(log.versions.length).toBe(70)
    expect(log.length).toBe(50)
    expect([...log.versions.subarray(0, 50)]).toEqual(Array.from({ length: 50 }, (_, i) => 2 * (i + 1)))
    expect([...log.slots.subarray(0, 50)]).toEqual(Array.from({ length: 50 }, (_, i) => 2 * (i + 1)))
    expect([...log.fields.subarray(0, 50)]).toEqual(Array.from({ length: 50 }, (_, i) => (2 * (i + 1)) % 3))
    expect(table.firstAfter(0, 51)).toBe(25)
    table.append(0, 101, 1, 7)
    expect(log.length).toBe(51)
  })

  it('never drops entries: room below the length is refused', () => {
    const table = filled(100)
    table.resize(0, 40)
    expect(table.logs[0]!.length).toBe(100)
    expect(table.logs[0]!.versions.length).toBeGreaterThanOrEqual(100)
    expect(table.logs[0]!.versions[99]).toBe(100)
  })
})

const Flows = defineState({ flows: flowTable({ fields: { packets: counter() } }) })

describe('a receiver\'s log of a busy origin', () => {
  it('holds at most twice its live entries (bindings and cells) while the same flows are rewritten', () => {
    const sim = createSimulation({ seed: 8, latencyMs: [1, 3] })
    const writer = sim.spawn(Flows, { id: 'writer', gossip })
    const reader = sim.spawn(Flows, { id: 'reader', gossip })
    const FLOWS = 3_000
    for (let round = 0; round < 12; round++) {
      for (let flow = 0; flow < FLOWS; flow++) writer.state.flows.entry(`flow-${flow}`).packets.increment()
      sim.advance(60)
    }
    sim.runUntilConverged({ maxMs: 5_000 })
    expect(reader.state.flows.get('flow-0')?.packets.global).toBe(12)
    const insides = reader as unknown as { origins: OriginTable & { lookup(id: string, incarnation: number): number } }
    const origin = insides.origins.lookup('writer', (writer as Replica & { incarnation: number }).incarnation)
    expect(origin).toBeGreaterThanOrEqual(0)
    const log: OriginLog = insides.origins.logs[origin]!
    // Live: one cell and one binding per flow; 12 rewrites of each left stale entries behind.
    const live = 2 * FLOWS
    expect(log.length).toBeGreaterThanOrEqual(live)
    expect(log.length).toBeLessThanOrEqual(2 * live)
    expect(log.versions.length).toBeLessThanOrEqual(2 * live)
  })
})
