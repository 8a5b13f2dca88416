/**
 * `npm run soak`: the `npm start` deployment for a long time (30 minutes by default) under a
 * random, seeded schedule of SIGKILLs and restarts, graceful scale-ins, scale-outs with new ids
 * and partitions (schedule.ts, churn.ts), with the memory of every process sampled every few
 * seconds (sampler.ts). At the end it heals everything, stops the traffic, waits for agreement and
 * runs the demo's check; it writes soak/results/<timestamp>.json and, for a full run,
 * regenerates docs/soak.md and its chart (report.ts). Exit code 0 only if the check holds.
 *
 * Every process it started and the state directories are removed at the end, on failure and on
 * Ctrl-C / SIGTERM / SIGHUP (then the samples so far go to an `-interrupted` result file).
 *
 *   npm run soak -- --minutes 30 --instances 8 --rate 12000 --seed 1
 */
import { isAbsolute, relative } from 'node:path'
import { createRandom } from '../bench/workload.js'
import { checkRun } from '../examples/deployment/check.js'
import type { StateDigest } from '../examples/deployment/control.js'
import { Deployment } from '../examples/deployment/deployment.js'
import { Churn } from './churn.js'
import { SHORT_RUN_MINUTES, type SoakOptions, parseSoakOptions, usage } from './options.js'
import { writeReport } from './report.js'
import { ROOT, type SoakResult, countEvents, defaultResultPath, machine, writeResult } from './results.js'
import { Sampler } from './sampler.js'
import { MIN_GAP_MS, chooseAction, nextGapMs } from './schedule.js'

