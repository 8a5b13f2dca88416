/**
 * A load balancer with sticky sessions that survive scale events (see scenario.ts): the backend
 * pool, the sessions and the load per instance are replicated state, read and written locally.
 *
 *   npx tsx examples/lb/main.ts [--seed N]
 */
import { parseArgs } from 'node:util'
import { runBalancerScenario } from './scenario.js'

const { values } = parseArgs({ options: { seed: { type: 'string' } } })
const seed = Number(values.seed ?? 1)
if (!Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx examples/lb/main.ts [--seed N]')
  process.exit(2)
}

const { instances, checks } = await runBalancerScenario(seed, (line) => console.log(line))
for (const replica of instances) {
  const { sessions, backends, load, requests } = replica.state
  const perBackend = backends.values().sort().map((backend) => `${backend} ${sessions.keys().filter((client) => sessions.get(client)?.backend.global === backend).length}`)
  console.log(`  ${replica.id}: pool [${backends.values().sort().join(', ')}], sessions per backend: ${perBackend.join(', ')}; `
    + `requests ${requests.local} here / ${requests.global} in all; load ${load.local} here / ${load.global} over live instances`)
}
for (const [check, ok] of Object.entries(checks)) console.log(`${ok ? 'ok  ' : 'FAIL'} ${check}`)
process.exit(Object.values(checks).every(Boolean) ? 0 : 1)
