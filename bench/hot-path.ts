/**
 * Micro-benchmarks of elastic-state's own operations: a counter increment, a flow write, and
 * delta encode + apply, each against a plain-JS baseline run in the same process (ratios, not
 * absolute times). The harness (run.ts) runs it in a child with the mode's sizes;
 * `tsx bench/hot-path.ts [--runs 9]` runs it alone with the full sizes and writes
 * bench/results/hot-path-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { counter, createReplica, defineState, flowTable, type Replica, type Transport } from '../src/index.js'
import type { MicroParameters } from './options.js'
import { createRandom, flowKeyOf, median, packetSize, sampleZipf, zipfTable } from './workload.js'

const Monitor = defineState({
  packets: counter(),
  flows: flowTable({ fields: { packets: counter(), bytes: counter() } }),
})

function time(run: () => void): number {
  const start = process.hrtime.bigint()
  run()
  return Number(process.hrtime.bigint() - start)
}

/** Frames delivered synchronously between replicas of one process. */
function directNetwork() {
  const replicas = new Map<string, Replica>()
  const transport = (): Transport => ({
    open: (id) => id,
    seeds: () => [...replicas.keys()],
    send: (address, frame) => replicas.get(address)?.receive(frame),
    close: async () => {},
  })
  return { replicas, transport }
}

function benchCounter({ runs, counterOps }: MicroParameters): number {
  const replica = createReplica(Monitor, { id: 'bench' })
  const packets = replica.state.packets
  const samples: number[] = []
  for (let run = 0; run < runs; run++) {
    samples.push(time(() => { for (let i = 0; i < counterOps; i++) packets.increment() }) / counterOps)
  }
  if (packets.local !== counterOps * runs) throw new Error('counter check failed')
  return median(samples)
}

interface FlowFigures {
  /** Starting from an empty table (every flow's first packet creates its entry). */
  emptyNs: number
  /** Over a table that already holds the flows: a running network function's steady state. */
  steadyNs: number
}

/** One deletion per this many writes in the churn pass. */
export const DELETE_EVERY = 10

/**
 * Flow writes on elastic-state and on a plain `Map`; `churnNs` is elastic-state's steady state
 * with a deletion of some flow every `DELETE_EVERY` writes (a firewall's or NAT's table).
 */
function benchFlows({ runs, flows: flowCount, flowOps }: MicroParameters): { elastic: FlowFigures; baseline: FlowFigures; churnNs: number } {
  const cdf = zipfTable(flowCount, 1.1)
  const random = createRandom(1)
  const keys = Array.from({ length: flowCount }, (_, flow) => flowKeyOf(flow))
  const packetKeys: string[] = new Array(flowOps)
  const sizes = new Float64Array(flowOps)
  for (let i = 0; i < flowOps; i++) {
    packetKeys[i] = keys[sampleZipf(cdf, random)]!
    sizes[i] = packetSize(random)
  }
  const samples = { elastic: { empty: [] as number[], steady: [] as number[] }, baseline: { empty: [] as number[], steady: [] as number[] } }
  const churn: number[] = []
  /** The key deleted at write `i` of the churn pass: a flow of the sequence, spread over it. */
  const deletedAt = (i: number) => packetKeys[(i * 7919) % flowOps]!
  for (let run = 0; run < runs; run++) {
    const replica = createReplica(Monitor, { id: `bench-${run}` })
    const flows = replica.state.flows
    const elasticPass = () => time(() => {
      for (let i = 0; i < flowOps; i++) {
        const entry = flows.entry(packetKeys[i]!)
        entry.packets.increment()
        entry.bytes.increment(sizes[i]!)
      }
    }) / flowOps
    samples.elastic.empty.push(elasticPass())
    samples.elastic.steady.push(elasticPass())
    const churnReplica = createReplica(Monitor, { id: `bench-churn-${run}` })
    const churnFlows = churnReplica.state.flows
    for (let i = 0; i < flowOps; i++) churnFlows.entry(packetKeys[i]!).packets.increment()
    churn.push(time(() => {
      for (let i = 0; i < flowOps; i++) {
        const entry = churnFlows.entry(packetKeys[i]!)
        entry.packets.increment()
        entry.bytes.increment(sizes[i]!)
        if (i % DELETE_EVERY === 0) churnFlows.delete(deletedAt(i))
      }
    }) / flowOps)
    const map = new Map<string, Float64Array>()
    const baselinePass = () => time(() => {
      for (let i = 0; i < flowOps; i++) {
        const key = packetKeys[i]!
        let slot = map.get(key)
        if (slot === undefined) map.set(key, (slot = new Float64Array(2)))
        slot[0]! += 1
        slot[1]! += sizes[i]!
      }
    }) / flowOps
    samples.baseline.empty.push(baselinePass())
    samples.baseline.steady.push(baselinePass())
    const sample = packetKeys[0]!
    if (flows.get(sample)!.packets.global !== map.get(sample)![0]) throw new Error('flow check failed')
  }
  const figures = (side: { empty: number[]; steady: number[] }): FlowFigures => ({ emptyNs: median(side.empty), steadyNs: median(side.steady) })
  return { elastic: figures(samples.elastic), baseline: figures(samples.baseline), churnNs: median(churn) }
}

/**
 * Encode + apply of a delta of `deltaEntries` flow entries between two replicas of one process:
 * first entries new to the receiver, then changes to entries it already holds (the steady state
 * of a running network function).
 */
