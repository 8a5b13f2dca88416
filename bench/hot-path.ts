/**
 * Hot-path benchmark: the per-packet writes of a network function, and delta encode + apply.
 * Reports medians of several runs and ratios against a plain-JS baseline run in the same
 * process. `npm run bench` (add `-- --runs 9` for more runs). Writes bench/results/hot-path-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { counter, createReplica, defineState, flowTable, type Replica, type Transport } from '../src/index.js'
import { createRandom, flowKeyOf, median, packetSize, sampleZipf, zipfTable } from './workload.js'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5
const FLOWS = 100_000
const OPS = 2_000_000
const COUNTER_OPS = 20_000_000
const DELTA_ENTRIES = 10_000

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

function benchCounter(): number {
  const replica = createReplica(Monitor, { id: 'bench' })
  const packets = replica.state.packets
  const samples: number[] = []
  for (let run = 0; run < RUNS; run++) {
    samples.push(time(() => { for (let i = 0; i < COUNTER_OPS; i++) packets.increment() }) / COUNTER_OPS)
  }
  if (packets.local !== COUNTER_OPS * RUNS) throw new Error('counter check failed')
  return median(samples)
}

interface FlowFigures {
  /** Starting from an empty table (every flow's first packet creates its entry). */
  emptyNs: number
  /** Over a table that already holds the flows: a running network function's steady state. */
  steadyNs: number
}

function benchFlows(): { elastic: FlowFigures; baseline: FlowFigures } {
  const cdf = zipfTable(FLOWS, 1.1)
  const random = createRandom(1)
  const keys = Array.from({ length: FLOWS }, (_, flow) => flowKeyOf(flow))
  const packetKeys: string[] = new Array(OPS)
  const sizes = new Float64Array(OPS)
  for (let i = 0; i < OPS; i++) {
    packetKeys[i] = keys[sampleZipf(cdf, random)]!
    sizes[i] = packetSize(random)
  }
  const samples = { elastic: { empty: [] as number[], steady: [] as number[] }, baseline: { empty: [] as number[], steady: [] as number[] } }
  for (let run = 0; run < RUNS; run++) {
    const replica = createReplica(Monitor, { id: `bench-${run}` })
    const flows = replica.state.flows
    const elasticPass = () => time(() => {
      for (let i = 0; i < OPS; i++) {
        const entry = flows.entry(packetKeys[i]!)
        entry.packets.increment()
        entry.bytes.increment(sizes[i]!)
      }
    }) / OPS
    samples.elastic.empty.push(elasticPass())
    samples.elastic.steady.push(elasticPass())
    const map = new Map<string, Float64Array>()
    const baselinePass = () => time(() => {
      for (let i = 0; i < OPS; i++) {
        const key = packetKeys[i]!
        let slot = map.get(key)
        if (slot === undefined) map.set(key, (slot = new Float64Array(2)))
        slot[0]! += 1
        slot[1]! += sizes[i]!
      }
    }) / OPS
    samples.baseline.empty.push(baselinePass())
    samples.baseline.steady.push(baselinePass())
    const sample = packetKeys[0]!
    if (flows.get(sample)!.packets.global !== map.get(sample)![0]) throw new Error('flow check failed')
  }
  const figures = (side: { empty: number[]; steady: number[] }): FlowFigures => ({ emptyNs: median(side.empty), steadyNs: median(side.steady) })
  return { elastic: figures(samples.elastic), baseline: figures(samples.baseline) }
}

/**
 * Encode + apply of a delta of DELTA_ENTRIES flow entries between two replicas of one process:
 * first entries new to the receiver, then changes to entries it already holds (the steady state
 * of a running network function).
 */
