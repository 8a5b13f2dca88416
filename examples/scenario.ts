/**
 * The E-State scale-out/scale-in experiment on the simulated network: a traffic source sends
 * packets of many flows through a flow-hashing load balancer to monitor instances; the
 * deployment scales out, then gracefully in, while traffic flows. Shared by `npm start` and the
 * integration test.
 */
import * as prng from 'lib0/prng'
import { createSimulation, type Simulation } from '../src/sim/index.js'
import { TrafficMonitor, handlePacket, type MonitorReplica } from './traffic-monitor.js'
import { pickInstance } from './load-balancer.js'

export interface ScenarioOptions {
  seed: number
  /** Instances at the start. */
  instances: number
  /** Instances after scale-out. */
  scaleOutTo: number
  /** Instances after the graceful scale-in. */
  scaleInTo: number
  loss: number
  flows: number
  /** Packets per virtual second. */
  packetsPerSecond: number
  /** Virtual ms of traffic in each phase (before scale-out, after it, after scale-in). */
  phaseMs: number
  latencyMs: [number, number]
  intervalMs: number
}

export const defaultScenario: ScenarioOptions = {
  seed: 1, instances: 4, scaleOutTo: 8, scaleInTo: 3, loss: 0.1, flows: 1000,
  packetsPerSecond: 20_000, phaseMs: 2000, latencyMs: [1, 20], intervalMs: 100,
}

export interface ScenarioEvent {
  atMs: number
  text: string
}

export interface ScenarioResult {
  sent: number
  /** Global packet count on every survivor. */
  counted: Map<string, number>
  /** Flows whose global count differs from the truth on some survivor. */
  wrongFlows: number
  flowsChecked: number
  convergedAfterMs: number
  survivors: string[]
  sim: Simulation
  ok: boolean
}

export interface ScenarioHooks {
  /** Called every `tickMs` of virtual time; the run waits for a returned promise (pacing). */
  onTick?(sim: Simulation, sent: number, truth: Map<string, number>): void | Promise<void>
  onEvent?(event: ScenarioEvent): void
  tickMs?: number
}

export async function runScenario(options: ScenarioOptions, hooks: ScenarioHooks = {}): Promise<ScenarioResult> {
  const sim = createSimulation({ seed: options.seed, latencyMs: options.latencyMs, loss: options.loss, duplicate: 0.02, reorder: true })
  const traffic = prng.create(options.seed * 7919 + 1)
  const gossip = { intervalMs: options.intervalMs, fanout: 3 }
  const instances: MonitorReplica[] = []
  let nextId = 1
  const spawn = () => {
    const replica = sim.spawn(TrafficMonitor, { id: `nf-${nextId++}`, gossip }) as MonitorReplica
    instances.push(replica)
    hooks.onEvent?.({ atMs: sim.now(), text: `scale-out: ${replica.id} joins` })
    return replica
  }
  for (let i = 0; i < options.instances; i++) spawn()

  const truth = new Map<string, number>()
  let sent = 0
  const flowNames = Array.from({ length: options.flows }, (_, flow) => `10.0.${flow >> 8}.${flow & 255}:${1024 + flow}>10.1.0.1:443/6`)
  const tickMs = hooks.tickMs ?? 100
  const stepMs = 10
  const packetsPerStep = Math.max(1, Math.round(options.packetsPerSecond * stepMs / 1000))

  const sendTraffic = async (durationMs: number) => {
    for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
      const live = instances.map((replica) => replica.id)
      const byId = new Map(instances.map((replica) => [replica.id, replica]))
      for (let p = 0; p < packetsPerStep; p++) {
        // Skewed flow popularity: the square of a uniform draw favours low flow numbers.
        const flow = flowNames[Math.floor(prng.real53(traffic) ** 2 * options.flows)]!
        const packet = { flow, sizeBytes: [64, 576, 1500][prng.int31(traffic, 0, 2)]!, matches: prng.int31(traffic, 0, 14) === 0 }
        handlePacket(byId.get(pickInstance(flow, live))!, packet)
        truth.set(flow, (truth.get(flow) ?? 0) + 1)
        sent++
      }
      for (const replica of instances) replica.state.load.set(packetsPerStep / live.length)
      sim.advance(stepMs)
      if (Math.floor(sim.now() / tickMs) !== Math.floor((sim.now() - stepMs) / tickMs)) await hooks.onTick?.(sim, sent, truth)
    }
  }

  await sendTraffic(options.phaseMs)
  while (instances.length < options.scaleOutTo) spawn()
  await sendTraffic(options.phaseMs)
  while (instances.length > options.scaleInTo) {
    const leaving = instances.pop()!
    hooks.onEvent?.({ atMs: sim.now(), text: `scale-in: ${leaving.id} hands over and leaves` })
    await leaving.leave()
    hooks.onEvent?.({ atMs: sim.now(), text: `scale-in: ${leaving.id} left` })
    await sendTraffic(Math.floor(options.phaseMs / 4))
  }
  await sendTraffic(options.phaseMs)
  hooks.onEvent?.({ atMs: sim.now(), text: 'traffic stops; waiting for convergence' })
  const convergedAfterMs = sim.runUntilConverged({ maxMs: 120_000 })
  await hooks.onTick?.(sim, sent, truth)

  const counted = new Map(instances.map((replica) => [replica.id, replica.state.packets.global]))
  let wrongFlows = 0
  for (const [flow, count] of truth) {
    if (instances.some((replica) => replica.state.flows.get(flow)?.packets.global !== count)) wrongFlows++
  }
  const ok = wrongFlows === 0 && [...counted.values()].every((count) => count === sent)
  return { sent, counted, wrongFlows, flowsChecked: truth.size, convergedAfterMs, survivors: instances.map((replica) => replica.id), sim, ok }
}
