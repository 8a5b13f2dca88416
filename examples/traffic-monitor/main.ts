/**
 * The E-State traffic monitor (Peuster & Karl, NetSoft 2016) on the simulated network: a
 * traffic source sends packets of many flows through a flow-hashing load balancer to monitor
 * instances, which scale out, then gracefully in, under frame loss. Each instance counts packets,
 * bytes and pattern matches globally and per flow, with local writes only; afterwards every
 * survivor's global view must hold every packet sent, per flow too.
 *
 *   npx tsx examples/traffic-monitor/main.ts [--seed N] [--loss 0..1] [--flows N]
 */
import { parseArgs } from 'node:util'
import { defaultScenario, runScenario } from '../scenario.js'
import type { MonitorReplica } from '../traffic-monitor.js'

const { values } = parseArgs({ options: { seed: { type: 'string' }, loss: { type: 'string' }, flows: { type: 'string' } } })
const options = {
  ...defaultScenario,
  phaseMs: 1000,
  packetsPerSecond: 5000,
  flows: 300,
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  ...(values.loss === undefined ? {} : { loss: Number(values.loss) }),
  ...(values.flows === undefined ? {} : { flows: Number(values.flows) }),
}
if (!Number.isSafeInteger(options.seed) || !(options.loss >= 0 && options.loss < 1) || !Number.isSafeInteger(options.flows) || options.flows < 1) {
  console.error('usage: npx tsx examples/traffic-monitor/main.ts [--seed N] [--loss 0..1] [--flows N]')
  process.exit(2)
}

console.log(`traffic monitor: ${options.instances} -> ${options.scaleOutTo} -> ${options.scaleInTo} instances, loss ${options.loss}, seed ${options.seed}`)
const result = await runScenario(options, {
  onEvent: (event) => console.log(`  [${(event.atMs / 1000).toFixed(2)} s] ${event.text}`),
})
for (const replica of result.sim.replicas() as MonitorReplica[]) {
  const { packets, matches, flows, load } = replica.state
  console.log(`  ${replica.id}: packets local ${packets.local} / global ${packets.global}, matches global ${matches.global}, flows ${flows.size}, load of live instances ${load.global}`)
}
console.log(`sent ${result.sent} packets over ${result.flowsChecked} flows; converged ${result.convergedAfterMs} virtual ms after traffic stopped`)
console.log(`every survivor counts every packet: ${result.ok ? 'yes' : `NO (${result.wrongFlows} flows wrong)`}`)
process.exit(result.ok ? 0 : 1)
