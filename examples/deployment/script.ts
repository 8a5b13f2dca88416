/**
 * The scripted run of the deployment, on a clock that starts with the traffic:
 *
 *   start N instances → traffic → scale out (+M) at 20 % → SIGKILL one at 40 % → restart it on
 *   its directory at 55 % → graceful scale-in of one at 75 % → traffic stops at 100 % → wait
 *   until every batch is acknowledged and all instances agree.
 *
 * The balancer stops routing to an instance before anything else happens to it: at once for
 * the SIGKILL, and before the scale-in, whose instance then acknowledges what it took and
 * leaves.
 */
import type { StateDigest } from './control.js'
import type { Fleet } from './fleet.js'
import type { DeploymentOptions } from './options.js'
import type { TrafficPump } from './pump.js'

export interface ScriptHost {
  options: DeploymentOptions
  fleet: Fleet
  pump: TrafficPump
  setPhase(phase: string): void
  event(text: string): void
  /** Something that makes the run fail, noted without stopping it. */
  problem(text: string): void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))
const instanceId = (n: number) => `i${n}`
const DRAIN_TIMEOUT_MS = 15_000
const SETTLE_TIMEOUT_MS = 15_000
const DIGEST_TIMEOUT_MS = 5_000
const AGREEMENT_POLL_MS = 250

/** Runs the script and returns the final digest of every instance still running. */
export async function runScript(host: ScriptHost): Promise<Map<string, StateDigest | null>> {
  const { options, fleet, pump } = host
  const durationMs = options.durationS * 1000

  const startServing = async (id: string): Promise<void> => {
    const instance = await fleet.start(id)
    await pump.attach(id, instance.dataPort)
    instance.phase = 'serving'
  }

  host.setPhase('starting')
  host.event(`starting ${options.instances} instances`)
  // The first one alone, so that the others have a seed to join through.
  await startServing(instanceId(1))
  await Promise.all(Array.from({ length: options.instances - 1 }, (_, index) => startServing(instanceId(index + 2))))

  host.setPhase('traffic')
  pump.start()
  host.event(`traffic started: ${options.packetsPerSecond} packets/s over ${options.flows} flows`)
  const trafficStartedAt = Date.now()
  const until = (fraction: number) => sleep(trafficStartedAt + fraction * durationMs - Date.now())

  if (options.scaleOut > 0) {
    await until(0.2)
    host.setPhase('scale-out')
    const added = Array.from({ length: options.scaleOut }, (_, index) => instanceId(options.instances + index + 1))
    host.event(`scale out: starting ${added.join(', ')} while traffic flows`)
    await Promise.all(added.map(startServing))
    host.setPhase('traffic')
  }

  const victim = instanceId(options.instances >= 2 ? 2 : 1)
  if (options.kill) {
    await until(0.4)
    host.setPhase('killed')
    const pid = fleet.instances.get(victim)?.pid
    const lost = pump.detach(victim)
    fleet.kill(victim)
    host.event(`SIGKILL ${victim} (pid ${pid}); the balancer stopped routing to it first; ${lost.packets} packets were in flight to it, unacknowledged`)
    await until(0.55)
    host.setPhase('restart')
    host.event(`restarting ${victim} on its state directory`)
    await startServing(victim)
    host.setPhase('traffic')
  }

  await until(0.75)
  const leaver = pump.balancer.instances.find((id) => id !== victim)
  if (leaver !== undefined) {
    host.setPhase('scale-in')
    fleet.instances.get(leaver)!.phase = 'draining'
    host.event(`scale in: the balancer stopped routing to ${leaver}; waiting for its batches to be acknowledged`)
    if (!(await pump.drain(leaver, DRAIN_TIMEOUT_MS))) host.problem(`${leaver}: batches still unacknowledged after ${DRAIN_TIMEOUT_MS} ms`)
    host.event(`${leaver}: every batch acknowledged; leave()`)
    await fleet.leave(leaver)
    host.event(`${leaver} left and exited`)
    host.setPhase('traffic')
  }

  await until(1)
  pump.stop()
  host.setPhase('settling')
  host.event('traffic stopped; waiting for the last acknowledgements')
  if (!(await pump.settle(SETTLE_TIMEOUT_MS))) host.problem(`batches still unacknowledged ${SETTLE_TIMEOUT_MS} ms after the traffic stopped`)

  host.setPhase('converging')
  const convergeStartedAt = Date.now()
  for (;;) {
    const running = fleet.running().map((instance) => instance.id)
    const digests = await fleet.digests(running, DIGEST_TIMEOUT_MS)
    const all = new Map<string, StateDigest | null>(running.map((id) => [id, digests.get(id) ?? null]))
    if (agree(all)) {
      host.event(`all ${running.length} instances agree, ${((Date.now() - convergeStartedAt) / 1000).toFixed(1)} s after the last acknowledgement`)
      return all
    }
    if (Date.now() - convergeStartedAt > options.settleS * 1000) {
      host.problem(`the instances did not agree within ${options.settleS} s`)
      return all
    }
    await sleep(AGREEMENT_POLL_MS)
  }
}

function agree(digests: Map<string, StateDigest | null>): boolean {
  const answers = [...digests.values()]
  if (answers.length === 0 || answers.some((digest) => digest === null)) return false
  const first = JSON.stringify(answers[0])
  return answers.every((digest) => JSON.stringify(digest) === first)
}
