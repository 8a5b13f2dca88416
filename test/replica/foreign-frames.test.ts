/**
 * Frames from replicas that are not part of the group: another declaration (schema), another
 * secret, no secret where one is required, or a secret where none is configured. Injected into a
 * replica, each is refused with the right error class and reason, changes nothing, and the
 * replica keeps working. On a shared network, such replicas never exchange anything.
 */
import { describe, expect, it } from 'vitest'
import { AuthError, SchemaMismatchError } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import {
  Monitor, OtherMonitor, expectRejected, expectStillWorking, gossip, pairOnItsOwnNetwork, probe, recordFrames, writeEverything,
} from './support.js'

describe('frames of a replica with another schema', () => {
  it('are refused with a SchemaMismatchError naming both fingerprints', () => {
    expect(OtherMonitor.fingerprint).not.toBe(Monitor.fingerprint)
    const frames = recordFrames(OtherMonitor)
    const pair = pairOnItsOwnNetwork()
    const before = probe(pair.a)
    for (const frame of frames) pair.sim.inject('a', frame)
    expectRejected(pair.a, before, SchemaMismatchError, 'schema', frames.length)
    const error = before.errors[0] as SchemaMismatchError
    expect(error.expected).toBe(Monitor.fingerprint)
    expect(error.received).toBe(OtherMonitor.fingerprint)
    expectStillWorking(pair)
  })

  it('are refused before authentication is even needed when both share the secret', () => {
    const frames = recordFrames(OtherMonitor, { secret: 'cluster-key' })
    const pair = pairOnItsOwnNetwork({ secret: 'cluster-key' })
    const before = probe(pair.a)
    for (const frame of frames) pair.sim.inject('a', frame)
    expectRejected(pair.a, before, SchemaMismatchError, 'schema', frames.length)
    expectStillWorking(pair)
  })

  it('on one network: replicas of two declarations never merge, each group converges by itself', () => {
    const sim = createSimulation({ seed: 21, latencyMs: [1, 10], loss: 0.1 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    const z = sim.spawn(OtherMonitor, { id: 'z', gossip })
    const errorsAt = { a: probe(a), z: probe(z) }
    writeEverything(a, 1)
    z.state.packets.increment(1_000_000)
    z.state.matches.increment(1)
    sim.advance(1_000)
    expect(b.snapshot()).toEqual(a.snapshot())
    expect(a.state.packets.global).toBe(6)
    expect(z.state.packets.global).toBe(1_000_000)
    expect(a.members()).toEqual(['a', 'b'])
    expect(z.members()).toEqual(['z'])
    expect(errorsAt.z.errors.length).toBeGreaterThan(0)
    expect(errorsAt.z.errors.every((error) => error instanceof SchemaMismatchError)).toBe(true)
    expect(z.stats().rejectedByReason.schema).toBe(z.stats().framesRejected)
    expect(a.stats().rejectedByReason.schema).toBe(a.stats().framesRejected)
  })
})

describe('frames and secrets', () => {
  const cases = [
    { name: 'another secret', sender: { secret: 'other-key' }, receiver: { secret: 'cluster-key' } },
    { name: 'no secret, to a replica that requires one', sender: {}, receiver: { secret: 'cluster-key' } },
    { name: 'a secret, to a replica that has none', sender: { secret: 'cluster-key' }, receiver: {} },
  ]
  for (const { name, sender, receiver } of cases) {
    it(`frames with ${name} are refused with an AuthError`, () => {
      const frames = recordFrames(Monitor, sender)
      const pair = pairOnItsOwnNetwork(receiver)
      const before = probe(pair.a)
      for (const frame of frames) pair.sim.inject('a', frame)
      expectRejected(pair.a, before, AuthError, 'auth', frames.length)
      expectStillWorking(pair)
    })
  }

  it('replicas with the same secret converge, as a string or as its bytes', () => {
    const sim = createSimulation({ seed: 22, latencyMs: [1, 10], loss: 0.2, duplicate: 0.1 })
    const a = sim.spawn(Monitor, { id: 'a', gossip, secret: 'cluster-key' })
    const b = sim.spawn(Monitor, { id: 'b', gossip, secret: 'cluster-key' })
    const c = sim.spawn(Monitor, { id: 'c', gossip, secret: new TextEncoder().encode('cluster-key') })
    writeEverything(a, 1)
    writeEverything(b, 2)
    writeEverything(c, 3)
    sim.runUntilConverged({ maxMs: 10_000 })
    expect(a.state.packets.global).toBe(6 + 7 + 8)
    for (const replica of [a, b, c]) {
      expect(replica.members()).toEqual(['a', 'b', 'c'])
      expect(replica.stats().framesRejected).toBe(0)
    }
  })

  it('replicas with different secrets never exchange anything', () => {
    const sim = createSimulation({ seed: 23, latencyMs: [1, 10] })
    const a = sim.spawn(Monitor, { id: 'a', gossip, secret: 'key-one' })
    const b = sim.spawn(Monitor, { id: 'b', gossip, secret: 'key-one' })
    const m = sim.spawn(Monitor, { id: 'm', gossip, secret: 'key-two' })
    const n = sim.spawn(Monitor, { id: 'n', gossip })
    const alone = { m: probe(m), n: probe(n) }
    writeEverything(a, 1)
    writeEverything(m, 2)
    writeEverything(n, 3)
    sim.advance(2_000)
    expect(a.state.packets.global).toBe(6)
    expect(b.snapshot()).toEqual(a.snapshot())
    expect(m.state.packets.global).toBe(7)
    expect(n.state.packets.global).toBe(8)
    expect(a.members()).toEqual(['a', 'b'])
    expect(m.members()).toEqual(['m'])
    expect(n.members()).toEqual(['n'])
    for (const replica of [a, b, m, n]) {
      const stats = replica.stats()
      expect(stats.framesRejected).toBeGreaterThan(0)
      expect(stats.rejectedByReason.auth).toBe(stats.framesRejected)
    }
    expect(alone.m.errors.every((error) => error instanceof AuthError)).toBe(true)
    expect(alone.n.errors.every((error) => error instanceof AuthError)).toBe(true)
  })
})
