/**
 * Generates docs/soak.md and docs/images/soak-rss.svg from a soak result: the newest full run in
 * soak/results (or the newest short one, saying so), or the file given. Every figure on the page
 * comes from the result file. `npm run soak` calls it at the end of a full run.
 *
 *   tsx soak/report.ts [--from FILE] [--out docs/soak.md]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { median } from '../bench/workload.js'
import { rssChart } from './chart.js'
import { SHORT_RUN_MINUTES } from './options.js'
import { ROOT, type SoakResult, latestResult, readResult } from './results.js'
import type { ProcessSeries } from './sampler.js'

const DEFAULT_OUT = join(ROOT, 'docs', 'soak.md')
const CHART_NAME = 'soak-rss.svg'
const MIB = 1024 * 1024

const number = (value: number) => value.toLocaleString('en-US')
const mib = (bytes: number) => (bytes / MIB).toLocaleString('en-US', { maximumFractionDigits: 0 })
const minutes = (ms: number) => `${(ms / 60_000).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} min`
/** m:ss since the traffic started. */
const clock = (ms: number) => {
  const seconds = Math.round(Math.abs(ms) / 1000)
  return `${ms < 0 ? '-' : ''}${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}
const cellText = (text: string) => text.replace(/\|/g, '\\|')

function displayPath(path: string): string {
  const fromRoot = relative(ROOT, path)
  return fromRoot.startsWith('..') || isAbsolute(fromRoot) ? path : fromRoot
}

/** Times at which the memory table reads the samples: the start, every 10 minutes (thirds for runs under 30), the end. */
export function checkpoints(result: SoakResult): { label: string; atMs: number }[] {
  const first = result.deployment.find((sample) => sample.atMs >= 0)?.atMs ?? 0
  const last = result.deployment.at(-1)?.atMs ?? 0
  const points = [{ label: 'start of the traffic', atMs: first }]
  const stepMs = result.options.minutes >= 30 ? 10 * 60_000 : result.trafficMs / 3
  for (let atMs = stepMs; atMs < result.trafficMs - 1000; atMs += stepMs) points.push({ label: minutes(atMs), atMs })
  points.push({ label: `end (${minutes(last)}, after convergence)`, atMs: last })
  return points
}

/** Per process running at `atMs`: the index of its sample nearest to it (within one sample interval). */
function samplesAt(result: SoakResult, atMs: number): { series: ProcessSeries; index: number }[] {
  const toleranceMs = result.options.sampleS * 1000
  const found: { series: ProcessSeries; index: number }[] = []
  for (const series of result.processes) {
    if (series.atMs.length === 0) continue
    const best = nearestIndex(series.atMs, atMs)
    if (Math.abs(series.atMs[best]! - atMs) <= toleranceMs) found.push({ series, index: best })
  }
  return found
}

function memoryTable(result: SoakResult): string {
  const rows = checkpoints(result).map(({ label, atMs }) => {
    const samples = samplesAt(result, atMs)
    const rss = samples.map(({ series, index }) => series.rssBytes[index]!)
    const heap = samples.map(({ series, index }) => series.heapUsedBytes[index]).filter((value): value is number => value !== null)
    const heapTotal = samples.map(({ series, index }) => series.heapTotalBytes[index]).filter((value): value is number => value !== null)
    const origins = samples.map(({ series, index }) => series.origins[index]).filter((value): value is number => value !== null)
    const cell = (values: number[], format: (values: number[]) => string) => (values.length > 0 ? format(values) : '–')
    return `| ${label} | ${samples.length} | ${cell(rss, (values) => mib(median(values)))} | ${cell(rss, (values) => mib(Math.max(...values)))}`
      + ` | ${cell(heap, (values) => mib(median(values)))} | ${cell(heap, (values) => mib(Math.max(...values)))} | ${cell(heapTotal, (values) => mib(median(values)))}`
      + ` | ${cell(origins, (values) => number(Math.max(...values)))} |`
  })
  return [
    '| when | processes | RSS median (MiB) | RSS max (MiB) | heap used median (MiB) | heap used max (MiB) | heap reserved median (MiB) | origins held, max |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n')
}

/** How RSS moved: a fresh process, and the processes that ran from the first sample to the last. */
function growth(result: SoakResult): string {
  const first = result.deployment.find((sample) => sample.atMs >= 0)?.atMs
  const last = result.deployment.at(-1)?.atMs
  const initial = result.processes.filter((series) => series.atMs[0] === first)
  const fresh = initial.length > 0 ? `An instance process measured ${mib(median(initial.map((series) => series.rssBytes[0]!)))} MiB when the traffic started`
    + ' (median of the first instances: Node, the tsx loader and the code, with empty state).' : ''
  const whole = initial.filter((series) => series.atMs.at(-1) === last)
  if (whole.length === 0) return `${fresh} No process lived through the whole run (every one of the first instances was killed or left).`
  const second = checkpoints(result)[1]
  const fromStart = whole.map((series) => series.rssBytes.at(-1)! - series.rssBytes[0]!)
  let later = ''
  if (second && second.atMs < (last ?? 0)) {
    const fromSecond = whole.map((series) => {
      const index = nearestIndex(series.atMs, second.atMs)
      return series.rssBytes.at(-1)! - series.rssBytes[index]!
    })
    later = `; from ${second.label} to the end, by ${mib(median(fromSecond))} MiB (${mib(Math.min(...fromSecond))} to ${mib(Math.max(...fromSecond))} MiB)`
  }
  return `${fresh} ${whole.length} ${whole.length === 1 ? 'process' : 'processes'} (${whole.map((series) => series.name).join(', ')}) lived through the whole run:`
    + ` their RSS grew by ${mib(median(fromStart))} MiB from the start to the end (median; ${mib(Math.min(...fromStart))} to ${mib(Math.max(...fromStart))} MiB)${later}.`
}

function nearestIndex(times: readonly number[], atMs: number): number {
  let best = 0
  for (let index = 1; index < times.length; index++) if (Math.abs(times[index]! - atMs) < Math.abs(times[best]! - atMs)) best = index
  return best
}

function lastValue(values: (number | null)[]): number {
  for (let index = values.length - 1; index >= 0; index--) if (values[index] !== null) return values[index]!
  return 0
}

/** Gossip bytes per second sent by all instances together, per sample interval. */
function gossipRates(result: SoakResult): number[] {
  const rates: number[] = []
  for (let sample = 1; sample < result.deployment.length; sample++) {
    const from = result.deployment[sample - 1]!.atMs
    const to = result.deployment[sample]!.atMs
    let bytes = 0
    for (const series of result.processes) {
      const start = series.atMs.indexOf(from)
      const end = series.atMs.indexOf(to)
      if (start >= 0 && end >= 0) bytes += (series.bytesSent[end] ?? 0) - (series.bytesSent[start] ?? 0)
    }
    if (to > from) rates.push((bytes * 1000) / (to - from))
  }
  return rates.length > 0 ? rates : [0]
}

function gossipAndCpu(result: SoakResult): string {
  const bytes = result.processes.reduce((sum, series) => sum + lastValue(series.bytesSent), 0)
  const frames = result.processes.reduce((sum, series) => sum + lastValue(series.framesSent), 0)
  const cpu = result.processes.reduce((sum, series) => sum + (series.cpuSeconds.at(-1) ?? 0) - (series.cpuSeconds[0] ?? 0), 0)
  const spanS = Math.max(1, (result.deployment.at(-1)?.atMs ?? 0) - (result.deployment[0]?.atMs ?? 0)) / 1000
  const orchestrator = result.deployment.map((sample) => sample.orchestratorRssBytes)
  const orchestratorCpu = (result.deployment.at(-1)?.orchestratorCpuSeconds ?? 0) - (result.deployment[0]?.orchestratorCpuSeconds ?? 0)
  const rates = gossipRates(result)
  return [
    `- Gossip: ${number(frames)} frames, ${mib(bytes)} MiB sent by all instance processes together`
      + ` (${number(Math.round(bytes / spanS / 1024))} KiB/s on average, ${number(Math.round(median(rates) / 1024))} KiB/s in the median sample interval,`
      + ` ${number(Math.round(Math.max(...rates) / 1024))} KiB/s in the busiest; ${(bytes / Math.max(1, result.sent.packets)).toFixed(1)} bytes per packet sent).`,
    `- CPU: the instance processes used ${cpu.toFixed(0)} CPU seconds in ${spanS.toFixed(0)} s, ${(cpu / spanS).toFixed(2)} of the machine's ${result.machine.cpus} cores on average`
      + ` (CPU time counted between each process's first and last sample).`,
    `- The orchestrator (traffic source and balancer): ${(orchestratorCpu / spanS).toFixed(2)} cores; RSS ${mib(orchestrator[0] ?? 0)} MiB at the start, ${mib(Math.max(...orchestrator, 0))} MiB at most.`,
  ].join('\n')
}

