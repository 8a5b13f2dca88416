/**
 * Generates docs/benchmarks.md and its SVG charts (docs/benchmarks/*.svg) from the latest full
 * run of every system in bench/results (`latestForReport`; else the latest run of any mode,
 * saying so). Every figure on the page
 * comes from the result file; only the profile notes (report-notes.md) are written by hand.
 *
 *   tsx bench/report.ts [--results-dir DIR] [--from FILE] [--out docs/benchmarks.md]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { horizontalBarChart, lineChart } from './charts.js'
import { type BenchmarkResult, type MedianFigures, type StoredResult, type SystemResult, latestForReport } from './results.js'
import {
  convergenceTable, machineTable, markdownTable, microTable, number, parametersTable, ratiosTable, resultsTable,
  spreadTable, stateBytesPerFlow, targetsTable, withResult,
} from './report-tables.js'
import { MODES } from './options.js'
import { evaluateTargets } from './targets.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DEFAULT_RESULTS_DIR = join(ROOT, 'bench', 'results')
const DEFAULT_OUT = join(ROOT, 'docs', 'benchmarks.md')
const NOTES = fileURLToPath(new URL('./report-notes.md', import.meta.url))
const CHART_DIR_NAME = 'benchmarks'

const COLORS = { hot: '#8ec5ff', total: '#0969da', bytes: '#1a7f37', lossless: '#0969da', lossy: '#cf222e', target: '#57606a' }

function describeMode(mode: keyof typeof MODES): string {
  const { workload, automergePackets, runs, convergence } = MODES[mode]
  return `F = ${number(workload.flows)}, P = ${number(workload.packets)} (Automerge ${number(automergePackets)}), ${runs} runs, convergence up to R = ${Math.max(...convergence.replicaCounts)}`
}

function displayPath(path: string): string {
  const fromRoot = relative(ROOT, path)
  return fromRoot.startsWith('..') || isAbsolute(fromRoot) ? path : fromRoot
}

function charts(result: BenchmarkResult): Record<string, string> {
  const systems = withResult(result)
  const labels = systems.map((system) => system.label)
  const values = (figure: keyof MedianFigures) => systems.map((system) => system.median![figure])
  const files: Record<string, string> = {
    'ns-per-packet.svg': horizontalBarChart({
      title: `ns per packet, all ${result.parameters.workload.replicas} replicas (${result.mode} run)`,
      unit: 'ns per packet',
      categories: labels,
      series: [
        { name: 'hot path', color: COLORS.hot, values: values('hotNsPerPacket') },
        { name: 'total incl. replication', color: COLORS.total, values: values('totalNsPerPacket') },
      ],
      log: true,
    }),
    'bytes-per-packet.svg': horizontalBarChart({
      title: `wire bytes per packet (${result.mode} run)`,
      unit: 'bytes per packet, every copy counted',
      categories: labels,
      series: [{ name: 'wire bytes per packet', color: COLORS.bytes, values: values('wireBytesPerPacket') }],
      log: true,
    }),
  }
  const convergence = result.convergence
  if (convergence) {
    const replicaCounts = [...new Set(convergence.rows.map((row) => row.replicas))]
    const series = [...new Set(convergence.rows.map((row) => row.loss))].map((loss) => ({
      name: `${number(loss * 100)} % loss`,
      color: loss === 0 ? COLORS.lossless : COLORS.lossy,
      points: convergence.rows.filter((row) => row.loss === loss).map((row) => [row.replicas, row.medianRounds] as [number, number]),
    }))
    files['convergence.svg'] = lineChart({
      title: 'gossip rounds until every replica agrees',
      xLabel: 'replicas R (log scale)',
      yLabel: 'rounds (median over seeds)',
      xValues: replicaCounts,
      series: [...series, { name: 'target 2·log2(R)+2', color: COLORS.target, dashed: true, points: replicaCounts.map((r) => [r, 2 * Math.log2(r) + 2] as [number, number]) }],
    })
  }
  return files
}

/** Where elastic-state is behind another system, figure by figure, from the same run. */
function losses(result: BenchmarkResult): string[] {
  const own = result.systems.find((system) => system.id === 'elastic-state')
  if (!own?.median) return ['elastic-state has no result in this run, so nothing can be compared.']
  const figures: [keyof MedianFigures, string][] = [
    ['totalNsPerPacket', 'total ns/packet'], ['hotNsPerPacket', 'hot-path ns/packet'], ['wireBytesPerPacket', 'wire bytes/packet'],
    ['heapBytesPerFlowPerReplica', 'heap bytes/flow/replica'], ['catchUpMs', 'catch-up time'], ['globalReadNs', 'global read'], ['flowReadNs', 'per-flow read'],
  ]
  const lines: string[] = []
  // Redis keeps the state in the server: its memory is compared there, not in the clients' heap.
  const theirs = (system: SystemResult, figure: keyof MedianFigures) =>
    figure === 'heapBytesPerFlowPerReplica' ? stateBytesPerFlow(system) : system.median![figure]
  for (const [figure, name] of figures) {
    const mine = own.median[figure]
    if (mine === null) continue
    const ahead = withResult(result)
      .filter((system) => system !== own && (theirs(system, figure) ?? Infinity) < mine)
      .map((system) => `${system.label} (elastic-state ${number(mine / theirs(system, figure)!, 2)} × theirs)`)
    if (ahead.length > 0) lines.push(`- **${name}**: behind ${ahead.join(', ')}.`)
  }
  return lines.length > 0 ? lines : ['- On every figure of this run elastic-state is ahead of every other system.']
}

