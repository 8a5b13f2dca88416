/**
 * One run of the simulator: monitor replicas on a simulated network (`elastic-state/sim`), a
 * traffic source behind a flow-hashing load balancer, the preset's script, and the records the
 * page draws. Virtual time moves in fixed steps of `STEP_MS`, and between two steps only, so the
 * same seed, settings and actions at the same virtual times give the same run.
 */
import { createSimulation, type Simulation } from 'elastic-state/sim'
import type { FlowRow, InstanceView, NetworkSettings, PresetId, RunEvent, RunEventKind, RunSettings, Sample, TrafficSettings, View } from '../protocol.js'
import { FlowBalancer } from './balancer.js'
import { ConvergenceTracker } from './convergence.js'
import { Deployment, type Instance } from './deployment.js'
import { flowRows, localFlowCount } from './flow-views.js'
import { LinkActivity } from './links.js'
import { handlePacket } from './monitor.js'
import { PRESETS, type PresetAction } from './presets.js'
import { createRandom } from './random.js'
import { MAX_INSTANCES, clampNetwork, clampSettings } from './settings.js'
import { SAMPLE_MS, Timeline } from './timeline.js'
import { TrafficSource } from './traffic.js'

export const STEP_MS = 10
/** How often each instance publishes the packet rate it sees (its `rate` per-instance value). */
const RATE_UPDATE_MS = 1000
/** How often the local flow-table views are counted (it reads every entry of every replica). */
const FLOW_COUNT_MS = 1000
/** Flows shown for the selected instance. */
const TOP_FLOWS = 6
/** Frames in flight a view carries at most. */
const MAX_FRAMES = 600

export class Engine {
  /** What the run started from; `networkSettings()` and `trafficSettings()` say what holds now. */
  readonly settings: RunSettings
  playing = true
  speed = 1
  selected: string | null = null
  private readonly sim: Simulation
  private readonly deployment: Deployment
  private readonly traffic: TrafficSource
  private readonly balancer = new FlowBalancer()
  private readonly convergence = new ConvergenceTracker()
  private readonly timeline: Timeline
  private readonly actions: PresetAction[]
  private nextAction = 0
  private partitionGroups: string[][] | null = null
  private network: NetworkSettings
  private trueCount = 0
  private readonly truePerFlow: number[] = []
  private readonly flowsLocal = new Map<string, number>()
  private nextSampleMs = SAMPLE_MS
  private nextRateUpdateMs = RATE_UPDATE_MS
  private nextFlowCountMs = 0
  private networkBytesAtSample = 0
  private backlogMs = 0
  private readonly links = new LinkActivity()
  private pendingSamples: Sample[] = []
  private pendingEvents: RunEvent[] = []

  constructor(readonly runId: number, readonly preset: PresetId, settings: RunSettings) {
    this.settings = clampSettings(settings)
    const { seed, latencyMinMs, latencyMaxMs, loss, duplicate, intervalMs, fanout } = this.settings
    this.sim = createSimulation({ seed, latencyMs: [latencyMinMs, latencyMaxMs], loss, duplicate, reorder: true })
    this.network = { latencyMinMs, latencyMaxMs, loss, duplicate }
    this.timeline = new Timeline(preset, this.settings)
    this.traffic = new TrafficSource(createRandom(seed, 'traffic'), this.settings.traffic)
    this.deployment = new Deployment(this.sim, { intervalMs, fanout }, {
      event: (kind, text) => this.event(kind, text),
      stateChanged: () => this.convergence.noteChange(this.sim.now()),
    })
    this.actions = PRESETS[preset].actions
    this.event('run', `run starts: ${PRESETS[preset].title}, seed ${seed}`)
    for (let index = 0; index < this.settings.instances; index++) this.deployment.scaleOut()
  }

  /**
   * Run `virtualMs` more (plus what is left over from earlier calls) in whole steps, but stop
   * after `budgetMs` of wall time and drop the rest: the run then goes slower than asked
   * instead of freezing the page. Returns the virtual ms run.
   */
  runFor(virtualMs: number, budgetMs: number): number {
    this.backlogMs += virtualMs
    const startedMs = performance.now()
    let advancedMs = 0
    while (this.backlogMs >= STEP_MS) {
      this.step()
      this.backlogMs -= STEP_MS
      advancedMs += STEP_MS
      if (performance.now() - startedMs >= budgetMs) {
        this.backlogMs = Math.min(this.backlogMs, STEP_MS)
        break
      }
    }
    return advancedMs
  }

