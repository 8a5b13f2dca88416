/**
 * The fuzz harness: pushes generated and mutated frames into a running replica's real receive
 * path and checks every one (see target.ts for what is checked).
 *
 * A run is a sequence of epochs. Each epoch starts a fresh target and honest peer on a new
 * simulated network (seeded from the run's seed and the epoch number), warms them up with
 * writes, delivers `epochFrames` hostile frames with a round of gossip every `gossipEvery`
 * frames, and ends by checking that the two still converge. Odd epochs run with a shared
 * secret, even ones without. Frames come from three sources, drawn by fast-check from the
 * epoch's seed: the frame grammar (grammar.ts), mutations of frames captured from real gossip
 * (mutations.ts), and authentication cases (auth-cases.ts).
 *
 * Fresh replicas per epoch keep the run's memory flat by construction where it legitimately
 * grows (an accepted frame may name new origins and members); what the heap check at the end
 * measures is whether anything else is kept: caches, listeners, parsers' leftovers.
 */
import fc from 'fast-check'
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createFrameKey } from '../../src/auth.js'
import { authFrame } from './auth-cases.js'
import { corpusFor } from './corpus.js'
import { grammarFrame } from './grammar.js'
import { mutatedFrame } from './mutations.js'
import { FUZZ_SECRET, type FrameSource, type FuzzFrame } from './sealing.js'
import { FuzzTarget, type Violation, describeError } from './target.js'

export interface FuzzOptions {
  /** Frames to deliver in all. */
  frames: number
  /** Seed of the whole run (default 1). */
  seed?: number
  /** Frames per epoch: a fresh target and honest peer each (default 2,500). */
  epochFrames?: number
  /** Frames between two gossip rounds of the target and the honest peer (default 250). */
  gossipEvery?: number
  /** Run only this epoch (to replay a failure). */
  onlyEpoch?: number
  /** Stop after this many violations (default 1). */
  maxViolations?: number
  /** Whether generated frames carry fold records and leaves naming an heir (default true; see `GrammarOptions`). */
  folds?: boolean
  /** Called after each epoch with the report so far. */
  onEpoch?: (report: FuzzReport) => void
}

export interface SourceCounts {
  frames: number
  accepted: number
}

export interface ReportedViolation extends Violation {
  epoch: number
  /** Index of the frame within its epoch (-1: not caused by one frame). */
  index: number
  /** The frame, hex (cut at 4 KiB). */
  frameHex?: string
  /** The command that replays the epoch. */
  replay: string
}

export interface FuzzReport {
  seed: number
  frames: number
  accepted: number
  rejected: number
  /** Refused frames by error class (`DecodeError(wrapped TypeError)`: an unexpected throw a decoder did not anticipate). */
  rejectedByType: Record<string, number>
  /** Frames delivered and accepted, by source. */
  bySource: Record<FrameSource, SourceCounts>
  /** 'error' events raised about what accepted frames said (not refusals), by message with numbers masked. */
  reports: Record<string, number>
  epochs: number
  convergenceChecks: number
  violations: ReportedViolation[]
  durationMs: number
  framesPerSecond: number
  heapStartBytes: number
  heapEndBytes: number
  /** Whether the heap figures were taken right after a full garbage collection. */
  gcForced: boolean
}

/** What one epoch runs with: its seed, its secret (odd epochs) and its frame source. */
export interface EpochPlan {
  epochSeed: number
  secret: string | undefined
  frames: fc.Arbitrary<FuzzFrame>
}

const mixes = new Map<string, fc.Arbitrary<FuzzFrame>>()

export function epochPlan(seed: number, epoch: number, folds = true): EpochPlan {
  const secret = epoch % 2 === 1 ? FUZZ_SECRET : undefined
  const cacheKey = `${seed}:${secret ?? ''}:${folds}`
  let frames = mixes.get(cacheKey)
  if (!frames) {
    const corpus = corpusFor(seed, secret)
    const key = secret === undefined ? null : createFrameKey(secret)
    frames = fc.oneof(
      { weight: 4, arbitrary: grammarFrame(corpus, key, { folds }) },
      { weight: 5, arbitrary: mutatedFrame(corpus, key) },
      { weight: 1, arbitrary: authFrame(corpus, key) },
    )
    mixes.set(cacheKey, frames)
  }
  return { epochSeed: (seed * 1_000_003 + epoch * 7919) | 0, secret, frames }
}

