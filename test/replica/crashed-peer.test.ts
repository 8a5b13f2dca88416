/**
 * A crashed peer and its survivors' traffic (docs/protocol.md, "A round"): a replica that
 * crashed before it reported what it held stays a member believed failed, and its survivors
 * still try it now and then, so that a healed partition finds its way back. Those tries are
 * probes without changes: pushes with changes were never answered, so the survivors sent it
 * the same changes again every few rounds for as long as it stayed a member, hundreds of KiB
 * a second for a few thousand flows.
 */
import { describe, expect, it } from 'vitest'
import { createSimulation } from '../../src/sim/index.js'
import { Flows, type FlowsReplica, flowKey as key, flowPackets as packets } from './support.js'

describe('a peer that crashes before its peers know what it holds', () => {
  it.each([[1, 7], [2, 21], [3, 35]])('is not sent its changes again and again by its survivors (seed %i, crash %i ms after the writes)', (seed, afterMs) => {
    const sim = createSimulation({ seed, latencyMs: [1, 5] })
    const gossip = { intervalMs: 20, failureTimeoutMs: 200 }
    const replicas = ['a', 'b', 'c', 'd'].map((id) => sim.spawn(Flows, { id, gossip })) as FlowsReplica[]
    const victim = replicas[seed % replicas.length]!
    const survivors = replicas.filter((replica) => replica !== victim)
    const sent = (): number => survivors.reduce((sum, replica) => sum + replica.stats().bytesSent, 0)
    sim.runUntilConverged({ maxMs: 20_000 })
    sim.advance(500)
    let before = sent()
    sim.advance(1_000)
    const idle = sent() - before
    // Every replica writes 500 flows; the victim crashes while they are still on their way, so
    // some peer last heard from it before it held them.
    replicas.forEach((replica, writer) => {
      for (let i = 0; i < 500; i++) replica.state.flows.entry(key(writer, i)).packets.increment(1)
    })
    sim.advance(afterMs)
    sim.crash(victim.id)
    sim.advance(5_000)
    sim.runUntilConverged({ maxMs: 20_000 })
    const counted = packets(survivors[0]!)
    for (const replica of survivors) expect(packets(replica), replica.id).toBe(counted)
    expect(counted).toBeGreaterThanOrEqual(1_500)
    // A second of rounds, long after the crash: before the probes, 540 to 1,500 KiB here.
    before = sent()
    sim.advance(1_000)
    const crashed = sent() - before
    expect(crashed).toBeLessThan(2 * idle)
  })
})