export function renderReport(stored: StoredResult): string {
  const result = stored.result
  const p = result.parameters
  const missed = evaluateTargets(result).filter((row) => row.met === false).length
  const measurable = evaluateTargets(result).filter((row) => row.met !== null).length
  const noResult = result.systems.filter((system) => system.status !== 'ok')
  const sections: string[] = [
    '# Benchmarks',
    '',
    `<!-- Generated by bench/report.ts from ${basename(stored.path)}; do not edit by hand: run \`npm run bench -- --full\` or \`npx tsx bench/report.ts\`. -->`,
    '',
    `Source: \`${displayPath(stored.path)}\`, a **${result.mode}** run started ${result.startedAt} (${number(result.durationMs / 60_000, 1)} min).`,
    ...(result.mode === 'full' ? [] : [
      '',
      `> **Not a full run.** This page comes from a ${result.mode} run with reduced parameters (F = ${number(p.workload.flows)}, P = ${number(p.workload.packets)}); ` +
      'the targets of the benchmark issue refer to the full parameters (F = 100,000, P = 2,000,000). Ratios are indicative only. ' +
      'Run `npm run bench -- --full` to replace this page.',
    ]),
    '',
    `Targets met: ${measurable - missed} of ${measurable} measurable.`,
    '',
    '## How to run',
    '',
    `- \`npm run bench\`: quick mode (${describeMode('quick')}), a few minutes.`,
    `- \`npm run bench -- --full\`: the workload's parameters (${describeMode('full')}). Long: run it on an idle machine.`,
    '- `npm run bench -- --help`: every option (`--systems`, `--runs`, parameter overrides, `--no-report`).',
    '- `npx tsx bench/report.ts`: regenerate this page from the latest full run of every system in `bench/results/` (else the latest full run, else the latest run).',
    '',
    'Every system runs in its own child process, one process per run, runs interleaved across systems so a change of load on this',
    'shared machine hits all of them alike. Redis servers are started by the harness on free loopback ports and stopped by pid at the end.',
    '',
    '## The nf-monitor workload',
    '',
    parametersTable(result),
    '',
    'Per packet: `packets += 1`, `flows[flow].packets += 1`, `flows[flow].bytes += size` (64, 576 or 1500 bytes with weights 0.5, 0.2, 0.3),',
    'and for a matching packet (probability 1/15) `matches += 1` and `flows[flow].matches += 1`. Every B packets of a replica, it produces',
    'its update and the other replicas apply it (in one process: the bytes are handed over and counted). At the end a full sync, then the',
    'check: every replica counts P packets and the true counts of 105 sampled flows (top, random and unseen ones). The check is repeated',
    'after a replica joins (catching up from one peer) and after one leaves. A system that fails it has no result.',
    '',
    '## Machine and versions',
    '',
    machineTable(result),
    '',
    `## Results (medians of ${p.runs} run${p.runs === 1 ? '' : 's'})`,
    '',
    resultsTable(result),
    '',
    '- **hot ns/packet**: the per-packet work alone, all replicas together, divided by P. **total**: the same plus every sync (produce',
    '  and apply on the other replicas) and the final full sync.',
    '- **wire B/packet**: bytes handed to other replicas (every copy counted: a delta to R−1 peers counts R−1 times), or for Redis every',
    '  byte written and read on the replicas\' connections, divided by P. **B/sync**: the same per sync.',
    '- **heap B/flow/replica**: growth of the process\'s V8 heap plus external memory (typed arrays, WebAssembly memories) with all',
    '  replicas alive, after forced GCs, divided by R and by the flows that received packets. For Redis the state lives in the',
    '  server: **server B/flow** is the growth of the servers\' `used_memory` per flow (held once, not per replica).',
    '- **catch-up**: a fresh replica joins and catches up from one peer (for Redis: connects, reads the slot map in a cluster, and',
    '  reads the global count; there is no state to copy). **global read**: one read of the global packet count; **flow read**: one',
    '  read of a flow\'s global packet count (flows drawn as packets draw them). Redis reads are round trips (median of 200).',
    '',
    `![ns per packet](${CHART_DIR_NAME}/ns-per-packet.svg)`,
    '',
    `![wire bytes per packet](${CHART_DIR_NAME}/bytes-per-packet.svg)`,
    '',
  ]
  const ratios = ratiosTable(result)
  if (ratios) sections.push('## Ratios in the same run', '', 'elastic-state\'s figure divided by the other system\'s (below 1: elastic-state is faster or smaller).', '', ratios, '')
  sections.push('## Targets', '', 'From the benchmark issue, as ratios measured in this run (and two absolute bars).', '', targetsTable(result), '')
  const convergence = convergenceTable(result)
  if (convergence) {
    const c = result.convergence!
    sections.push(
      '## Convergence on the simulated network', '',
      `One write at one replica of a settled group; gossip interval ${c.intervalMs} ms, fanout ${c.fanout}, latency ${c.latencyMs[0]}–${c.latencyMs[1]} ms; median over seeds ${c.seeds.join(', ')}.` +
      (c.rows.some((row) => row.replicas === 256) ? '' : ' This run stops at R = ' + Math.max(...c.rows.map((row) => row.replicas)) + ' (R = 256 runs in full mode only: it takes minutes).'),
      '', convergence, '', `![convergence rounds against R](${CHART_DIR_NAME}/convergence.svg)`, '',
    )
  } else {
    sections.push('## Convergence on the simulated network', '', `No result: ${result.convergenceFailure ?? 'not run'}.`, '')
  }
  const micro = microTable(result)
  if (micro) {
    sections.push('## Micro-benchmarks of elastic-state (`bench/hot-path.ts`)', '',
      `Medians of ${result.micro!.parameters.runs} run(s), ${number(result.micro!.parameters.flowOps)} flow writes, against a plain \`Map\` in the same process.`, '', micro, '')
  }
  sections.push('## Run-to-run spread', '', spreadTable(result), '')
  if (noResult.length > 0) {
    sections.push('## Systems without a result', '', markdownTable(['system', 'status', 'reason'], noResult.map((system) => [system.label, system.status, system.reason ?? '']), 3), '')
  }
  sections.push('## How each system does the workload', '', ...result.systems.map((system) => `- **${system.label}** (\`${system.id}\`): ${system.how}.`), '')
  sections.push(
    '## Discussion: where elastic-state loses', '',
    'Measured in this run:', '', ...losses(result), '',
    'What the figures do not show:', '',
    '- Yjs and Redis aggregated buffer increments in a local map on the hot path and touch their library only at a sync; elastic-state',
    '  writes its CRDT state on every packet, so global reads see a replica\'s own packets at once. Their hot-path figure is a map\'s.',
    '- The Redis systems keep one copy of the state in the server; every read is a round trip, and a replica\'s global view is only as',
    '  fresh as its last sync (pipelined and aggregated modes) or costs a round trip per packet. A Redis joiner copies nothing, so its',
    '  catch-up is a connection, and its memory is the server\'s (compared above with elastic-state\'s heap per replica).',
    `- Automerge runs at P = ${number(p.automergePackets)} (one change per packet costs milliseconds here) with its flows sharded into 256 nested maps.`,
    '- elastic-state (WebSockets) runs the same replicas over real loopback sockets, all in one process; the multi-process networked',
    '  run (an instance per process, gossip on its timer) is `bench/network/run.ts`, outside this comparison.',
    '- The floor relies on every delta being applied exactly once; the CRDT systems tolerate loss, duplication and reordering.',
    '',
    readFileSync(NOTES, 'utf8').trim(),
    '',
  )
  return sections.join('\n')
}