/** Forces a full garbage collection, exposing `gc` if the process was not started with --expose-gc. */
export function forceGc(): boolean {
  let gc = (globalThis as { gc?: () => void }).gc
  if (typeof gc !== 'function') {
    try {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as () => void
    } catch {
      return false
    }
  }
  gc()
  gc()
  return true
}

function heapUsed(): number {
  return getHeapStatistics().used_heap_size
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Runs the fuzzer; never throws for what it finds (see `report.violations`). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? 1
  const epochFrames = options.epochFrames ?? 2_500
  const gossipEvery = options.gossipEvery ?? 250
  const maxViolations = options.maxViolations ?? 1
  if (!Number.isSafeInteger(options.frames) || options.frames < 1) throw new RangeError(`frames must be a positive integer, got ${options.frames}`)

  // Corpora first (they are kept for the run), then the baseline heap.
  const folds = options.folds ?? true
  epochPlan(seed, 0, folds)
  epochPlan(seed, 1, folds)
  const gcForced = forceGc()
  const report: FuzzReport = {
    seed, frames: 0, accepted: 0, rejected: 0, rejectedByType: {},
    bySource: { grammar: { frames: 0, accepted: 0 }, mutation: { frames: 0, accepted: 0 }, auth: { frames: 0, accepted: 0 } },
    reports: {}, epochs: 0, convergenceChecks: 0, violations: [], durationMs: 0, framesPerSecond: 0,
    heapStartBytes: heapUsed(), heapEndBytes: 0, gcForced,
  }
  const uncaught: unknown[] = []
  const onUncaught = (error: unknown) => uncaught.push(error)
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  const started = performance.now()
  try {
    const epochCount = Math.ceil(options.frames / epochFrames)
    for (let epoch = options.onlyEpoch ?? 0; epoch < epochCount; epoch++) {
      const frames = Math.min(epochFrames, options.frames - epoch * epochFrames)
      const record = (violation: Violation, index: number) => report.violations.push({
        ...violation, epoch, index,
        ...(violation.frame ? { frameHex: Buffer.from(violation.frame.bytes.subarray(0, 4096)).toString('hex') } : {}),
        replay: `npm run fuzz -- --seed ${seed} --epoch-frames ${epochFrames} --frames ${options.frames} --epoch ${epoch}${folds ? '' : ' --no-folds'}`,
      })
      runEpoch(epochPlan(seed, epoch, folds), frames, gossipEvery, report, record)
      report.epochs++
      await tick()
      for (const error of uncaught.splice(0)) record({ kind: 'uncaught', message: describeError(error) }, -1)
      report.durationMs = performance.now() - started
      options.onEpoch?.(report)
      if (report.violations.length >= maxViolations || options.onlyEpoch !== undefined) break
    }
  } finally {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
  }
  report.durationMs = performance.now() - started
  report.framesPerSecond = report.frames / (report.durationMs / 1000)
  forceGc()
  report.heapEndBytes = heapUsed()
  return report
}

function runEpoch(plan: EpochPlan, frameCount: number, gossipEvery: number, report: FuzzReport, record: (violation: Violation, index: number) => void): void {
  const target = new FuzzTarget({ seed: plan.epochSeed, secret: plan.secret })
  try {
    const warm = target.warmUp()
    if (warm) return record({ kind: 'divergence', message: `before any hostile frame: ${warm}` }, -1)
    const frames = fc.sample(plan.frames, { seed: plan.epochSeed, numRuns: frameCount })
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index]!
      const outcome = target.deliver(frame)
      report.frames++
      report.bySource[frame.source].frames++
      if ('violation' in outcome) return record(outcome.violation, index)
      if (outcome.accepted) {
        report.accepted++
        report.bySource[frame.source].accepted++
        if (outcome.report !== undefined) {
          const message = outcome.report.replace(/\d+/g, 'N')
          report.reports[message] = (report.reports[message] ?? 0) + 1
        }
      } else {
        report.rejected++
        report.rejectedByType[outcome.label] = (report.rejectedByType[outcome.label] ?? 0) + 1
      }
      if ((index + 1) % gossipEvery === 0) {
        const problem = target.gossip(20)
        if (problem) return record(problem, index)
      }
    }
    const counted = target.target.replica.stats().framesRejected
    if (counted !== target.rejected) {
      return record({ kind: 'side-effect', message: `the target counted ${counted} refused frames, the harness saw ${target.rejected}` }, -1)
    }
    report.convergenceChecks++
    const diverged = target.converge(10_000)
    if (diverged) record({ kind: 'divergence', message: diverged }, -1)
  } finally {
    target.stop()
  }
}