function eventsSection(result: SoakResult): string {
  const counts = result.eventCounts
  const list = result.events.map((event) => `| ${clock(event.atMs)} | ${event.kind} | ${event.ids.join(' ')} | ${cellText(event.detail)} |`)
  return [
    '| SIGKILL | restart on its directory | scale-out (new id) | scale-in (for good) | partition | heal | processes in all | membership changes seen |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${counts.kill} | ${counts.restart} | ${counts['scale-out']} | ${counts['scale-in']} | ${counts.partition} | ${counts.heal} | ${result.processes.length} | ${number(result.membershipChanges)} |`,
    '',
    '<details><summary>Every event, in order</summary>',
    '',
    '| at (m:ss) | event | instances | detail |',
    '|---:|---|---|---|',
    ...list,
    '',
    '</details>',
  ].join('\n')
}

function messagesSection(result: SoakResult): string {
  if (result.instanceMessages.length === 0) return 'Nothing: no instance reported an error, a failed flush or a bad traffic connection.'
  return [
    'Errors and other reports the instances sent on their control channel (replica `error` events, failed flushes, traffic',
    'connection problems), counted over every instance, the instance\'s id left out:',
    '',
    '| times | report |',
    '|---:|---|',
    ...result.instanceMessages.map(({ text, count }) => `| ${number(count)} | ${cellText(text)} |`),
  ].join('\n')
}

