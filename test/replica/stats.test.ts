/**
 * `replica.stats()`: rounds, frames and bytes sent and received (matching what the simulated
 * network carried), rejected frames, members, origins, own version and gossip lag.
 */
import { describe, expect, it } from 'vitest'
import { createSimulation } from '../../src/sim/index.js'
import { Monitor, gossip, writeEverything } from './support.js'

describe('replica.stats()', () => {
  it('counts one round at start, one per intervalMs, and one per flush()', async () => {
    const sim = createSimulation({ seed: 1 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    expect(a.stats().rounds).toBe(1)
    sim.advance(gossip.intervalMs * 50)
    expect(a.stats().rounds).toBe(51)
    await a.flush()
    await a.flush()
    expect(a.stats().rounds).toBe(53)
    sim.advance(gossip.intervalMs)
    expect(a.stats().rounds).toBe(54)
  })

  it('frames and bytes add up to what the network carried', () => {
    // No latency, loss or duplication: every frame sent is delivered within the same advance.
    const sim = createSimulation({ seed: 2, latencyMs: [0, 0] })
    const replicas = ['a', 'b', 'c'].map((id) => sim.spawn(Monitor, { id, gossip }))
    replicas.forEach((replica, index) => writeEverything(replica, index))
    sim.advance(500)
    const network = sim.network.stats()
    expect([network.dropped, network.inFlight, network.duplicated]).toEqual([0, 0, 0])
    const sum = (pick: (stats: ReturnType<(typeof replicas)[number]['stats']>) => number) =>
      replicas.reduce((total, replica) => total + pick(replica.stats()), 0)
    expect(sum((stats) => stats.framesSent)).toBe(network.sent)
    expect(sum((stats) => stats.bytesSent)).toBe(network.bytes)
    expect(sum((stats) => stats.framesReceived)).toBe(network.delivered)
    expect(sum((stats) => stats.bytesReceived)).toBe(network.bytes)
    expect(sum((stats) => stats.framesRejected)).toBe(0)
    for (const replica of replicas) {
      const stats = replica.stats()
      expect(stats.bytesSent).toBeGreaterThan(stats.framesSent * 7)
      expect(stats.members).toBe(3)
      expect(stats.origins).toBe(3)
    }
  })

  it('injected frames count as received; refused ones as rejected, by reason', () => {
    const sim = createSimulation({ seed: 3 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    a.on('error', () => {})
    const before = a.stats()
    sim.inject('a', new Uint8Array([1, 2, 3]))
    sim.inject('a', new Uint8Array([0xe5, 9, 0, 0, 0, 0, 0]))
    const after = a.stats()
    expect(after.framesReceived - before.framesReceived).toBe(2)
    expect(after.bytesReceived - before.bytesReceived).toBe(10)
    expect(after.framesRejected - before.framesRejected).toBe(2)
    expect(after.rejectedByReason).toEqual({ decode: 1, auth: 0, schema: 0, protocol: 1 })
  })

  it('version counts own changes, one per changed slot per round', () => {
    const sim = createSimulation({ seed: 4 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    expect(a.stats().version).toBe(0)
    for (let i = 0; i < 10; i++) a.state.packets.increment()
    sim.advance(gossip.intervalMs)
    expect(a.stats().version).toBe(1)
    a.state.packets.increment()
    a.state.blocked.add('x')
    a.state.blocked.add('y')
    sim.advance(gossip.intervalMs)
    expect(a.stats().version).toBe(4)
    sim.advance(gossip.intervalMs * 5)
    expect(a.stats().version).toBe(4)
  })

  it('lagMs grows while own changes are unconfirmed and is 0 once every live peer holds them', () => {
    const sim = createSimulation({ seed: 5, latencyMs: [1, 5] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    sim.spawn(Monitor, { id: 'b', gossip })
    sim.spawn(Monitor, { id: 'c', gossip })
    sim.advance(100)
    expect(a.stats().lagMs).toBe(0)
    sim.partition(['a', 'b'], ['c'])
    a.state.packets.increment()
    sim.advance(gossip.intervalMs * 5)
    const lag = a.stats().lagMs
    expect(lag).toBeGreaterThan(gossip.intervalMs * 3)
    sim.advance(gossip.intervalMs)
    expect(a.stats().lagMs).toBeGreaterThan(lag)
    sim.heal()
    sim.runUntilConverged({ maxMs: 5_000 })
    sim.advance(gossip.intervalMs * 5)
    expect(a.stats().lagMs).toBe(0)
  })

  it('counts changes made before a peer was known as unconfirmed by it, until it holds them', () => {
    const sim = createSimulation({ seed: 0, latencyMs: [0, 14] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    // Written and stamped before either has heard of the other.
    a.state.packets.increment(2)
    void a.flush()
    let checked = 0
    for (let ms = 0; ms < 200; ms++) {
      sim.advance(1)
      if (!a.members().includes('b') || b.state.packets.global === 2) continue
      // a knows b, and b still lacks a's write: a must not call it confirmed.
      expect(a.stats().lagByPeer['b'], `at ${sim.now()} ms`).toBeGreaterThan(0)
      checked++
    }
    expect(checked).toBeGreaterThan(0)
    expect(b.state.packets.global).toBe(2)
    expect(a.stats().lagMs).toBe(0)
  })
})
