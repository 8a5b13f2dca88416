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
import type { Deployment } from './deployment.js'
import type { DeploymentOptions } from './options.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))
const instanceId = (n: number) => `i${n}`
const DRAIN_TIMEOUT_MS = 15_000
const SETTLE_TIMEOUT_MS = 15_000

/** Runs the script and returns the final digest of every instance still running. */
export async function runScript(deployment: Deployment, options: DeploymentOptions): Promise<Map<string, StateDigest | null>> {
  const { pump, screen } = deployment
  const durationMs = options.durationS * 1000
  const startServing = (id: string) => deployment.startServing(id)

  deployment.setPhase('starting')
  screen.event(`starting ${options.instances} instances`)
  // The first one alone, so that the others have a seed to join through.
  await startServing(instanceId(1))
  await Promise.all(Array.from({ length: options.instances - 1 }, (_, index) => startServing(instanceId(index + 2))))

  deployment.setPhase('traffic')
  pump.start()
  screen.event(`traffic started: ${options.packetsPerSecond} packets/s over ${options.flows} flows`)
  const trafficStartedAt = Date.now()
  const until = (fraction: number) => sleep(trafficStartedAt + fraction * durationMs - Date.now())

  if (options.scaleOut > 0) {
    await until(0.2)
    deployment.setPhase('scale-out')
    const added = Array.from({ length: options.scaleOut }, (_, index) => instanceId(options.instances + index + 1))
    screen.event(`scale out: starting ${added.join(', ')} while traffic flows`)
    await Promise.all(added.map(startServing))
    deployment.setPhase('traffic')
  }

  const victim = instanceId(options.instances >= 2 ? 2 : 1)
  if (options.kill) {
    await until(0.4)
    deployment.setPhase('killed')
    await deployment.kill(victim)
    await until(0.55)
    deployment.setPhase('restart')
    screen.event(`restarting ${victim} on its state directory`)
    await startServing(victim)
    deployment.setPhase('traffic')
  }

  await until(0.75)
  const leaver = pump.balancer.instances.find((id) => id !== victim)
  if (leaver !== undefined) {
    deployment.setPhase('scale-in')
    await deployment.scaleIn(leaver, DRAIN_TIMEOUT_MS)
    deployment.setPhase('traffic')
  }

  await until(1)
  pump.stop()
  return deployment.settleAndAgree(SETTLE_TIMEOUT_MS, options.settleS * 1000)
}