  /** Run one step: frames in flight can be followed step by step while paused. */
  stepOnce(): void {
    this.step()
  }

  now(): number {
    return this.sim.now()
  }

  scaleOut(): void {
    if (this.deployment.list().length >= MAX_INSTANCES) {
      this.event('scale', `scale-out refused: at most ${MAX_INSTANCES} instances in the simulator`)
      return
    }
    const instance = this.deployment.scaleOut()
    // A new instance joins the first side of a partition (unnamed ids would form a group of their own).
    if (this.partitionGroups !== null) {
      this.partitionGroups[0]!.push(instance.id)
      this.sim.partition(...this.partitionGroups)
    }
  }

  scaleIn(id: string | null): void {
    if (this.deployment.running().length <= 1) {
      this.event('scale', 'scale-in refused: the last running instance stays')
      return
    }
    this.deployment.scaleIn(id)
  }

  crash(id: string | null): void {
    if (this.deployment.crash(id) === undefined) this.event('failure', 'crash: no running instance')
  }

  restart(id: string | null): void {
    if (this.deployment.restart(id) === undefined) this.event('failure', 'restart: no crashed instance')
  }

  /** Split everything on screen in two halves (spawn order), or cut `isolate` off from the rest. */
  partition(isolate: string | null): void {
    const ids = this.deployment.list().map((instance) => instance.id)
    if (ids.length < 2) {
      this.event('network', 'partition: needs two instances')
      return
    }
    const half = Math.ceil(ids.length / 2)
    const groups = isolate !== null && ids.includes(isolate)
      ? [[isolate], ids.filter((id) => id !== isolate)]
      : [ids.slice(0, half), ids.slice(half)]
    this.sim.partition(...groups)
    this.partitionGroups = groups
    this.convergence.noteChange(this.sim.now())
    this.event('network', `partition: ${groups.map((group) => `{${describeIds(group)}}`).join(' | ')}`)
  }

  heal(): void {
    if (this.partitionGroups === null) return
    this.sim.heal()
    this.partitionGroups = null
    this.event('network', 'heal: every instance can reach every other again')
  }

  setTraffic(traffic: TrafficSettings): void {
    const before = this.traffic.settings
    this.traffic.configure(traffic)
    const after = this.traffic.settings
    if (before.enabled !== after.enabled) this.event('traffic', after.enabled ? 'traffic starts' : 'traffic stops')
    if (before.rate !== after.rate || before.flows !== after.flows || before.skew !== after.skew) {
      this.event('traffic', `traffic: ${after.rate.toLocaleString('en-US')} packets/s over ${after.flows.toLocaleString('en-US')} flows, skew ${after.skew}`)
    }
  }

  trafficSettings(): TrafficSettings {
    return this.traffic.settings
  }

  /**
   * Change loss, latency and duplication now, in the running simulation: frames already in
   * flight keep their delivery time, frames sent from the next step on use the new settings.
   */
  setNetwork(network: NetworkSettings): void {
    const before = this.network
    const after = clampNetwork(network)
    const changes = [
      before.loss !== after.loss ? `loss ${before.loss} → ${after.loss}` : '',
      before.latencyMinMs !== after.latencyMinMs || before.latencyMaxMs !== after.latencyMaxMs
        ? `latency ${before.latencyMinMs}–${before.latencyMaxMs} ms → ${after.latencyMinMs}–${after.latencyMaxMs} ms` : '',
      before.duplicate !== after.duplicate ? `duplication ${before.duplicate} → ${after.duplicate}` : '',
    ].filter(Boolean)
    if (changes.length === 0) return
    this.sim.configure({ latencyMs: [after.latencyMinMs, after.latencyMaxMs], loss: after.loss, duplicate: after.duplicate })
    this.network = after
    this.event('network', `network: ${changes.join(', ')}`, { ...after })
  }

