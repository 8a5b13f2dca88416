/**
 * A stateful firewall on the simulated network (see scenario.ts): connection tracking with idle
 * expiry, a blocked set fed by a port-scan detector counting over every instance, an ordered
 * rule list in a Yjs document, through a scale-out.
 *
 *   npx tsx examples/firewall/main.ts [--seed N]
 */
import { parseArgs } from 'node:util'
import { SCANNER, runFirewallScenario } from './scenario.js'

const { values } = parseArgs({ options: { seed: { type: 'string' } } })
const seed = Number(values.seed ?? 1)
if (!Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx examples/firewall/main.ts [--seed N]')
  process.exit(2)
}

const { instances, convergedMs, checks } = runFirewallScenario(seed, (line) => console.log(line))
console.log(`converged ${convergedMs} virtual ms after the last packet`)
for (const replica of instances) {
  const { accepted, dropped, connections, blocked, scans } = replica.state
  console.log(`  ${replica.id}: accepted ${accepted.local} here / ${accepted.global} in all, dropped ${dropped.global} in all, `
    + `connections ${connections.size}, blocked [${blocked.values().join(', ')}], `
    + `scanner's distinct ports: ${scans.local.distinctPorts(SCANNER)} seen here, ${scans.global.distinctPorts(SCANNER)} in all`)
}
for (const [check, ok] of Object.entries(checks)) console.log(`${ok ? 'ok  ' : 'FAIL'} ${check}`)
process.exit(Object.values(checks).every(Boolean) ? 0 : 1)
