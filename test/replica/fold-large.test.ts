/**
 * Folds and the frame size (docs/compaction.md): the heir's versions that carry a fold are
 * applied whole or not at all. A batch larger than a frame is gathered from several frames and
 * applied once whole: before, a peer applied none of it, its heir sent it again every round,
 * and the peers kept the departed origin for good. A departed origin too large to gather is not
 * folded at all.
 */
import { describe, expect, it } from 'vitest'
import { createSimulation, type Simulation } from '../../src/sim/index.js'
import { Flows, type FlowsReplica, flowKey as key, flowPackets as packets, originIds } from './support.js'

async function leave(sim: Simulation, replica: FlowsReplica, during: () => void = () => {}): Promise<void> {
  const leaving = replica.leave()
  for (let ms = 0; ms < 2_000; ms += 20) {
    during()
    sim.advance(20)
  }
  await leaving
}

describe('folds and the frame size', () => {
  it('a fold of nearly half a frame reaches every replica while its heir writes more than a frame a round', async () => {
    const sim = createSimulation({ seed: 5, latencyMs: [1, 5] })
    const gossip = { intervalMs: 20, failureTimeoutMs: 200, leaveTimeoutMs: 1000, maxFrameBytes: 64 << 10 }
    const [a, b, c] = ['a', 'b', 'c'].map((id) => sim.spawn(Flows, { id, gossip })) as [FlowsReplica, FlowsReplica, FlowsReplica]
    const errors: string[] = []
    for (const replica of [a, b, c]) replica.on('error', (error) => errors.push(String(error)))
    for (let i = 0; i < 600; i++) c.state.flows.entry(key(0, i)).packets.increment(2)
    sim.runUntilConverged({ maxMs: 20_000 })
    // While c leaves and for two seconds, b (its heir) writes more new flows every round than a
    // frame holds: the fold reaches a all the same, while the writes go on.
    let written = 0
    await leave(sim, c, () => {
      for (let i = 0; i < 2500; i++) b.state.flows.entry(key(1, written++)).packets.increment(1)
    })
    expect(originIds(b)).toEqual(['a', 'b', 'b+heir'])
    expect(originIds(a)).toEqual(['a', 'b', 'b+heir'])
    expect(errors).toEqual([])
    sim.runUntilConverged({ maxMs: 20_000 })
    for (const replica of [a, b]) {
      expect(packets(replica), replica.id).toBe(1200 + written)
      expect(originIds(replica), replica.id).not.toContain('c')
    }
  })

  it.each([1, 2, 3])('a fold many frames long reaches every replica, and the group goes quiet again (seed %i)', async (seed) => {
    const sim = createSimulation({ seed, latencyMs: [1, 5], loss: 0.05 })
    const gossip = { intervalMs: 20, failureTimeoutMs: 200, leaveTimeoutMs: 1000, maxFrameBytes: 16 << 10 }
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => sim.spawn(Flows, { id, gossip })) as [FlowsReplica, FlowsReplica, FlowsReplica, FlowsReplica]
    const errors: string[] = []
    for (const replica of [a, b, d]) replica.on('error', (error) => errors.push(String(error)))
    for (let i = 0; i < 5000; i++) c.state.flows.entry(key(0, i)).packets.increment(2)
    for (let i = 0; i < 500; i++) d.state.flows.entry(key(2, i)).packets.increment(1)
    sim.runUntilConverged({ maxMs: 20_000 })
    await leave(sim, c)
    sim.runUntilConverged({ maxMs: 20_000 })
    for (const replica of [a, b, d]) {
      expect(packets(replica), replica.id).toBe(10_500)
      expect(originIds(replica), replica.id).not.toContain('c')
    }
    expect(errors).toEqual([])
    // Quiet again: a second of rounds sends little.
    const before = a.stats().bytesSent + b.stats().bytesSent + d.stats().bytesSent
    sim.advance(1_000)
    expect(a.stats().bytesSent + b.stats().bytesSent + d.stats().bytesSent - before).toBeLessThan(100 * 1024)
  })

  it.each([1, 2, 3])('a fold batch whose heir crashes while its peers gather it: the survivors agree and go quiet, and keep the pieces (seed %i)', async (seed) => {
    const sim = createSimulation({ seed, latencyMs: [1, 5] })
    const gossip = { intervalMs: 20, failureTimeoutMs: 200, leaveTimeoutMs: 1000, maxFrameBytes: 16 << 10 }
    const ids = ['a', 'b', 'c', 'd']
    const replicas = ids.map((id) => sim.spawn(Flows, { id, gossip })) as FlowsReplica[]
    const [, , c, d] = replicas as [FlowsReplica, FlowsReplica, FlowsReplica, FlowsReplica]
    for (let i = 0; i < 5000; i++) c.state.flows.entry(key(0, i)).packets.increment(2)
    for (let i = 0; i < 500; i++) d.state.flows.entry(key(2, i)).packets.increment(1)
    sim.runUntilConverged({ maxMs: 20_000 })
    // c leaves; as soon as a peer holds some pieces of the fold's batch and none applied it yet,
    // the heir crashes: the rest of the batch is lost with it.
    const gathering = (replica: FlowsReplica): number => (replica as unknown as { gossip: { gathering: Map<number, unknown> } }).gossip.gathering.size
    const leaving = c.leave()
    let heir: FlowsReplica | undefined
    for (let ms = 0; ms < 5_000 && heir === undefined; ms += 2) {
      sim.advance(2)
      const live = replicas.filter((replica) => replica !== c && sim.replica(replica.id) === replica)
      const folder = live.find((replica) => originIds(replica).includes(`${replica.id}+heir`))
      if (folder !== undefined && live.some((replica) => replica !== folder && gathering(replica) > 0)) heir = folder
    }
    await leaving
    expect(heir, 'no peer was caught gathering the batch').toBeDefined()
    sim.crash(heir!.id)
    const survivors = replicas.filter((replica) => replica !== c && replica !== heir)
    sim.runUntilConverged({ maxMs: 30_000 })
    sim.advance(5_000)
    sim.runUntilConverged({ maxMs: 30_000 })
    // Nothing lost, nothing counted twice: c's changes stay under c where the fold never arrived.
    for (const replica of survivors) {
      expect(packets(replica), replica.id).toBe(10_500)
      expect(originIds(replica), replica.id).toContain('c')
    }
    // The limit (docs/compaction.md): a crashed heir is never folded, so the pieces of its batch
    // are kept; the replica that holds them reports them, and its peers send it nothing more for
    // them (the two survivors send about 17 KiB in a second of rounds).
    expect(survivors.map(gathering).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0)
    const before = survivors.reduce((sum, replica) => sum + replica.stats().bytesSent, 0)
    sim.advance(1_000)
    expect(survivors.reduce((sum, replica) => sum + replica.stats().bytesSent, 0) - before).toBeLessThan(40 * 1024)
  }, 60_000)

  it('a departed origin larger than half of what peers gather is not folded: kept, reported once, and the group goes quiet', async () => {
    const sim = createSimulation({ seed: 7, latencyMs: [1, 5] })
    // Peers gather a batch from 64 frames' worth of bytes at most: 256 KiB here.
    const gossip = { intervalMs: 20, failureTimeoutMs: 200, leaveTimeoutMs: 1000, maxFrameBytes: 4 << 10 }
    const [a, b, c] = ['a', 'b', 'c'].map((id) => sim.spawn(Flows, { id, gossip })) as [FlowsReplica, FlowsReplica, FlowsReplica]
    const errors: string[] = []
    for (const replica of [a, b]) replica.on('error', (error) => errors.push(String(error)))
    for (let i = 0; i < 8000; i++) c.state.flows.entry(key(0, i)).packets.increment(2)
    sim.runUntilConverged({ maxMs: 60_000 })
    await leave(sim, c)
    sim.runUntilConverged({ maxMs: 20_000 })
    for (const replica of [a, b]) {
      expect(packets(replica), replica.id).toBe(16_000)
      expect(originIds(replica), replica.id).toContain('c')
    }
    expect(errors).toEqual([expect.stringMatching(/departed origin c#1 holds more than 32 frames of changes .* raise gossip\.maxFrameBytes/)])
    const before = a.stats().bytesSent + b.stats().bytesSent
    sim.advance(1_000)
    expect(a.stats().bytesSent + b.stats().bytesSent - before).toBeLessThan(100 * 1024)
  }, 60_000)
})
