/**
 * The firewall example: its port-scan detector obeys the laws of a custom type; the whole state
 * (connections with idle expiry, blocked set, detector, rule document, counters) converges under
 * every fault and scale event; and its scenario holds its checks.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkConvergence, checkLaws, op } from 'elastic-state/testing'
import { handlePacket } from '../../examples/firewall/firewall.js'
import { portScans } from '../../examples/firewall/port-scan.js'
import { addRule, removeRule } from '../../examples/firewall/rules.js'
import { SCANNER, runFirewallScenario } from '../../examples/firewall/scenario.js'
import { firewallState, type FirewallState } from '../../examples/firewall/state.js'

const randomSeed = () => Math.floor(Math.random() * 2 ** 31)

describe('firewall example', () => {
  it('the port-scan detector is a lawful custom type', () => {
    const seed = randomSeed()
    const laws = checkLaws(portScans, {
      writes: { tried: fc.tuple(fc.constantFrom('10.0.0.1', '10.0.0.2', ''), fc.integer({ min: -1, max: 70_000 })) },
      seed,
    })
    expect(() => laws.assert(), `seed ${seed}`).not.toThrow()
  })

  it('converges under loss, partitions, crashes and scaling, with connections expiring', async () => {
    const seed = randomSeed()
    // Connections idle for 300 ms expire, so schedules of a few hundred ms see expiry too.
    const State = firewallState({ idleTimeoutMs: 300 })
    const packet = fc.record({
      source: fc.constantFrom('10.0.0.1', '10.6.0.2', SCANNER),
      sourcePort: fc.constantFrom(40_000, 40_001),
      destination: fc.constant('192.0.2.10'),
      port: fc.oneof(fc.constantFrom(80, 443), fc.integer({ min: 1, max: 1024 })),
      sizeBytes: fc.integer({ min: 40, max: 1500 }),
    })
    const rule = fc.record({ action: fc.constantFrom('allow' as const, 'deny' as const), sourcePrefix: fc.constantFrom('10.6.', '203.'), port: fc.constantFrom(80, 443) })
    const property = checkConvergence(State, [
      op('packet', packet, (state: FirewallState, value) => { handlePacket(state, value) }),
      op('addRule', fc.tuple(rule, fc.nat(3)), (state: FirewallState, [value, index]) => addRule(state.rules.doc, value, index)),
      op('removeRule', fc.nat(3), (state: FirewallState, index) => removeRule(state.rules.doc, index)),
      op('unblock', fc.constantFrom(SCANNER, '10.0.0.1'), (state: FirewallState, source) => { state.blocked.delete(source) }),
    ], { seed, numRuns: 50 })
    await expect(property.assert(), `seed ${seed}`).resolves.toBeUndefined()
  })

  it.each([1, 2, 3])('scenario, seed %i: the scanner is blocked everywhere, connections survive the scale-out, the rule holds', (seed) => {
    const { checks, instances } = runFirewallScenario(seed)
    expect(checks).toEqual(Object.fromEntries(Object.keys(checks).map((check) => [check, true])))
    expect(instances).toHaveLength(4)
  })
})
