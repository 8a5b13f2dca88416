/** Departed members stop travelling in frames after a while, so frames do not grow with churn. */
import { expect, test } from 'vitest'
import { counter, defineState } from 'elastic-state'
import { createSimulation } from 'elastic-state/sim'

const S = defineState({ packets: counter() })

test('left members are gossiped for a while, then dropped from frames but never revived', async () => {
  const sim = createSimulation({ seed: 11, latencyMs: [1, 5] })
  const gossip = { intervalMs: 100, failureTimeoutMs: 1000 }
  const a = sim.spawn(S, { id: 'a', gossip })
  sim.spawn(S, { id: 'b', gossip })
  sim.runUntilConverged()
  const frameBytes = () => { const before = a.stats().bytesSent; const rounds = a.stats().rounds; sim.advance(1000); return (a.stats().bytesSent - before) / (a.stats().rounds - rounds) }
  sim.advance(2000)
  const baseline = frameBytes()
  for (let i = 0; i < 20; i++) {
    const visitor = sim.spawn(S, { id: `visitor-${i}`, gossip })
    visitor.state.packets.increment()
    sim.advance(300)
    await visitor.leave()
  }
  sim.runUntilConverged()
  const withTombstones = frameBytes()
  sim.advance(12_000) // past ten failure time-outs
  const afterwards = frameBytes()
  expect(withTombstones).toBeGreaterThan(baseline)
  expect(afterwards).toBeLessThan(withTombstones)
  expect(a.members()).toEqual(['a', 'b'])
  expect(a.state.packets.global).toBe(20)
})
