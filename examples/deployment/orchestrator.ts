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
import { rmSync } from 'node:fs'
import { checkRun } from './check.js'
import { LiveConsole, type Progress } from './display.js'
import { Fleet } from './fleet.js'
import { type DeploymentOptions, parseOptions, usage } from './options.js'
import { TrafficPump } from './pump.js'
import { runScript } from './script.js'
import { createStateRoot, removeStaleStateRoots } from './state-root.js'
import { TrafficSource } from './traffic.js'

const REFRESH_MS = 1000
const STATUS_MS = 500
const TICK_MS = 20
const BATCH_PACKETS = 4096

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
const startedAt = Date.now()
const staleRoots = removeStaleStateRoots()
const stateRoot = createStateRoot()
const screen = new LiveConsole(process.stdout.isTTY === true && !options.plain, startedAt)
const problems: string[] = []
let phase = 'starting'

const problem = (text: string) => {
  problems.push(text)
  screen.event(`PROBLEM: ${text}`)
}

const source = new TrafficSource(options.flows, options.seed)
const pump = new TrafficPump(source, {
  packetsPerSecond: options.packetsPerSecond,
  tickMs: TICK_MS,
  batchPackets: BATCH_PACKETS,
  // About two seconds of traffic unacknowledged means the instances are behind.
  maxInFlightPackets: Math.max(10_000, 2 * options.packetsPerSecond),
}, (id, reason) => problem(`${id}: traffic connection lost (${reason}); the balancer stopped routing to it`))

const fleet = new Fleet({
  stateRoot,
  gossipIntervalMs: options.gossipIntervalMs,
  failureTimeoutMs: options.failureTimeoutMs,
  statusMs: STATUS_MS,
  ackDelayMs: options.ackDelayMs,
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
  onEvent: (text) => screen.event(text),
  onUnexpectedExit: (instance, how) => {
    pump.detach(instance.id)
    problem(`${instance.id} (pid ${instance.pid}) exited unexpectedly (${how}); the balancer stopped routing to it`)
  },
})

const progress = (): Progress => ({
  phase, sent: pump.sent, acked: pump.acked, lost: pump.lost, inFlight: pump.packetsInFlight, heldBack: pump.heldBack,
  instances: [...fleet.instances.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })),
  inFlightTo: (id) => pump.link(id)?.packetsInFlight ?? 0,
})
const refreshTimer = setInterval(() => screen.refresh(progress()), REFRESH_MS)

let shuttingDown: Promise<void> | null = null
/** Stops the traffic and every instance, and removes the state directories. Runs once. */
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    clearInterval(refreshTimer)
    pump.stop()
    pump.closeAll()
    await fleet.stopAll()
    rmSync(stateRoot, { recursive: true, force: true })
  })()
  return shuttingDown
}

// Whatever ends this process, no instance outlives it and no state directory stays behind.
process.on('exit', () => {
  fleet.killAllNow()
  rmSync(stateRoot, { recursive: true, force: true })
})
const signalCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
for (const [signal, code] of Object.entries(signalCodes)) {
  process.on(signal, () => {
    if (shuttingDown) {
      // Asked twice: do not wait for the instances any more.
      process.exit(code)
    }
    screen.finish()
    screen.print(`${signal}: stopping the traffic and every instance`)
    shutdown().then(
      () => screen.print('every instance stopped; state directories removed'),
      (error: Error) => screen.print(`stopping failed: ${error.message}`),
    ).finally(() => process.exit(code))
  })
}

const plan = options.kill ? `SIGKILL and restart one, ` : ''
screen.print(`elastic-state deployment on loopback: ${options.instances} instances, +${options.scaleOut} while traffic flows, ${plan}`
  + `one leaves; ${options.packetsPerSecond} packets/s over ${options.flows} flows for ${options.durationS} s, seed ${options.seed}`)
screen.print(`state directories under ${stateRoot}`)
if (staleRoots > 0) screen.print(`removed ${staleRoots} state ${staleRoots === 1 ? 'directory' : 'directories'} left by killed earlier runs`)

let digests
try {
  digests = await runScript({
    options, fleet, pump,
    setPhase: (next) => {
      phase = next
      if (screen.redrawsInPlace) screen.refresh(progress())
    },
    event: (text) => screen.event(text),
    problem,
  })
} catch (error) {
  screen.finish()
  screen.print(`run failed: ${(error as Error).stack ?? String(error)}`)
  await shutdown()
  process.exit(1)
}

// One more round of status reports, so the last table shows the agreed counts.
await new Promise((resolve) => setTimeout(resolve, STATUS_MS + 100))
phase = 'done'
screen.refresh(progress())
screen.finish()
const result = checkRun({ sent: pump.sent, acked: pump.acked, digests, exact: !options.kill, runProblems: problems })
await shutdown()
const elapsedS = (Date.now() - startedAt) / 1000
const trafficS = pump.trafficMs / 1000
screen.print(`ran ${elapsedS.toFixed(1)} s; traffic for ${trafficS.toFixed(1)} s: ${pump.sent.packets} packets sent`
  + ` (${Math.round(pump.sent.packets / trafficS)} per second), ${pump.lost.packets} lost in flight to a killed instance,`
  + ` ${pump.heldBack} held back by the source`)
for (const text of result.problems) if (!problems.includes(text)) screen.print(`PROBLEM: ${text}`)
screen.print(result.line)
process.exit(result.ok ? 0 : 1)