export function renderReport(result: SoakResult, resultPath: string): string {
  const { options } = result
  const shortNote = result.short
    ? `\n> **This page shows a short trial run (${minutes(result.trafficMs)} of traffic).** It is replaced by the next run of`
      + ` ${SHORT_RUN_MINUTES} minutes or more (\`npm run soak\`, 30 minutes by default), which regenerates this page.\n`
    : ''
  return `# Soak: a long run of real processes under churn

<!-- Generated by soak/report.ts from ${displayPath(resultPath)}; edit the generator, not this page. -->

\`npm run soak\` runs the \`npm start\` deployment (examples/deployment/) for a long time under a
random schedule of crashes, restarts, scale-outs, scale-ins and partitions, samples the memory of
every process every few seconds, and ends with the same check as the demo. It is a script, not
part of \`npm test\`: the default run takes about 32 minutes.
${shortNote}
## How to run it

\`\`\`sh
npm run soak                       # 30 minutes, 8 instances, 12,000 packets/s, seed 1
npm run soak -- --minutes 3        # a trial run (result file *-short.json, git-ignored; docs untouched)
npm run soak -- --minutes 60 --instances 10 --rate 20000 --seed 7 --out /tmp/soak.json
npm run soak -- --help             # every flag
npm run soak:report                # regenerate this page from the newest result in soak/results/
\`\`\`

Every run writes \`soak/results/<timestamp>.json\` (or \`--out\`): the options, the machine, the
books of the traffic, the check, every event and every sample. Runs under ${SHORT_RUN_MINUTES} minutes are
named \`<timestamp>-short.json\` and ignored by git; longer runs are kept, and regenerate this page
and [images/${CHART_NAME}](images/${CHART_NAME}) (\`--no-report\` leaves docs/ alone, \`--report\` makes a
short run regenerate them). It exits 0 only if the check holds. Ctrl-C (or SIGTERM, SIGHUP) stops
the traffic and every instance, removes the state directories and writes the samples so far to
an \`-interrupted\` result file (not used for this page).

## What it does

- **Deployment**: the demo's orchestrator pieces: a traffic source (packets of \`--flows\` flows,
  Zipf 1.1, paced at \`--rate\` packets per second in all) and a rendezvous-hashing load balancer
  sending batches over TCP to \`--instances\` monitor processes on loopback, each with a replica
  gossiping over WebSockets (100 ms rounds, failure time-out 3 s) and its own state directory.
  An instance acknowledges a batch only once \`flush()\` made it durable.
- **Schedule** (soak/schedule.ts, seeded by \`--seed\`): after a gap drawn from an exponential
  distribution (mean \`--event-every\`, 20 s; at least 3 s after the previous event ended), one of
  - *SIGKILL* of a serving instance (the balancer stops routing to it first), restarted on its
    state directory 2–10 s later;
  - *scale-in*: the balancer stops routing to an instance, waits for its acknowledgements, and
    the instance \`leave()\`s and exits for good;
  - *scale-out*: a new instance with an id never used before (\`i9\`, \`i10\`, ...) joins;
  - *partition*: the running instances split in two sides (at least 3 each from 6 instances on)
    that cannot gossip across for 5–30 s (the instances' \`block\` control command, i.e.
    \`transport.block\`); traffic still reaches both sides. Instances started meanwhile join one
    side. Then every instance is unblocked.

  The deployment is kept within ${options.minInstances}–${options.maxInstances} instances (for \`--instances ${options.instances}\`: N-2 to N+2) and
  drawn back towards N: scale-outs are likelier below N, scale-ins above. At most one instance
  is down at a time, and inside a partition an instance is killed or retired only if its side
  keeps two other serving instances. So the faults stay within what
  [failure-model.md](failure-model.md) promises to survive: what a killed instance acknowledged
  is on its disk until it restarts, and what a leaving one hands over reaches live peers that
  are not taken down in the next 3 s.
- **Samples**, every \`--sample-s\` (5 s): per process the resident set size (\`VmRSS\` of
  /proc/<pid>/status) and CPU time (/proc/<pid>/stat), and from the instance's last status report
  its V8 heap in use, the origins it holds state of, its flows and its gossip frames and bytes.
- **End**: when \`--minutes\` are over, pending restarts run and the partition heals, the traffic
  stops, the last acknowledgements arrive, and the orchestrator waits (up to \`--settle\`, 60 s)
  until every running instance reports the same digest of its global view. Then the demo's check
  (examples/deployment/check.ts): every instance agrees on the packet, byte and match counters
  and on every flow (an order-independent hash of every flow's key and counts);
  acknowledged ≤ global ≤ sent for packets, bytes and matches (an acknowledged batch is never
  lost, through any SIGKILL, leave or partition; with no SIGKILL in the run, all three equal);
  and the per-flow sums equal the counters.

## The run shown here

| | |
|---|---|
| started | ${result.startedAt} |
| result file | ${displayPath(resultPath)} |
| machine | ${result.machine.cpus} × ${result.machine.cpuModel}, ${mib(result.machine.memoryBytes)} MiB, Node ${result.machine.node}, ${result.machine.platform} |
| traffic | ${minutes(result.trafficMs)}, ${number(options.packetsPerSecond)} packets/s offered over ${number(options.flows)} flows |
| instances | ${options.instances} at the start, kept within ${options.minInstances}–${options.maxInstances} |
| seed | ${options.seed} (\`npm run soak -- --minutes ${options.minutes} --instances ${options.instances} --rate ${options.packetsPerSecond} --flows ${options.flows} --seed ${options.seed}\`) |
| whole run | ${minutes(result.elapsedMs)} |

### The check

\`\`\`
${result.check.line}
\`\`\`
${result.check.problems.length > 0 ? `\nProblems:\n\n${result.check.problems.map((problem) => `- ${problem}`).join('\n')}\n` : ''}
Packets sent ${number(result.sent.packets)}, acknowledged ${number(result.acked.packets)}, lost in flight to killed instances
${number(result.lost.packets)} (sent, never acknowledged: they may or may not be counted), held back by the source while the
instances were behind ${number(result.heldBack)}. ${result.convergeMs === null ? 'The instances did not agree.' : `Every instance agreed ${(result.convergeMs / 1000).toFixed(1)} s after the traffic stopped.`}

### Memory

RSS is what the kernel charges each process (/proc); the heap is V8's \`heapUsed\`, from the
instance's own report. "origins held" is how many instance incarnations' state a process keeps
(every restart and every new id adds one).

${memoryTable(result)}

${growth(result)}

${gossipAndCpu(result)}

![RSS of every instance process over time](images/${CHART_NAME})

### Events

${eventsSection(result)}

### What the instances reported

${messagesSection(result)}
`.replace(/\n{3,}/g, '\n\n')
}

/** Writes the page and its chart; returns their paths. */
export function writeReport(result: SoakResult, resultPath: string, out = DEFAULT_OUT): { page: string; chart: string } {
  const chart = join(dirname(out), 'images', CHART_NAME)
  mkdirSync(dirname(chart), { recursive: true })
  writeFileSync(chart, rssChart(result))
  writeFileSync(out, renderReport(result, resultPath))
  return { page: out, chart }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' } } })
  const chosen = values.from ? { path: resolve(values.from), result: readResult(resolve(values.from)) } : latestResult()
  if (!chosen) {
    console.error('no soak result in soak/results/: run `npm run soak` first, or pass --from FILE')
    process.exit(1)
  }
  const written = writeReport(chosen.result, chosen.path, values.out ? resolve(values.out) : DEFAULT_OUT)
  console.log(`wrote ${displayPath(written.page)} and ${displayPath(written.chart)} from ${displayPath(chosen.path)}${chosen.result.short ? ' (a short run)' : ''}`)
}
