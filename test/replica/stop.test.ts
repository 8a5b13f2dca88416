/**
 * `stop()` is a crash as far as peers can tell: nothing is announced, peers judge the member
 * failed once its heartbeat has not moved for `failureTimeoutMs`, then drop it from members()
 * and from perInstance reductions, while counters keep its contributions.
 */
import { describe, expect, it } from 'vitest'
import { createSimulation } from '../../src/sim/index.js'
import { Monitor, gossip, largest, recordFrames } from './support.js'

describe('stop()', () => {
  it.each([1, 2, 3])('seed %i: peers drop the member after failureTimeoutMs; perInstance excludes it, counters keep it', async (seed) => {
    const sim = createSimulation({ seed, latencyMs: [1, 10], loss: 0.1 })
    const [a, b, c] = ['a', 'b', 'c'].map((id) => sim.spawn(Monitor, { id, gossip }))
    a!.state.load.set(10)
    b!.state.load.set(20)
    c!.state.load.set(30)
    c!.state.packets.increment(5)
    c!.state.blocked.add('from-c')
    sim.runUntilConverged({ maxMs: 5_000 })
    expect(a!.state.load.global).toBe(60)
    const leaveEvents: string[] = []
    for (const peer of [a!, b!]) peer.on('member-leave', (event) => leaveEvents.push(`${peer.id}: ${event.id} ${event.reason} at ${sim.now()}`))

    const stoppedAtMs = sim.now()
    await c!.stop()
    expect(c!.status).toBe('stopped')
    expect(c!.members()).toEqual([])

    // Not announced: until the failure time-out the peers still count c in.
    sim.advance(gossip.failureTimeoutMs / 2)
    for (const peer of [a!, b!]) {
      expect(peer.members()).toEqual(['a', 'b', 'c'])
      expect(peer.state.load.global).toBe(60)
    }

    const deadlineMs = stoppedAtMs + gossip.failureTimeoutMs + 5 * gossip.intervalMs + 10
    while (a!.members().includes('c') || b!.members().includes('c')) {
      expect(sim.now(), 'peers judge c failed within failureTimeoutMs and a few rounds').toBeLessThan(deadlineMs)
      sim.advance(gossip.intervalMs)
    }
    // Judged failed no earlier than the time-out after c's last heartbeat could have arrived.
    const detectedAtMs = sim.now()
    expect(detectedAtMs - stoppedAtMs).toBeGreaterThanOrEqual(gossip.failureTimeoutMs - 2 * gossip.intervalMs)
    expect(leaveEvents.map((event) => event.replace(/ at \d+$/, '')).sort()).toEqual(['a: c failed', 'b: c failed'])

    for (const peer of [a!, b!]) {
      expect(peer.members()).toEqual(['a', 'b'])
      expect(peer.state.load.global).toBe(30)
      expect([...peer.state.load.byInstance().keys()]).toEqual(['a', 'b'])
      expect(peer.state.packets.global).toBe(5)
      expect(peer.state.blocked.has('from-c')).toBe(true)
    }
    sim.runUntilConverged({ maxMs: 5_000 })
  })

  it('a stopped replica ignores frames, sends nothing, and keeps (but no longer shares) later writes', async () => {
    const sim = createSimulation({ seed: 4, latencyMs: [1, 10] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    sim.advance(200)
    await a.stop()
    const stats = a.stats()
    const snapshot = a.snapshot()
    a.receive(largest(recordFrames(Monitor)))
    a.receive(new Uint8Array([1, 2, 3]))
    expect(a.snapshot()).toEqual(snapshot)
    a.state.packets.increment(3)
    sim.advance(1_000)
    expect(a.state.packets.local).toBe(3)
    expect(b.state.packets.global).toBe(0)
    const after = a.stats()
    expect([after.framesReceived, after.framesRejected, after.framesSent, after.bytesSent, after.rounds])
      .toEqual([stats.framesReceived, stats.framesRejected, stats.framesSent, stats.bytesSent, stats.rounds])
  })
})