const SUMMARY_EVERY_MS = 30_000
const REFRESH_MS = 1000
const SETTLE_TIMEOUT_MS = 15_000
/** What an instance reports when it sees another fail or leave (instance.ts). */
const MEMBERSHIP_LINE = /^\S+ sees \S+ (failed|left)$/
/** An instance report repeated more often than this (the same text from any instance) is only counted. */
const REPEATS_PRINTED = 3
/** The schedule draws from its own stream, not the packet sequence's. */
const SCHEDULE_SEED_OFFSET = 1_000_003

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))
const count = (n: number) => n.toLocaleString('en-US')
const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))}`
/** A path relative to the repository when it is inside it. */
const shown = (path: string) => {
  const inside = relative(ROOT, path)
  return inside.startsWith('..') || isAbsolute(inside) ? path : inside
}

function readOptions(): SoakOptions {
  try {
    const parsed = parseSoakOptions(process.argv.slice(2))
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
const startedAt = new Date()
const short = options.minutes < SHORT_RUN_MINUTES
let membershipChanges = 0
/** What the instances reported (errors, failed flushes, ...), without the instance's id, by text. */
const instanceMessages = new Map<string, number>()
const deployment: Deployment = new Deployment({
  ...options,
  instanceEvent: (text) => {
    if (MEMBERSHIP_LINE.test(text)) {
      membershipChanges++
      if (!options.verbose) return
    }
    // A report `<id>: <message>` (not a line of a process's output, which names its pid).
    const message = /^i\d+: (.*)$/.exec(text)?.[1]
    if (message !== undefined) {
      const seen = (instanceMessages.get(message) ?? 0) + 1
      instanceMessages.set(message, seen)
      if (seen > REPEATS_PRINTED + 1) return
      if (seen === REPEATS_PRINTED + 1) text = `${text} (again; from now on counted in the result, not printed)`
    }
    deployment.screen.event(text)
  },
})
const { screen, pump, fleet } = deployment
const churn = new Churn(deployment, options.instances)
const sampler = new Sampler(deployment, () => churn.trafficStartedAt)
const random = createRandom(options.seed + SCHEDULE_SEED_OFFSET)
const limits = { target: options.instances, min: options.minInstances, max: options.maxInstances }
let trafficStarted = false
let convergeMs: number | null = null
let summaryTimer: NodeJS.Timeout | undefined

function result(check: SoakResult['check'], interrupted: boolean): SoakResult {
  return {
    version: 1, startedAt: startedAt.toISOString(), short, interrupted, options, machine: machine(),
    trafficMs: pump.trafficMs, elapsedMs: Date.now() - startedAt.getTime(), convergeMs,
    sent: pump.sent, acked: pump.acked, lost: pump.lost, heldBack: pump.heldBack, check,
    eventCounts: countEvents(churn.events), membershipChanges,
    instanceMessages: [...instanceMessages].map(([text, times]) => ({ text, count: times })).sort((a, b) => b.count - a.count),
    events: churn.events,
    deployment: sampler.deployment, processes: sampler.processes,
  }
}

function resultPath(interrupted: boolean): string {
  const path = options.out ?? defaultResultPath(startedAt, short)
  return interrupted ? path.replace(/(\.json)?$/, '-interrupted.json') : path
}

/** One line every half minute: where the run is, the books, the instances and their memory. */
function summary(): string {
  const elapsedMin = pump.trafficMs / 60_000
  const latest = sampler.latest()
  const rss = latest.map(({ series, index }) => series.rssBytes[index]!).sort((a, b) => a - b)
  const heap = latest.map(({ series, index }) => series.heapUsedBytes[index]).filter((value): value is number => value !== null).sort((a, b) => a - b)
  const world = churn.world()
  const middle = (values: number[]) => values[values.length >>> 1] ?? 0
  return `${elapsedMin.toFixed(1)}/${options.minutes} min: sent ${count(pump.sent.packets)}, acknowledged ${count(pump.acked.packets)}`
    + `${pump.heldBack > 0 ? `, held back ${count(pump.heldBack)}` : ''}; serving ${world.serving.length} (${world.serving.join(' ')})`
    + `${world.down.length > 0 ? `, down ${world.down.join(' ')}` : ''}${world.partition ? ', partitioned' : ''}`
    + `; RSS median ${mib(middle(rss))} MiB, max ${mib(rss.at(-1) ?? 0)} MiB; heap median ${mib(middle(heap))} MiB`
}

deployment.installExitHandlers((signal) => {
  clearInterval(summaryTimer)
  sampler.stop()
  if (!trafficStarted) return
  const path = resultPath(true)
  writeResult(path, result({ ok: false, line: `interrupted by ${signal}: no check`, problems: [...deployment.problems] }, true))
  screen.print(`samples so far written to ${shown(path)}`)
})
// On a terminal, the demo's live table too (periodic plain lines would repeat what the summaries say).
if (screen.redrawsInPlace) deployment.showLive(REFRESH_MS, true)

screen.print(`elastic-state soak on loopback: ${options.instances} instances (kept within ${options.minInstances}-${options.maxInstances}),`
  + ` ${count(options.packetsPerSecond)} packets/s over ${count(options.flows)} flows for ${options.minutes} min, an event every ~${options.eventEveryS} s, seed ${options.seed}`)
screen.print(`state directories under ${deployment.stateRoot}`)
if (deployment.staleRoots > 0) screen.print(`removed ${deployment.staleRoots} state directories left by killed earlier runs`)

let digests: Map<string, StateDigest | null>
try {
  deployment.setPhase('starting')
  screen.event(`starting ${options.instances} instances`)
  await churn.startInitial(options.instances)
  deployment.setPhase('traffic')
  pump.start()
  trafficStarted = true
  churn.trafficStarted()
  sampler.start(options.sampleS * 1000)
  summaryTimer = setInterval(() => screen.event(summary()), SUMMARY_EVERY_MS)
  screen.event(`traffic started: ${count(options.packetsPerSecond)} packets/s over ${count(options.flows)} flows`)

  const endAt = churn.trafficStartedAt + options.minutes * 60_000
  let plannedAt = churn.trafficStartedAt + nextGapMs(random, options.eventEveryS)
  for (;;) {
    const dueAt = Math.min(plannedAt, churn.nextFollowUpAt)
    if (dueAt >= endAt) break
    await sleep(dueAt - Date.now())
    if (churn.nextFollowUpAt <= plannedAt) {
      await churn.runFollowUps(Date.now())
      plannedAt = Math.max(plannedAt, Date.now() + MIN_GAP_MS)
      continue
    }
    const action = chooseAction(churn.world(), limits, random)
    if (action) {
      deployment.setPhase(action.kind)
      await churn.perform(action)
      deployment.setPhase('traffic')
    }
    plannedAt = Math.max(plannedAt + nextGapMs(random, options.eventEveryS), Date.now() + MIN_GAP_MS)
  }
  await sleep(endAt - Date.now())

  deployment.setPhase('healing')
  screen.event('the schedule is over: restarting what is down and healing the partition')
  await churn.runFollowUps(Infinity)
  pump.stop()
  const stoppedAt = Date.now()
  digests = await deployment.settleAndAgree(SETTLE_TIMEOUT_MS, options.settleS * 1000)
  if (deployment.agreedAt !== null) convergeMs = deployment.agreedAt - stoppedAt
} catch (error) {
  clearInterval(summaryTimer)
  sampler.stop()
  screen.finish()
  screen.print(`run failed: ${(error as Error).stack ?? String(error)}`)
  await deployment.shutdown()
  if (trafficStarted) writeResult(resultPath(false), result({ ok: false, line: `run failed: ${(error as Error).message}`, problems: [...deployment.problems] }, false))
  process.exit(1)
}

clearInterval(summaryTimer)
// One more round of status reports, so the last samples hold the agreed state.
await sleep(deployment.statusMs + 100)
sampler.sample()
sampler.stop()
deployment.phase = 'done'
screen.finish()
const kills = churn.events.filter((event) => event.kind === 'kill').length
const check = checkRun({ sent: pump.sent, acked: pump.acked, digests, exact: kills === 0, runProblems: deployment.problems })
screen.event(summary())
await deployment.shutdown()

const path = resultPath(false)
const final = result({ ok: check.ok, line: check.line, problems: check.problems }, false)
writeResult(path, final)
screen.print(`ran ${(final.elapsedMs / 60_000).toFixed(1)} min; traffic for ${(final.trafficMs / 60_000).toFixed(1)} min: ${count(pump.sent.packets)} packets sent`
  + ` (${count(Math.round(pump.sent.packets / (final.trafficMs / 1000)))} per second), ${count(pump.lost.packets)} lost in flight to killed instances,`
  + ` ${count(pump.heldBack)} held back by the source`)
const counts = final.eventCounts
screen.print(`events: ${counts.kill} SIGKILL, ${counts.restart} restarts, ${counts['scale-out']} scale-outs, ${counts['scale-in']} scale-ins,`
  + ` ${counts.partition} partitions; ${final.processes.length} instance processes in all (${fleet.instances.size} ids); ${count(membershipChanges)} membership changes seen`)
screen.print(`results: ${shown(path)}`)
if (options.report) {
  const written = writeReport(final, path)
  screen.print(`report: ${shown(written.page)}, ${shown(written.chart)}`)
}
for (const text of check.problems) if (!deployment.problems.includes(text)) screen.print(`PROBLEM: ${text}`)
screen.print(check.line)
process.exit(check.ok ? 0 : 1)