function benchDelta({ runs, deltaEntries }: MicroParameters): { newPerSecond: number; changedPerSecond: number; bytesPerEntry: number } {
  const fresh: number[] = []
  const changed: number[] = []
  let bytesPerEntry = 0
  for (let run = 0; run < runs; run++) {
    const { replicas, transport } = directNetwork()
    const a = createReplica(Monitor, { id: 'a', transport: transport(), gossip: { maxFrameBytes: 64 << 20 } })
    const b = createReplica(Monitor, { id: 'b', transport: transport(), gossip: { maxFrameBytes: 64 << 20 } })
    replicas.set('a', a)
    replicas.set('b', b)
    void a.start()
    void b.start()
    void a.flush()
    void b.flush()
    const keys = Array.from({ length: deltaEntries }, (_, flow) => flowKeyOf(flow + run * deltaEntries))
    const writeAll = (packets: number) => {
      for (let flow = 0; flow < deltaEntries; flow++) {
        const entry = a.state.flows.entry(keys[flow]!)
        entry.packets.increment(packets)
        entry.bytes.increment(64 * packets)
      }
    }
    writeAll(1)
    fresh.push(deltaEntries / (time(() => { void a.flush() }) / 1e9))
    // Ten rounds of changes to the same entries: the steady state of a running network function.
    for (let round = 0; round < 10; round++) {
      writeAll(round + 2)
      const sentBefore = a.stats().bytesSent
      changed.push(deltaEntries / (time(() => { void a.flush() }) / 1e9))
      bytesPerEntry = (a.stats().bytesSent - sentBefore) / deltaEntries
    }
    const expected = 1 + (2 + 11) * 10 / 2
    if (b.state.flows.size !== deltaEntries || b.state.flows.get(keys[7]!)!.packets.global !== expected) {
      throw new Error(`delta check failed: ${b.state.flows.size} entries`)
    }
    void a.stop()
    void b.stop()
  }
  return { newPerSecond: median(fresh), changedPerSecond: median(changed), bytesPerEntry }
}

export interface HotPathFigures {
  kind: 'micro'
  parameters: MicroParameters
  counterIncrementNs: number
  flowWriteSteadyNs: number
  mapBaselineSteadyNs: number
  flowWriteSteadyRatio: number
  flowWriteFromEmptyNs: number
  mapBaselineFromEmptyNs: number
  flowWriteFromEmptyRatio: number
  /**
   * The steady state with a deletion every `DELETE_EVERY` writes, and its ratio to the steady
   * state without (absent from results before 2026-11-27).
   */
  flowWriteChurnNs?: number
  flowWriteChurnOverSteady?: number
  deltaNewEntriesPerSecond: number
  deltaChangedEntriesPerSecond: number
  deltaBytesPerEntry: number
}

export function runHotPath(parameters: MicroParameters, progress: (fraction: number, phase: string) => void = () => {}): HotPathFigures {
  progress(0, 'counter')
  const counterNs = benchCounter(parameters)
  progress(0.2, 'flow writes')
  const flows = benchFlows(parameters)
  progress(0.7, 'deltas')
  const delta = benchDelta(parameters)
  progress(1, 'done')
  return {
    kind: 'micro',
    parameters,
    counterIncrementNs: counterNs,
    flowWriteSteadyNs: flows.elastic.steadyNs,
    mapBaselineSteadyNs: flows.baseline.steadyNs,
    flowWriteSteadyRatio: flows.elastic.steadyNs / flows.baseline.steadyNs,
    flowWriteFromEmptyNs: flows.elastic.emptyNs,
    mapBaselineFromEmptyNs: flows.baseline.emptyNs,
    flowWriteFromEmptyRatio: flows.elastic.emptyNs / flows.baseline.emptyNs,
    flowWriteChurnNs: flows.churnNs,
    flowWriteChurnOverSteady: flows.churnNs / flows.elastic.steadyNs,
    deltaNewEntriesPerSecond: delta.newPerSecond,
    deltaChangedEntriesPerSecond: delta.changedPerSecond,
    deltaBytesPerEntry: delta.bytesPerEntry,
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runsArg = process.argv.indexOf('--runs')
  const parameters: MicroParameters = {
    runs: runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5,
    flows: 100_000, flowOps: 2_000_000, counterOps: 20_000_000, deltaEntries: 10_000,
  }
  const result = { when: new Date().toISOString(), node: process.version, ...runHotPath(parameters) }
  const { deltaEntries } = parameters
  console.log(`counter.increment():                    ${result.counterIncrementNs.toFixed(1)} ns (target <= 20 ns)`)
  console.log(`flows.entry(k) + 2 increments, steady:  ${result.flowWriteSteadyNs.toFixed(1)} ns vs Map<string, Float64Array> ${result.mapBaselineSteadyNs.toFixed(1)} ns: ratio ${result.flowWriteSteadyRatio.toFixed(2)} (target <= 1.2)`)
  console.log(`the same from an empty table:           ${result.flowWriteFromEmptyNs.toFixed(1)} ns vs ${result.mapBaselineFromEmptyNs.toFixed(1)} ns: ratio ${result.flowWriteFromEmptyRatio.toFixed(2)}`)
  console.log(`steady, a deletion every ${DELETE_EVERY} writes:      ${result.flowWriteChurnNs!.toFixed(1)} ns: ${result.flowWriteChurnOverSteady!.toFixed(2)} x the steady state without`)
  console.log(`delta of ${deltaEntries} changed entries:       ${(result.deltaChangedEntriesPerSecond / 1e6).toFixed(2)} M entries/s encoded + applied (target >= 1), ${result.deltaBytesPerEntry.toFixed(1)} bytes/entry`)
  console.log(`delta of ${deltaEntries} new entries:           ${(result.deltaNewEntriesPerSecond / 1e6).toFixed(2)} M entries/s encoded + applied`)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(new URL(`./results/hot-path-${result.when.replace(/[:.]/g, '-')}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n')
}