  networkSettings(): NetworkSettings {
    return { ...this.network }
  }

  /** The whole run so far as JSON (settings, events, samples). */
  exportTimeline(): string {
    return JSON.stringify(this.timeline.toJSON(this.sim.now()))
  }

  /** What the page shows now; samples and events are handed over once. */
  view(achievedSpeed: number): View {
    const nowMs = this.sim.now()
    const instances = this.deployment.list()
    if (this.selected === null || !this.deployment.get(this.selected)) this.selected = instances[0]?.id ?? null
    const view: View = {
      runId: this.runId,
      preset: this.preset,
      presetTitle: PRESETS[this.preset].title,
      presetStatus: this.presetStatus(),
      settings: { ...this.settings, ...this.network, traffic: this.traffic.settings },
      nowMs,
      playing: this.playing,
      speed: this.speed,
      achievedSpeed,
      trueCount: this.trueCount,
      converged: this.convergence.converged,
      convergedSinceMs: this.convergence.sinceMs,
      partition: this.partitionGroups?.map((group) => [...group]) ?? null,
      instances: instances.map((instance) => this.instanceView(instance)),
      frames: this.sim.network.framesInFlight().slice(0, MAX_FRAMES).map(({ from, to, sentMs, dueMs, sizeBytes }) => ({ from, to, sentMs, dueMs, sizeBytes })),
      links: this.links.views(nowMs),
      samples: this.pendingSamples,
      events: this.pendingEvents,
      network: this.networkView(),
      selected: this.selected === null ? null : { id: this.selected, flows: this.selectedFlowRows(this.selected) },
    }
    this.pendingSamples = []
    this.pendingEvents = []
    return view
  }

  private step(): void {
    this.runDueActions()
    this.sendTraffic()
    this.sim.advance(STEP_MS)
    this.deployment.sweepDeparted()
    const nowMs = this.sim.now()
    this.links.note(this.sim.network.framesInFlight(), nowMs)
    if (nowMs >= this.nextRateUpdateMs) {
      this.publishRates()
      this.nextRateUpdateMs += RATE_UPDATE_MS
    }
    if (nowMs >= this.nextSampleMs) {
      this.sample()
      this.nextSampleMs += SAMPLE_MS
    }
  }

  private runDueActions(): void {
    while (this.nextAction < this.actions.length && this.actions[this.nextAction]!.atMs <= this.sim.now()) {
      const action = this.actions[this.nextAction++]!
      this.event('preset', `scenario: ${action.note}`)
      switch (action.do) {
        case 'scale-out': this.scaleOut(); break
        case 'scale-in': this.scaleIn(null); break
        case 'crash': this.crash(null); break
        case 'restart': this.restart(null); break
        case 'partition': this.partition(null); break
        case 'heal': this.heal(); break
        case 'traffic': this.setTraffic({ ...this.traffic.settings, ...action.traffic }); break
      }
    }
  }

  private presetStatus(): string {
    if (this.actions.length === 0) return 'no script: use the controls'
    const next = this.actions[this.nextAction]
    if (next === undefined) return `done: the script ended at ${seconds(this.actions[this.actions.length - 1]!.atMs)}`
    return `next at ${seconds(next.atMs)}: ${next.note}`
  }

  private sendTraffic(): void {
    const packets = this.traffic.packetsIn(STEP_MS)
    const running = this.deployment.running()
    if (packets === 0 || running.length === 0) return
    this.balancer.setInstances(running)
    const keys = this.traffic.keys
    for (let packet = 0; packet < packets; packet++) {
      const flow = this.traffic.nextFlow()
      const key = keys[flow]!
      const instance = this.deployment.get(this.balancer.pick(flow, key)!)!
      handlePacket(instance.replica, key, this.traffic.nextSizeBytes(), this.traffic.nextMatches())
      instance.routedSinceUpdate++
      this.truePerFlow[flow] = (this.truePerFlow[flow] ?? 0) + 1
    }
    this.trueCount += packets
  }

