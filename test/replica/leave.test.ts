/**
 * `leave()`: graceful scale-in. The leaver hands its updates over (its last writes, made right
 * before `leave()`, are in the survivors' global view), announces the departure (peers emit
 * 'member-leave' with reason 'left' and drop it from perInstance reductions), and stops. Its
 * counts stay in every counter.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, doc } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { Monitor, gossip } from './support.js'

describe('leave()', () => {
  it.each([1, 2, 3, 4, 5, 6])('seed %i: hands the last writes over, announces, and stops', async (seed) => {
    const sim = createSimulation({ seed, latencyMs: [1, 20], loss: 0.2, duplicate: 0.05 })
    const [a, b, c] = ['a', 'b', 'c'].map((id) => sim.spawn(Monitor, { id, gossip }))
    a!.state.load.set(1)
    b!.state.load.set(2)
    c!.state.load.set(4)
    a!.state.packets.increment(10)
    sim.advance(300)
    const leaveEvents: string[] = []
    for (const survivor of [a!, b!]) survivor.on('member-leave', (event) => leaveEvents.push(`${survivor.id}: ${event.id} ${event.reason}`))
    const errors: Error[] = []
    c!.on('error', (error) => errors.push(error))

    // Writes right before leave(): no round has given them a version yet.
    c!.state.packets.increment(7)
    c!.state.blocked.add('from-c')
    c!.state.flows.entry('c-flow').packets.increment(3)
    c!.state.threshold.set(999)
    await c!.leave()

    expect(c!.status).toBe('stopped')
    expect(errors).toEqual([])
    // The handoff was confirmed: some survivor holds every write of c already.
    expect([a!, b!].some((survivor) => survivor.state.packets.global === 17 && survivor.state.blocked.has('from-c'))).toBe(true)

    // The announcement is still in flight when leave() resolves.
    sim.advance(100)
    sim.runUntilConverged({ maxMs: 10_000 })
    for (const survivor of [a!, b!]) {
      expect(survivor.state.packets.global).toBe(17)
      expect(survivor.state.blocked.values()).toEqual(['from-c'])
      expect(survivor.state.flows.get('c-flow')?.packets.global).toBe(3)
      expect(survivor.state.threshold.global).toBe(999)
      expect(survivor.members()).toEqual(['a', 'b'])
      expect(survivor.state.load.global).toBe(3)
      expect([...survivor.state.load.byInstance().keys()]).toEqual(['a', 'b'])
    }
    expect(leaveEvents.sort()).toEqual(['a: c left', 'b: c left'])
  })

  it('a leave whose heir\'s id restarted meanwhile asks once a round, not once per frame answered', async () => {
    // r3 names r1#1 heir just as r1#1 leaves and restarts as r1#2 at the same address: r1#2
    // answers every push, never as the heir. With zero latency, pushing again on every answer
    // sent the two a million frames within one virtual millisecond.
    const sim = createSimulation({ seed: 0, latencyMs: [0, 0], leaveStepMs: 10 })
    const r1 = sim.spawn(Monitor, { id: 'r1', gossip })
    sim.spawn(Monitor, { id: 'r2', gossip })
    const r3 = sim.spawn(Monitor, { id: 'r3', gossip })
    void r1.leave()
    sim.advance(1)
    sim.restart('r1')
    const sentBefore = sim.network.stats().sent
    const leaving = r3.leave()
    sim.advance(gossip.leaveTimeoutMs + 100)
    await leaving
    expect(r3.status).toBe('stopped')
    // Three peers at most, a push and an answer or two per round, over the leave time-out.
    const rounds = (gossip.leaveTimeoutMs + 100) / gossip.intervalMs
    expect(sim.network.stats().sent - sentBefore).toBeLessThan(3 * 6 * rounds)
  })

  it('a replica with no peer and no seed leaves at once', async () => {
    const sim = createSimulation({ seed: 1 })
    const alone = sim.spawn(Monitor, { id: 'alone', gossip })
    alone.state.packets.increment(1)
    const startMs = sim.now()
    await alone.leave()
    expect(alone.status).toBe('stopped')
    expect(sim.now() - startMs).toBeLessThanOrEqual(gossip.intervalMs)
  })

  it('a replica cut off from every peer leaves after leaveTimeoutMs with an error event', async () => {
    const sim = createSimulation({ seed: 2, latencyMs: [1, 5] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    sim.spawn(Monitor, { id: 'b', gossip })
    sim.advance(200)
    sim.partition(['a'], ['b'])
    a.state.packets.increment(1)
    const errors: Error[] = []
    a.on('error', (error) => errors.push(error))
    const startMs = sim.now()
    await a.leave()
    expect(a.status).toBe('stopped')
    expect(sim.now() - startMs).toBeGreaterThanOrEqual(gossip.leaveTimeoutMs)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/handoff/)
  })

  it('leave() twice, or after stop(), resolves and changes nothing', async () => {
    const sim = createSimulation({ seed: 3 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    sim.advance(200)
    await a.leave()
    await a.leave()
    await b.stop()
    await b.leave()
    expect([a.status, b.status]).toEqual(['stopped', 'stopped'])
  })

  // Library bug: the handoff of leave() waits for a peer to confirm the leaver's slot versions
  // only. A doc() edit travels once, in the push of the round that takes it; if that push is
  // lost and a later push (carrying the slot changes again) confirms the handoff before any
  // peer's digest exchange brings the edit over, the leaver stops and the edit is lost for good,
  // while its counter increment of the same moment arrives. These seeds lose it today (out of
  // 1000 seeds, 7 did).
  it('hands over doc() edits made right before leave() too', async () => {
    const Rules = defineState({ rules: doc(), c: counter() })
    for (const seed of [198, 210, 278, 630, 663, 795, 847]) {
      const sim = createSimulation({ seed, loss: 0.3 })
      const a = sim.spawn(Rules, { id: 'a' })
      sim.spawn(Rules, { id: 'b' })
      const c = sim.spawn(Rules, { id: 'c' })
      sim.advance(1000)
      c.state.rules.doc.getArray<number>('list').push([seed])
      c.state.c.increment(3)
      await c.leave()
      sim.runUntilConverged({ maxMs: 5_000 })
      expect(a.state.c.global, `seed ${seed}`).toBe(3)
      expect(a.snapshot()['rules'], `seed ${seed}`).toEqual({ list: [seed] })
    }
  })
})
