/**
 * A rate limiter whose limit per client holds across all its instances (see scenario.ts): each
 * instance decides locally from the global request counts of the client's current and previous
 * windows, which gossip keeps up to date.
 *
 *   npx tsx examples/rate-limiter/main.ts [--seed N]
 */
import { parseArgs } from 'node:util'
import { runRateLimiterScenario } from './scenario.js'

const { values } = parseArgs({ options: { seed: { type: 'string' } } })
const seed = Number(values.seed ?? 1)
if (!Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx examples/rate-limiter/main.ts [--seed N]')
  process.exit(2)
}

const { instances, admitted, limits, checks } = await runRateLimiterScenario(seed, (line) => console.log(line))
console.log(`window:  ${limits.map((_, window) => String(window).padStart(4)).join('')}`)
console.log(`limit:   ${limits.map((limit) => String(limit).padStart(4)).join('')}`)
for (const [client, counts] of admitted) console.log(`${`${client}:`.padEnd(9)}${counts.map((count) => String(count).padStart(4)).join('')}   (admitted per window, over all instances)`)
for (const replica of instances) {
  console.log(`  ${replica.id}: allowed ${replica.state.allowed.local} here / ${replica.state.allowed.global} in all, rejected ${replica.state.rejected.global} in all, windows held ${replica.state.windows.size}`)
}
for (const [check, ok] of Object.entries(checks)) console.log(`${ok ? 'ok  ' : 'FAIL'} ${check}`)
process.exit(Object.values(checks).every(Boolean) ? 0 : 1)