function benchDelta(): { newPerSecond: number; changedPerSecond: number; bytesPerEntry: number } {
  const fresh: number[] = []
  const changed: number[] = []
  let bytesPerEntry = 0
  for (let run = 0; run < RUNS; run++) {
    const { replicas, transport } = directNetwork()
    const a = createReplica(Monitor, { id: 'a', transport: transport(), gossip: { maxFrameBytes: 64 << 20 } })
    const b = createReplica(Monitor, { id: 'b', transport: transport(), gossip: { maxFrameBytes: 64 << 20 } })
    replicas.set('a', a)
    replicas.set('b', b)
    void a.start()
    void b.start()
    void a.flush()
    void b.flush()
    const keys = Array.from({ length: DELTA_ENTRIES }, (_, flow) => flowKeyOf(flow + run * DELTA_ENTRIES))
    const writeAll = (packets: number) => {
      for (let flow = 0; flow < DELTA_ENTRIES; flow++) {
        const entry = a.state.flows.entry(keys[flow]!)
        entry.packets.increment(packets)
        entry.bytes.increment(64 * packets)
      }
    }
    writeAll(1)
    fresh.push(DELTA_ENTRIES / (time(() => { void a.flush() }) / 1e9))
    // Ten rounds of changes to the same entries: the steady state of a running network function.
    for (let round = 0; round < 10; round++) {
      writeAll(round + 2)
      const sentBefore = a.stats().bytesSent
      changed.push(DELTA_ENTRIES / (time(() => { void a.flush() }) / 1e9))
      bytesPerEntry = (a.stats().bytesSent - sentBefore) / DELTA_ENTRIES
    }
    const expected = 1 + (2 + 11) * 10 / 2
    if (b.state.flows.size !== DELTA_ENTRIES || b.state.flows.get(keys[7]!)!.packets.global !== expected) {
      throw new Error(`delta check failed: ${b.state.flows.size} entries`)
    }
    void a.stop()
    void b.stop()
  }
  return { newPerSecond: median(fresh), changedPerSecond: median(changed), bytesPerEntry }
}

const counterNs = benchCounter()
const flows = benchFlows()
const delta = benchDelta()
const result = {
  when: new Date().toISOString(),
  node: process.version,
  runs: RUNS,
  counterIncrementNs: counterNs,
  flowWriteSteadyNs: flows.elastic.steadyNs,
  mapBaselineSteadyNs: flows.baseline.steadyNs,
  flowWriteSteadyRatio: flows.elastic.steadyNs / flows.baseline.steadyNs,
  flowWriteFromEmptyNs: flows.elastic.emptyNs,
  mapBaselineFromEmptyNs: flows.baseline.emptyNs,
  flowWriteFromEmptyRatio: flows.elastic.emptyNs / flows.baseline.emptyNs,
  deltaNewEntriesPerSecond: delta.newPerSecond,
  deltaChangedEntriesPerSecond: delta.changedPerSecond,
  deltaBytesPerEntry: delta.bytesPerEntry,
}
console.log(`counter.increment():                    ${counterNs.toFixed(1)} ns (target <= 20 ns)`)
console.log(`flows.entry(k) + 2 increments, steady:  ${flows.elastic.steadyNs.toFixed(1)} ns vs Map<string, Float64Array> ${flows.baseline.steadyNs.toFixed(1)} ns: ratio ${result.flowWriteSteadyRatio.toFixed(2)} (target <= 1.2)`)
console.log(`the same from an empty table:           ${flows.elastic.emptyNs.toFixed(1)} ns vs ${flows.baseline.emptyNs.toFixed(1)} ns: ratio ${result.flowWriteFromEmptyRatio.toFixed(2)}`)
console.log(`delta of ${DELTA_ENTRIES} changed entries:       ${(delta.changedPerSecond / 1e6).toFixed(2)} M entries/s encoded + applied (target >= 1), ${delta.bytesPerEntry.toFixed(1)} bytes/entry`)
console.log(`delta of ${DELTA_ENTRIES} new entries:           ${(delta.newPerSecond / 1e6).toFixed(2)} M entries/s encoded + applied`)
mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
writeFileSync(new URL(`./results/hot-path-${result.when.replace(/[:.]/g, '-')}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n')