  private publishRates(): void {
    for (const instance of this.deployment.list()) {
      instance.routedPerSec = (instance.routedSinceUpdate * 1000) / RATE_UPDATE_MS
      instance.routedSinceUpdate = 0
      // Only a changed value is written: an idle deployment must be able to converge and stay so.
      if (instance.status === 'running' && instance.routedPerSec !== instance.publishedRate) {
        instance.replica.state.rate.set(instance.routedPerSec)
        instance.publishedRate = instance.routedPerSec
      }
    }
  }

  private sample(): void {
    const nowMs = this.sim.now()
    const live = this.deployment.live()
    const wasConverged = this.convergence.converged
    const converged = this.convergence.evaluate(this.sim, live.map((instance) => instance.replica))
    if (converged && !wasConverged) {
      this.event('convergence', `all ${live.length} live instances agree (since ${seconds(this.convergence.sinceMs)})`)
    }
    const networkBytes = this.sim.network.stats().bytes
    const bytesPerSec = ((networkBytes - this.networkBytesAtSample) * 1000) / SAMPLE_MS
    this.networkBytesAtSample = networkBytes
    if (nowMs >= this.nextFlowCountMs) {
      for (const instance of live) this.flowsLocal.set(instance.id, localFlowCount(instance.replica, this.truePerFlow, this.traffic.keys))
      this.nextFlowCountMs = nowMs + FLOW_COUNT_MS
    }
    const sample: Sample = {
      atMs: nowMs,
      trueCount: this.trueCount,
      converged,
      bytesPerSec,
      instances: live.map((instance) => {
        const stats = instance.replica.stats()
        instance.bytesSentPerSec = Math.max(0, ((stats.bytesSent - instance.bytesSentAtSample) * 1000) / SAMPLE_MS)
        instance.bytesSentAtSample = stats.bytesSent
        const packets = instance.replica.state.packets
        return { id: instance.id, local: packets.local, global: packets.global, lagMs: stats.lagMs, bytesSentPerSec: instance.bytesSentPerSec, status: instance.status }
      }),
    }
    this.timeline.addSample(sample)
    this.pendingSamples.push(sample)
  }

  private instanceView(instance: Instance): InstanceView {
    const group = this.partitionGroups?.findIndex((members) => members.includes(instance.id)) ?? -1
    const base = { id: instance.id, number: instance.number, incarnation: instance.replica.incarnation, status: instance.status, group }
    if (instance.status === 'crashed') {
      return {
        ...base, packetsLocal: 0, packetsGlobal: 0, matchesLocal: 0, matchesGlobal: 0, flowsLocal: 0, flowsGlobal: 0,
        rateGlobal: 0, members: 0, lagMs: 0, bytesSentPerSec: 0, routedPerSec: 0,
      }
    }
    const state = instance.replica.state
    return {
      ...base,
      packetsLocal: state.packets.local,
      packetsGlobal: state.packets.global,
      matchesLocal: state.matches.local,
      matchesGlobal: state.matches.global,
      flowsLocal: this.flowsLocal.get(instance.id) ?? 0,
      flowsGlobal: state.flows.size,
      rateGlobal: state.rate.global ?? 0,
      members: instance.replica.members().length,
      lagMs: instance.replica.stats().lagMs,
      bytesSentPerSec: instance.bytesSentPerSec,
      routedPerSec: instance.routedPerSec,
    }
  }

  /** The busiest flows by true count, as the selected instance sees them. */
  private selectedFlowRows(id: string): FlowRow[] {
    const instance = this.deployment.get(id)
    if (instance === undefined || instance.status === 'crashed') return []
    return flowRows(instance.replica, this.truePerFlow, this.traffic.keys, TOP_FLOWS)
  }

  private networkView(): View['network'] {
    const { sent, delivered, dropped, duplicated, inFlight } = this.sim.network.stats()
    return { sent, delivered, dropped, duplicated, inFlight }
  }

  private event(kind: RunEventKind, text: string, network?: NetworkSettings): void {
    const event: RunEvent = network === undefined ? { atMs: this.sim.now(), kind, text } : { atMs: this.sim.now(), kind, text, network }
    this.timeline.addEvent(event)
    this.pendingEvents.push(event)
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** `nf-1, nf-2, …` shortened for long groups. */
function describeIds(ids: readonly string[]): string {
  return ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')}, … ${ids[ids.length - 1]} (${ids.length})`
}
