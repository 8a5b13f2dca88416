/**
 * Gossip options (API.md, `ReplicaOptions.gossip`): out-of-range values are refused with a
 * RangeError when the replica is made, and `compactLogsAt` sets the length at which change logs
 * are first compacted.
 */
import { describe, expect, it } from 'vitest'
import { counter, createReplica, defineState, flowTable, type GossipOptions, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import type { OriginTable } from '../../src/origin-table.js'

const Flows = defineState({ flows: flowTable({ fields: { packets: counter() } }) })

describe('gossip options', () => {
  it('refuses out-of-range values with a RangeError naming the option', () => {
    const bad: [GossipOptions, string][] = [
      [{ intervalMs: 0 }, 'intervalMs'],
      [{ fanout: 0 }, 'fanout'],
      [{ fanout: 1.5 }, 'fanout'],
      [{ intervalMs: 100, failureTimeoutMs: 50 }, 'failureTimeoutMs'],
      [{ maxFrameBytes: 100 }, 'maxFrameBytes'],
      [{ leaveTimeoutMs: -1 }, 'leaveTimeoutMs'],
      [{ failureTimeoutMs: 1000, foldRetentionMs: 1000 }, 'foldRetentionMs'],
      [{ compactLogsAt: 15 }, 'compactLogsAt'],
      [{ compactLogsAt: 100.5 }, 'compactLogsAt'],
      [{ compactLogsAt: Number.NaN }, 'compactLogsAt'],
    ]
    for (const [gossip, name] of bad) {
      expect(() => createReplica(Flows, { id: 'x', gossip }), name).toThrow(RangeError)
      expect(() => createReplica(Flows, { id: 'x', gossip }), name).toThrow(`gossip.${name}`)
    }
    expect(() => createReplica(Flows, { id: 'x', gossip: { compactLogsAt: 16 } })).not.toThrow()
  })

  it('compactLogsAt: an origin\'s log stays near its live entries from that length on', () => {
    const logLength = (replica: Replica, of: Replica) => {
      const origins = (replica as unknown as { origins: OriginTable }).origins
      return origins.logs[origins.lookup(of.id, (of as Replica & { incarnation: number }).incarnation)]!.length
    }
    const lengths: number[][] = []
    for (const compactLogsAt of [16, 4096]) {
      const sim = createSimulation({ seed: 3, latencyMs: [1, 3] })
      const gossip = { intervalMs: 20, failureTimeoutMs: 200, compactLogsAt }
      const writer = sim.spawn(Flows, { id: 'writer', gossip })
      const reader = sim.spawn(Flows, { id: 'reader', gossip })
      const FLOWS = 200
      for (let round = 0; round < 15; round++) {
        for (let flow = 0; flow < FLOWS; flow++) writer.state.flows.entry(`flow-${flow}`).packets.increment()
        sim.advance(60)
      }
      sim.runUntilConverged({ maxMs: 5_000 })
      expect(reader.state.flows.get('flow-7')?.packets.global).toBe(15)
      lengths.push([logLength(writer, writer), logLength(reader, writer)])
    }
    // Live: a binding and a cell per flow. Compacted from 16 entries on, a log holds at most half
    // again as many; from 4,096 on, the writer's holds every one of its 15 stamps of each flow.
    for (const length of lengths[0]!) {
      expect(length).toBeGreaterThanOrEqual(400)
      expect(length).toBeLessThanOrEqual(600)
    }
    expect(lengths[1]![0]).toBe(200 + 15 * 200)
  })

  it('a joiner logs a large catch-up once, sized as a compaction leaves it, and compacts as usual afterwards', () => {
    const sim = createSimulation({ seed: 5, latencyMs: [1, 3] })
    const gossip = { intervalMs: 20, failureTimeoutMs: 400, maxFrameBytes: 1 << 20 }
    const writer = sim.spawn(Flows, { id: 'writer', gossip })
    const FLOWS = 3_000
    for (let flow = 0; flow < FLOWS; flow++) writer.state.flows.entry(`flow-${flow}`).packets.increment()
    sim.advance(100)
    const joiner = sim.spawn(Flows, { id: 'joiner', gossip })
    const origins = (joiner as unknown as { origins: OriginTable }).origins
    let compactions = 0
    const compact = origins.compact.bind(origins)
    origins.compact = (...args) => {
      compactions++
      return compact(...args)
    }
    sim.runUntilConverged({ maxMs: 5_000 })
    expect(joiner.state.flows.size).toBe(FLOWS)
    const log = () => origins.logs[origins.lookup('writer', (writer as Replica & { incarnation: number }).incarnation)]!
    // A binding and a cell per flow, 6,000 slots in one group (more than a frame keeps decoded):
    // each logged once, with no compaction, in a log with room for half as many again.
    expect(compactions).toBe(0)
    expect(log().length).toBe(2 * FLOWS)
    expect(log().versions.length).toBe(3 * FLOWS)
    for (let round = 0; round < 4; round++) {
      for (let flow = 0; flow < FLOWS; flow++) writer.state.flows.entry(`flow-${flow}`).packets.increment()
      sim.advance(100)
      sim.runUntilConverged({ maxMs: 5_000 })
      expect(log().length).toBeGreaterThanOrEqual(2 * FLOWS)
      expect(log().length).toBeLessThanOrEqual(3 * FLOWS)
    }
    expect(compactions).toBeGreaterThan(0)
    expect(joiner.state.flows.get('flow-2999')?.packets.global).toBe(5)
  })
})