export interface WrittenReport {
  markdown: string
  source: string
  mode: string
  charts: string[]
}

export function writeReport(options: { resultsDir?: string; from?: string; out?: string } = {}): WrittenReport {
  const stored: StoredResult | null = options.from
    ? { path: options.from, result: JSON.parse(readFileSync(options.from, 'utf8')) as BenchmarkResult }
    : latestForReport(options.resultsDir ?? DEFAULT_RESULTS_DIR)
  if (!stored) throw new Error(`no result files in ${options.resultsDir ?? DEFAULT_RESULTS_DIR}: run \`npm run bench\` first`)
  const out = options.out ?? DEFAULT_OUT
  const chartDir = join(dirname(out), CHART_DIR_NAME)
  mkdirSync(chartDir, { recursive: true })
  const written: string[] = []
  for (const [name, svg] of Object.entries(charts(stored.result))) {
    const path = join(chartDir, name)
    writeFileSync(path, svg)
    written.push(path)
  }
  writeFileSync(out, renderReport(stored))
  return { markdown: out, source: stored.path, mode: stored.result.mode, charts: written }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const option = (name: string) => {
    const index = args.indexOf(name)
    return index >= 0 ? args[index + 1] : undefined
  }
  const written = writeReport({ resultsDir: option('--results-dir'), from: option('--from'), out: option('--out') })
  console.log(`wrote ${written.markdown} and ${written.charts.length} chart(s) from ${written.source} (${written.mode} run)`)
}
