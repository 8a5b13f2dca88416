/** The Markdown tables of docs/benchmarks.md, each from a result file's figures. */
import type { BenchmarkResult, SystemResult } from './results.js'
import { evaluateTargets } from './targets.js'
import { DELETE_EVERY } from './hot-path.js'

export function number(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

export function markdownTable(header: string[], rows: string[][], numericFrom = 1): string {
  const align = header.map((_, column) => (column >= numericFrom ? '---:' : '---'))
  return [header, align, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n')
}

/** Memory per flow where the system keeps its state: the replicas' heap, or for Redis the server's. */
export function stateBytesPerFlow(system: SystemResult): number | null {
  if (!system.median) return null
  return system.family === 'redis' ? system.median.serverBytesPerFlow : system.median.heapBytesPerFlowPerReplica
}

export function withResult(result: BenchmarkResult): SystemResult[] {
  return result.systems.filter((system) => system.status === 'ok' && system.median !== null)
}

export function parametersTable(result: BenchmarkResult): string {
  const { workload, automergePackets, runs } = result.parameters
  return markdownTable(['parameter', 'value', 'meaning'], [
    ['F', number(workload.flows), 'flows; key = 5-tuple string such as `10.0.3.7:51234>10.1.0.2:443/6`'],
    ['P', number(workload.packets), `packets, flows drawn Zipf(1.1) (Automerge: ${number(automergePackets)})`],
    ['R', number(workload.replicas), 'replicas; a packet goes to replica hash(flow) % R'],
    ['B', number(workload.syncEvery), 'packets a replica processes between two syncs'],
    ['seed', number(workload.seed), 'PRNG seed; the packet sequence is generated before timing starts'],
    ['runs', number(runs), 'runs per system, each in a fresh process; figures are medians'],
  ], 3)
}

export function machineTable(result: BenchmarkResult): string {
  const machine = result.machine
  const rows = [
    ['OS', machine.os],
    ['CPU', `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`],
    ['Node.js', `${machine.node} (V8 ${machine.v8})`],
    ['redis-server', machine.redisServer ?? 'not installed'],
    ['commit', machine.commit ?? 'unknown'],
    ['load average (1 min)', `${number(machine.loadAverage.start, 2)} at start, ${number(machine.loadAverage.end, 2)} at end`],
    ...Object.entries(machine.packages).map(([name, version]) => [name, version]),
  ]
  return markdownTable(['', ''], rows, 2)
}

export function resultsTable(result: BenchmarkResult): string {
  const floor = result.systems.find((system) => system.id === 'floor')?.median?.totalNsPerPacket ?? null
  const rows = withResult(result).map((system) => {
    const m = system.median!
    return [
      system.id === 'elastic-state' ? `**${system.label}**` : system.label,
      number(m.packets), number(m.hotNsPerPacket), number(m.totalNsPerPacket), floor ? `${number(m.totalNsPerPacket / floor, 2)} ×` : '—',
      number(m.wireBytesPerPacket, 1), number(m.wireBytesPerSync), number(m.heapBytesPerFlowPerReplica),
      m.serverBytesPerFlow === null ? '—' : number(m.serverBytesPerFlow), number(m.catchUpMs, 1), number(m.catchUpBytes / 1024, 1),
      number(m.globalReadNs, 1), number(m.flowReadNs, 1),
    ]
  })
  return markdownTable(['system', 'P', 'hot ns/packet', 'total ns/packet', 'total vs floor', 'wire B/packet', 'wire B/sync',
    'heap B/flow/replica', 'server B/flow', 'catch-up ms', 'catch-up KiB', 'global read ns', 'flow read ns'], rows)
}

/** elastic-state's figure divided by each other system's: below 1 elastic-state is faster or smaller. */
export function ratiosTable(result: BenchmarkResult): string | null {
  const own = result.systems.find((system) => system.id === 'elastic-state')
  if (!own?.median) return null
  const m = own.median
  const rows = withResult(result).filter((system) => system !== own).map((system) => {
    const other = system.median!
    const ratio = (mine: number | null, theirs: number | null) => (mine === null || theirs === null || theirs === 0 ? '—' : number(mine / theirs, 3))
    return [system.label, ratio(m.totalNsPerPacket, other.totalNsPerPacket), ratio(m.hotNsPerPacket, other.hotNsPerPacket),
      ratio(m.wireBytesPerPacket, other.wireBytesPerPacket), ratio(m.heapBytesPerFlowPerReplica, stateBytesPerFlow(system)),
      ratio(m.catchUpMs, other.catchUpMs), ratio(m.globalReadNs, other.globalReadNs)]
  })
  return markdownTable(['elastic-state ÷', 'total ns/packet', 'hot ns/packet', 'wire B/packet', 'heap B/flow (Redis: server B/flow)', 'catch-up ms', 'global read ns'], rows)
}

export function targetsTable(result: BenchmarkResult): string {
  const rows = evaluateTargets(result).map((row) => [row.target, row.measured, row.met === null ? 'not measured' : row.met ? '**met**' : '**not met**', row.margin])
  return markdownTable(['target', 'measured (elastic-state vs reference)', 'result', 'by how much'], rows, 4)
}

export function convergenceTable(result: BenchmarkResult): string | null {
  const convergence = result.convergence
  if (!convergence) return null
  const losses = [...new Set(convergence.rows.map((row) => row.loss))]
  const replicaCounts = [...new Set(convergence.rows.map((row) => row.replicas))]
  const rows = replicaCounts.map((replicas) => {
    const cells = losses.map((loss) => {
      const row = convergence.rows.find((entry) => entry.replicas === replicas && entry.loss === loss)
      return row ? `${number(row.medianRounds, 2)} (${number(row.medianMs, 0)} ms)` : '—'
    })
    return [number(replicas), ...cells, number(2 * Math.log2(replicas) + 2)]
  })
  return markdownTable(['R', ...losses.map((loss) => `rounds (virtual ms), ${number(loss * 100)} % loss`), 'target 2·log2(R)+2'], rows)
}

export function microTable(result: BenchmarkResult): string | null {
  const micro = result.micro
  if (!micro) return null
  const p = micro.parameters
  return markdownTable(['figure', 'measured'], [
    ['`counter.increment()`', `${number(micro.counterIncrementNs, 1)} ns`],
    [`\`flows.entry(key)\` + two field increments, ${number(p.flows)} flows, table already holding them`, `${number(micro.flowWriteSteadyNs, 1)} ns`],
    ['the same on a plain `Map<string, Float64Array>` (same process)', `${number(micro.mapBaselineSteadyNs, 1)} ns`],
    ['ratio, steady state', number(micro.flowWriteSteadyRatio, 2)],
    ['ratio, starting from an empty table', number(micro.flowWriteFromEmptyRatio, 2)],
    ...(micro.flowWriteChurnOverSteady === undefined ? [] : [
      [`the steady state with a deletion every ${DELETE_EVERY} writes`, `${number(micro.flowWriteChurnNs!, 1)} ns`],
      ['ratio to the steady state without deletions', number(micro.flowWriteChurnOverSteady, 2)],
    ] as [string, string][]),
    [`delta encode + apply, ${number(p.deltaEntries)} changed flow entries`, `${number(micro.deltaChangedEntriesPerSecond / 1e6, 2)} M entries/s`],
    [`delta encode + apply, ${number(p.deltaEntries)} entries new to the receiver`, `${number(micro.deltaNewEntriesPerSecond / 1e6, 2)} M entries/s`],
    ['wire bytes per changed flow entry', number(micro.deltaBytesPerEntry, 1)],
  ])
}

export function spreadTable(result: BenchmarkResult): string {
  const rows = withResult(result).map((system) => {
    const totals = system.runs.map((run) => run.totalNsPerPacket)
    const hots = system.runs.map((run) => run.hotNsPerPacket)
    const range = (values: number[]) => `${number(Math.min(...values))} – ${number(Math.max(...values))}`
    const spread = (values: number[]) => `± ${number((Math.max(...values) - Math.min(...values)) / 2 / (values.reduce((a, b) => a + b, 0) / values.length) * 100)} %`
    return [system.label, number(system.runs.length), range(totals), spread(totals), range(hots)]
  })
  return markdownTable(['system', 'runs', 'total ns/packet, min – max', 'spread', 'hot ns/packet, min – max'], rows)
}
