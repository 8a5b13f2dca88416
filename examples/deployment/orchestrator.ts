/**
 * `npm start`: a real elastic deployment of the traffic monitor on loopback. This process is the
 * traffic source and the flow-hashing load balancer; the monitor instances are child processes
 * (instance.ts) that replicate their state by gossip over WebSockets and persist it to their own
 * directories under a temporary directory. The run is scripted (script.ts), shown live
 * (display.ts) and ends with a check line (check.ts); the exit code is 0 only if the check holds.
 *
 * Every process it started and the temporary directory are removed at the end, on failure, and
 * on Ctrl-C / SIGTERM; instances also exit by themselves when this process dies.
 *
 *   npm start -- --duration 120 --instances 4 --rate 50000 --flows 100000 --no-kill --seed 7
 */
import { checkRun } from './check.js'
import { Deployment } from './deployment.js'
import { type DeploymentOptions, parseOptions, usage } from './options.js'
import { runScript } from './script.js'

const REFRESH_MS = 1000

function readOptions(): DeploymentOptions {
  try {
    const parsed = parseOptions(process.argv.slice(2))
    if (parsed !== 'help') return parsed
    console.log(usage)
    process.exit(0)
  } catch (error) {
    console.error((error as Error).message)
    console.error(usage)
    process.exit(2)
  }
}

const options = readOptions()
const deployment = new Deployment(options)
const { screen, pump } = deployment
deployment.installExitHandlers()
deployment.showLive(REFRESH_MS)

const plan = options.kill ? `SIGKILL and restart one, ` : ''
screen.print(`elastic-state deployment on loopback: ${options.instances} instances, +${options.scaleOut} while traffic flows, ${plan}`
  + `one leaves; ${options.packetsPerSecond} packets/s over ${options.flows} flows for ${options.durationS} s, seed ${options.seed}`)
screen.print(`state directories under ${deployment.stateRoot}`)
const staleRoots = deployment.staleRoots
if (staleRoots > 0) screen.print(`removed ${staleRoots} state ${staleRoots === 1 ? 'directory' : 'directories'} left by killed earlier runs`)

let digests
try {
  digests = await runScript(deployment, options)
} catch (error) {
  screen.finish()
  screen.print(`run failed: ${(error as Error).stack ?? String(error)}`)
  await deployment.shutdown()
  process.exit(1)
}

// One more round of status reports, so the last table shows the agreed counts.
await new Promise((resolve) => setTimeout(resolve, deployment.statusMs + 100))
deployment.phase = 'done'
screen.refresh(deployment.progress())
screen.finish()
const problems = deployment.problems
const result = checkRun({ sent: pump.sent, acked: pump.acked, digests, exact: !options.kill, runProblems: problems })
await deployment.shutdown()
const elapsedS = (Date.now() - deployment.startedAt) / 1000
const trafficS = pump.trafficMs / 1000
screen.print(`ran ${elapsedS.toFixed(1)} s; traffic for ${trafficS.toFixed(1)} s: ${pump.sent.packets} packets sent`
  + ` (${Math.round(pump.sent.packets / trafficS)} per second), ${pump.lost.packets} lost in flight to a killed instance,`
  + ` ${pump.heldBack} held back by the source`)
for (const text of result.problems) if (!problems.includes(text)) screen.print(`PROBLEM: ${text}`)
screen.print(result.line)
process.exit(result.ok ? 0 : 1)
