/**
 * Restarts: a replica that comes back under the same id is a new incarnation with fresh memory.
 * It must never reuse its former self's version numbers, or peers would take its new writes for
 * ones they already hold and drop them: so every write made after a restart arrives, however
 * far the former incarnation had counted. The former incarnation's counts stay in counters; its
 * perInstance value no longer counts.
 */
import { describe, expect, it } from 'vitest'
import type { Replica } from '../../src/index.js'
import { type Simulation, createSimulation } from '../../src/sim/index.js'
import { Monitor, type MonitorReplica, gossip } from './support.js'

/** Many rounds of writes, so that the replica's own version number climbs high. */
function writeForRounds(sim: Simulation, replica: MonitorReplica, rounds: number): number {
  for (let round = 0; round < rounds; round++) {
    replica.state.packets.increment(1)
    replica.state.blocked.add(`old-${round}`)
    replica.state.load.set(round)
    sim.advance(gossip.intervalMs)
  }
  return rounds
}

type Ending = 'crash' | 'stop' | 'leave'

async function end(sim: Simulation, replica: Replica, how: Ending): Promise<void> {
  if (how === 'crash') sim.crash(replica.id)
  else if (how === 'stop') await replica.stop()
  else await replica.leave()
}

describe('restart with a new incarnation', () => {
  for (const how of ['crash', 'stop', 'leave'] as const) {
    it.each([1, 2, 3])(`after ${how}, seed %i: writes made after the restart all arrive, the old counts stay`, async (seed) => {
      const sim = createSimulation({ seed, latencyMs: [1, 10], loss: 0.1, duplicate: 0.05 })
      const a = sim.spawn(Monitor, { id: 'a', gossip })
      const b = sim.spawn(Monitor, { id: 'b', gossip })
      a.state.load.set(100)
      const oldCount = writeForRounds(sim, b, 40)
      sim.runUntilConverged({ maxMs: 5_000 })
      const oldIncarnation = b.incarnation
      const oldVersion = b.stats().version
      expect(oldVersion).toBeGreaterThanOrEqual(40)
      expect(a.state.packets.global).toBe(oldCount)

      await end(sim, b, how)
      const reborn = sim.restart('b') as MonitorReplica
      expect(reborn.id).toBe('b')
      expect(reborn.incarnation).toBeGreaterThan(oldIncarnation)
      expect(reborn.state.packets.global).toBe(0)

      // Fewer versions than the former incarnation had: reuse would hide every one of them.
      reborn.state.packets.increment(5)
      reborn.state.blocked.add('new')
      reborn.state.load.set(7)
      sim.advance(gossip.intervalMs)
      reborn.state.packets.increment(2)
      sim.advance(gossip.failureTimeoutMs * 2)
      sim.runUntilConverged({ maxMs: 10_000 })

      expect(reborn.stats().version).toBeLessThan(oldVersion)
      for (const replica of [a, reborn]) {
        expect(replica.state.packets.global).toBe(oldCount + 7)
        expect(replica.state.blocked.has('new')).toBe(true)
        expect(replica.state.blocked.has('old-0')).toBe(true)
        expect(replica.state.load.global).toBe(107)
        expect(Object.fromEntries(replica.state.load.byInstance())).toEqual({ a: 100, b: 7 })
        expect(replica.members()).toEqual(['a', 'b'])
      }
      expect(reborn.state.packets.local).toBe(7)
    })
  }

  it('writes made by the new incarnation before it has heard from anyone arrive too', () => {
    const sim = createSimulation({ seed: 9, latencyMs: [5, 20] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    writeForRounds(sim, b, 30)
    sim.runUntilConverged({ maxMs: 5_000 })
    sim.crash('b')
    const reborn = sim.restart('b') as MonitorReplica
    reborn.state.packets.increment(1)
    reborn.state.flows.entry('after-restart').packets.increment(4)
    sim.runUntilConverged({ maxMs: 10_000 })
    expect(a.state.packets.global).toBe(31)
    expect(a.state.flows.get('after-restart')?.packets.global).toBe(4)
  })

  it('several restarts in a row each keep every write', () => {
    const sim = createSimulation({ seed: 10, latencyMs: [1, 10], loss: 0.2 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    let b = sim.spawn(Monitor, { id: 'b', gossip })
    let expected = 0
    const incarnations: number[] = []
    for (let life = 0; life < 5; life++) {
      expected += writeForRounds(sim, b, 10 - life * 2)
      sim.runUntilConverged({ maxMs: 10_000 })
      incarnations.push(b.incarnation)
      sim.crash('b')
      b = sim.restart('b') as MonitorReplica
    }
    b.state.packets.increment(1)
    sim.runUntilConverged({ maxMs: 10_000 })
    expect(a.state.packets.global).toBe(expected + 1)
    expect(b.state.packets.global).toBe(expected + 1)
    expect([...incarnations, b.incarnation]).toEqual([...incarnations, b.incarnation].slice().sort((x, y) => x - y))
    expect(new Set([...incarnations, b.incarnation]).size).toBe(6)
  })
})
