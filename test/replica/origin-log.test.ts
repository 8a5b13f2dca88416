/**
 * Change logs (src/origin-table.ts): each origin's (version, field, slot) entries in version
 * order. A rewritten slot leaves a stale entry, `compact` drops those, and after a compaction the
 * log is sized to the length that triggers the next one, so it never holds more room than one and
 * a half times its live entries (at least 1,024).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { counter, defineState, flowTable, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { OriginTable, type OriginLog, versionAt } from '../../src/origin-table.js'
import { gossip } from './support.js'

describe('OriginTable field ids', () => {
  it('keeps them in a byte each when every id fits, through growth and compaction, else in two', () => {
    for (const [count, highest, width] of [[256, 255, 1], [257, 256, 2], [undefined, 65_535, 2]] as const) {
      const table = new OriginTable(count)
      const origin = table.intern('o', 1)
      for (let version = 1; version <= 3_000; version++) table.append(origin, version, version % 2 === 0 ? highest : version % 7, version)
      table.compact(origin, (_field, slot) => slot % 3 !== 0)
      const log = table.logs[origin]!
      expect(log.fields.BYTES_PER_ELEMENT).toBe(width)
      const kept = Array.from({ length: 3_000 }, (_, i) => i + 1).filter((version) => version % 3 !== 0)
      expect([...log.fields.subarray(0, log.length)]).toEqual(kept.map((version) => version % 2 === 0 ? highest : version % 7))
    }
  })
})

describe('OriginTable.compact', () => {
  type Entry = [version: number, field: number, slot: number]
  const entriesOf = (log: OriginLog): Entry[] => Array.from({ length: log.length }, (_, i) => [versionAt(log, i), log.fields[i]!, log.slots[i]!])

  it('drops superseded entries from the log alone, asks about the rest, and keeps their order', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 5_000 })), fc.integer({ min: 1, max: 3 })), { maxLength: 400 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
      (writes, check, goneEvery) => {
        const table = new OriginTable(8)
        const origin = table.intern('o', 1)
        let version = 0
        for (const [field, slot, gap] of writes) table.append(origin, (version += gap), field, slot)
        const before = entriesOf(table.logs[origin]!)
        // A slot "went" (dropped, or passed to another origin) when its number is a multiple of goneEvery.
        const gone = (slot: number) => slot % goneEvery === 0 && goneEvery > 1
        const asked: Entry[] = []
        const stale = table.compact(origin, check ? (field, slot, at) => {
          asked.push([at, field, slot])
          return !gone(slot)
        } : null)
        const latest = before.filter(([, field, slot], i) => !before.slice(i + 1).some(([, f, s]) => f === field && s === slot))
        const expected = check ? latest.filter(([, , slot]) => !gone(slot)) : latest
        expect(entriesOf(table.logs[origin]!)).toEqual(expected)
        // Only entries no later one supersedes are asked about, each once.
        expect(asked.sort((a, b) => a[0] - b[0])).toEqual(check ? latest : [])
        expect(stale).toBe(check ? latest.length - expected.length : 0)
        // The scratch is clear again: compacting the same log once more changes nothing, and a new
        // entry of each slot seen so far is its latest, kept by the next compaction.
        expect(table.compact(origin, null)).toBe(0)
        expect(entriesOf(table.logs[origin]!)).toEqual(expected)
        const again: Entry[] = []
        for (const [, field, slot] of before) {
          if (again.some(([, f, s]) => f === field && s === slot)) continue
          table.append(origin, ++version, field, slot)
          again.push([version, field, slot])
        }
        table.compact(origin, null)
        expect(entriesOf(table.logs[origin]!)).toEqual(again)
      },
    ), { numRuns: 300 })
  })
})

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
    expect(Array.from({ length: 50 }, (_, i) => versionAt(log, i))).toEqual(Array.from({ length: 50 }, (_, i) => 2 * (i + 1)))
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
    expect(versionAt(table.logs[0]!, 99)).toBe(100)
  })
})

describe('log versions', () => {
  const versionsOf = (log: OriginLog) => Array.from({ length: log.length }, (_, i) => versionAt(log, i))

  it('are kept as four-byte offsets from the first entry, however large the versions', () => {
    const table = new OriginTable()
    const origin = table.intern('o', 1)
    const start = 2 ** 40
    for (let i = 0; i < 40; i++) table.append(origin, start + 3 * i, 0, i)
    const log = table.logs[origin]!
    expect(log.versions).toBeInstanceOf(Uint32Array)
    expect(versionsOf(log)).toEqual(Array.from({ length: 40 }, (_, i) => start + 3 * i))
    expect(table.firstAfter(origin, start + 3 * 10)).toBe(11)
    expect(table.firstAfter(origin, start - 1)).toBe(0)
    expect(table.firstAfter(origin, 0)).toBe(0)
    expect(table.firstAfter(origin, start + 1000)).toBe(40)
  })

  it('take eight bytes once a log spans 2^32 versions or more, and four again once compaction narrows it', () => {
    const table = new OriginTable()
    const origin = table.intern('o', 1)
    const far = 2 ** 32 + 5
    table.append(origin, 1, 0, 0)
    table.append(origin, 2, 0, 1)
    table.append(origin, far, 0, 2)
    table.append(origin, far + 1, 0, 3)
    let log = table.logs[origin]!
    expect(log.versions).toBeInstanceOf(Float64Array)
    expect(versionsOf(log)).toEqual([1, 2, far, far + 1])
    expect(table.firstAfter(origin, 2)).toBe(2)
    expect(table.firstAfter(origin, far)).toBe(3)
    // The early entries go stale: after compaction and resize the span is small again.
    table.compact(origin, (_field, slot) => slot >= 2)
    table.resize(origin, 16)
    log = table.logs[origin]!
    expect(log.versions).toBeInstanceOf(Uint32Array)
    expect(versionsOf(log)).toEqual([far, far + 1])
    table.append(origin, far + 2 ** 31, 0, 4)
    expect(versionsOf(table.logs[origin]!)).toEqual([far, far + 1, far + 2 ** 31])
    expect(table.firstAfter(origin, far + 1)).toBe(2)
  })

  it('start from the first version appended to an empty log', () => {
    const table = new OriginTable()
    const origin = table.intern('o', 1)
    table.append(origin, 2 ** 45, 1, 9)
    table.append(origin, 2 ** 45 + 2 ** 31, 1, 10)
    const log = table.logs[origin]!
    expect(log.versions).toBeInstanceOf(Uint32Array)
    expect(versionsOf(log)).toEqual([2 ** 45, 2 ** 45 + 2 ** 31])
  })
})

const Flows = defineState({ flows: flowTable({ fields: { packets: counter() } }) })

describe('a receiver\'s log of a busy origin', () => {
  it('holds at most one and a half times its live entries (bindings and cells) while the same flows are rewritten', () => {
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
    expect(log.length).toBeLessThanOrEqual(1.5 * live)
    expect(log.versions.length).toBeLessThanOrEqual(1.5 * live)
  })
})
