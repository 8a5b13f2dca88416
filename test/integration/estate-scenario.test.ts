/**
 * The E-State scenario as an integration test: a traffic monitor on 4 instances under 10 % loss
 * scales out to 8, then gracefully in to 3, with traffic all along. Afterwards every survivor's
 * global packet count equals the packets sent, and every flow's count is exact.
 */
import { describe, expect, test } from 'vitest'
import { defaultScenario, runScenario } from '../../examples/scenario.js'
import type { MonitorReplica } from '../../examples/traffic-monitor.js'

describe('E-State scale-out / scale-in scenario', () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: 4 -> 8 -> 3 instances under 10 % loss loses no count`, async () => {
      const result = await runScenario({ ...defaultScenario, seed, phaseMs: 1000, packetsPerSecond: 5000, flows: 300 })
      expect(result.survivors).toHaveLength(3)
      expect(result.sent).toBeGreaterThan(0)
      for (const [id, count] of result.counted) expect({ id, count }).toEqual({ id, count: result.sent })
      expect(result.wrongFlows).toBe(0)
      expect(result.flowsChecked).toBe(300)
      // The survivors agree on membership: the departed instances are gone everywhere.
      for (const replica of result.sim.replicas()) expect(replica.members()).toEqual(result.survivors.slice().sort())
    })
  }

  test('a departed instance\'s counts stay in the global view after it left', async () => {
    const result = await runScenario({ ...defaultScenario, seed: 9, phaseMs: 500, packetsPerSecond: 4000, flows: 50 })
    const survivors = result.sim.replicas() as MonitorReplica[]
    const localSum = survivors.reduce((sum, replica) => sum + replica.state.packets.local, 0)
    // Survivors did not count every packet themselves: the rest came from instances that left.
    expect(localSum).toBeLessThan(result.sent)
    expect(result.ok).toBe(true)
  })
})
