/**
 * `npm start`: the E-State scale-out/scale-in experiment on the simulated network, in the
 * terminal. A live table per instance (local and global packets, flows, gossip lag), the scale
 * events as they happen, and a final check line. Exits non-zero when the check fails.
 *
 *   npm start -- --instances 4 --scale-out 8 --scale-in 3 --loss 0.1 --seed 1 --phase-ms 2000
 */
import { parseArgs } from 'node:util'
import { defaultScenario, runScenario, type ScenarioOptions } from './scenario.js'
import type { MonitorReplica } from './traffic-monitor.js'
import type { Simulation } from '../src/sim/index.js'

const { values } = parseArgs({
  options: {
    instances: { type: 'string' }, 'scale-out': { type: 'string' }, 'scale-in': { type: 'string' },
    loss: { type: 'string' }, seed: { type: 'string' }, flows: { type: 'string' }, rate: { type: 'string' },
    'phase-ms': { type: 'string' }, 'interval-ms': { type: 'string' }, quiet: { type: 'boolean' }, fast: { type: 'boolean' },
    help: { type: 'boolean' },
  },
})
if (values.help) {
  console.log('usage: npm start -- [--instances N] [--scale-out N] [--scale-in N] [--loss 0..1] [--seed N] [--flows N] [--rate packets/s] [--phase-ms N] [--interval-ms N] [--fast] [--quiet]')
  console.log('  --fast   run as fast as possible (default in a terminal: about one virtual second per wall second)')
  console.log('  --quiet  no live table: events and the final table only (the default when not in a terminal)')
  process.exit(0)
}

function numberFlag(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!check(n)) {
    console.error(`--${name}: bad value ${JSON.stringify(value)}`)
    process.exit(2)
  }
  return n
}
const positiveInt = (n: number) => Number.isSafeInteger(n) && n > 0
const options: ScenarioOptions = {
  ...defaultScenario,
  instances: numberFlag('instances', values.instances, defaultScenario.instances, positiveInt),
  scaleOutTo: numberFlag('scale-out', values['scale-out'], defaultScenario.scaleOutTo, positiveInt),
  scaleInTo: numberFlag('scale-in', values['scale-in'], defaultScenario.scaleInTo, positiveInt),
  loss: numberFlag('loss', values.loss, defaultScenario.loss, (n) => n >= 0 && n < 1),
  seed: numberFlag('seed', values.seed, defaultScenario.seed, Number.isSafeInteger),
  flows: numberFlag('flows', values.flows, defaultScenario.flows, positiveInt),
  packetsPerSecond: numberFlag('rate', values.rate, defaultScenario.packetsPerSecond, positiveInt),
  phaseMs: numberFlag('phase-ms', values['phase-ms'], defaultScenario.phaseMs, positiveInt),
  intervalMs: numberFlag('interval-ms', values['interval-ms'], defaultScenario.intervalMs, positiveInt),
}
if (options.scaleOutTo < options.instances || options.scaleInTo > options.scaleOutTo) {
  console.error('need instances <= scale-out and scale-in <= scale-out')
  process.exit(2)
}

const interactive = process.stdout.isTTY === true && !values.quiet
/** In a terminal the run is paced so the table can be watched; `--fast` lifts the pace. */
const paced = interactive && !values.fast
const tickMs = 250
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const events: string[] = []
let lastLines = 0

function table(sim: Simulation, sent: number): string[] {
  const rows = (sim.replicas() as MonitorReplica[]).map((replica) => {
    const stats = replica.stats()
    return [replica.id, String(replica.state.packets.local), String(replica.state.packets.global), String(replica.state.flows.size),
      String(replica.members().length), `${stats.lagMs.toFixed(0)} ms`]
  })
  const header = ['instance', 'local pkts', 'global pkts', 'flows', 'members', 'gossip lag']
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const format = (row: string[]) => row.map((cell, column) => cell.padStart(widths[column]!)).join('  ')
  return [`t = ${(sim.now() / 1000).toFixed(1)} s (virtual)   packets sent: ${sent}   converged: ${sim.converged() ? 'yes' : 'no'}`,
    format(header), ...rows.map(format)]
}

function render(lines: string[]): void {
  if (!interactive) return
  if (lastLines > 0) process.stdout.write(`\x1b[${lastLines}A\x1b[0J`)
  process.stdout.write(lines.join('\n') + '\n')
  lastLines = lines.length
}

console.log(`elastic-state demo: ${options.instances} instances -> ${options.scaleOutTo} -> ${options.scaleInTo}, loss ${options.loss * 100} %, seed ${options.seed}`)
const started = Date.now()
const result = await runScenario(options, {
  tickMs,
  onTick: async (sim, sent) => {
    render([...table(sim, sent), '', ...events.slice(-6)])
    if (paced) await sleep(tickMs)
  },
  onEvent: (event) => {
    const line = `[${(event.atMs / 1000).toFixed(2)} s] ${event.text}`
    events.push(line)
    if (!interactive) console.log(line)
  },
})
if (!interactive) console.log(table(result.sim, result.sent).join('\n'))
const counts = [...result.counted].map(([id, count]) => `${id}=${count}`).join(' ')
console.log(`converged ${result.convergedAfterMs} virtual ms after traffic stopped (${((Date.now() - started) / 1000).toFixed(1)} s wall)`)
console.log(`check: sent ${result.sent}, global count per survivor ${counts}; flows exact ${result.flowsChecked - result.wrongFlows}/${result.flowsChecked} -> ${result.ok ? 'OK' : 'FAILED'}`)
process.exit(result.ok ? 0 : 1)
