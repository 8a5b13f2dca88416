/**
 * The targets of the benchmark issue, as ratios measured in the same run (and two absolute
 * bars), evaluated on a result: met or not, and by how much.
 */
import type { BenchmarkResult, MedianFigures, SystemResult } from './results.js'

export interface TargetRow {
  /** What the issue asks, in words. */
  target: string
  /** The figures compared, formatted. */
  measured: string
  /** true met, false missed, null not measurable in this run (a system missing or failed). */
  met: boolean | null
  /** How far inside or outside the bar. */
  margin: string
}

type Figure = keyof MedianFigures

function figureOf(system: SystemResult | undefined, figure: Figure): number | null {
  if (!system || system.status !== 'ok' || !system.median) return null
  return system.median[figure] ?? null
}

function number(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** `value <= limit`: how much room is left, or how many times over the bar it is. */
function marginOf(value: number, limit: number): string {
  return value <= limit
    ? `met, ${number((1 - value / limit) * 100)} % below the bar`
    : `missed by ${number(value / limit, 2)} × (${number((value / limit - 1) * 100)} % over)`
}

function ratioRow(target: string, figure: Figure, unit: string, own: SystemResult | undefined, other: SystemResult | undefined, limit: number, digits = 0): TargetRow {
  const mine = figureOf(own, figure)
  const theirs = figureOf(other, figure)
  if (mine === null || theirs === null || theirs === 0) {
    return { target, measured: `not measured (${mine === null ? 'elastic-state' : other?.label ?? 'the reference'} has no result)`, met: null, margin: '' }
  }
  const ratio = mine / theirs
  return {
    target,
    measured: `${number(mine, digits)} vs ${number(theirs, digits)} ${unit}: ratio ${number(ratio, 3)} (bar ${number(limit, 3)})`,
    met: ratio <= limit,
    margin: marginOf(ratio, limit),
  }
}

function absoluteRow(target: string, figure: Figure, unit: string, own: SystemResult | undefined, limit: number, digits = 0): TargetRow {
  const mine = figureOf(own, figure)
  if (mine === null) return { target, measured: 'not measured (elastic-state has no result)', met: null, margin: '' }
  return { target, measured: `${number(mine, digits)} ${unit}`, met: mine <= limit, margin: marginOf(mine, limit) }
}

/** The faster (or smaller) of several systems for a figure: the strongest competitor. */
function best(systems: SystemResult[], figure: Figure): SystemResult | undefined {
  const candidates = systems.filter((system) => figureOf(system, figure) !== null)
  return candidates.sort((a, b) => figureOf(a, figure)! - figureOf(b, figure)!)[0] ?? systems[0]
}

export function evaluateTargets(result: BenchmarkResult): TargetRow[] {
  const byId = (id: string) => result.systems.find((system) => system.id === id)
  const own = byId('elastic-state')
  const floor = byId('floor')
  const yjsVariants = result.systems.filter((system) => system.id.startsWith('yjs-'))
  const rows: TargetRow[] = [
    ratioRow('total ns/packet ≤ 0.5 × the floor\'s', 'totalNsPerPacket', 'ns/packet', own, floor, 0.5),
    ratioRow('total ns/packet ≤ 1/12 × Yjs\'s (the faster encoding)', 'totalNsPerPacket', 'ns/packet', own, best(yjsVariants, 'totalNsPerPacket'), 1 / 12),
    ratioRow('total ns/packet ≤ 1/50 × Redis round-trip mode\'s', 'totalNsPerPacket', 'ns/packet', own, byId('redis-round-trip'), 1 / 50),
    ratioRow('total ns/packet ≤ 1/3 × Redis aggregated mode\'s', 'totalNsPerPacket', 'ns/packet', own, byId('redis-aggregated'), 1 / 3),
    ratioRow('hot-path ns/packet ≤ the floor\'s', 'hotNsPerPacket', 'ns/packet', own, floor, 1),
    ratioRow('wire bytes/packet ≤ 0.8 × Yjs v2\'s', 'wireBytesPerPacket', 'bytes/packet', own, byId('yjs-v2'), 0.8, 1),
    ratioRow('heap bytes/flow/replica ≤ 1.2 × the floor\'s', 'heapBytesPerFlowPerReplica', 'bytes', own, floor, 1.2),
    ratioRow('heap bytes/flow/replica ≤ 1/10 × Yjs\'s (the smaller encoding)', 'heapBytesPerFlowPerReplica', 'bytes', own, best(yjsVariants, 'heapBytesPerFlowPerReplica'), 0.1),
    absoluteRow('joiner catch-up ≤ 100 ms for the full state', 'catchUpMs', 'ms', own, 100, 1),
    absoluteRow('global read ≤ 50 ns', 'globalReadNs', 'ns', own, 50, 1),
  ]
  const convergence = result.convergence
  if (convergence === null) {
    rows.push({ target: 'convergence ≤ 2·log2(R) + 2 rounds without loss', measured: `not measured (${result.convergenceFailure ?? 'no convergence run'})`, met: null, margin: '' })
  } else {
    for (const row of convergence.rows.filter((entry) => entry.loss === 0)) {
      rows.push({
        target: `convergence at R = ${row.replicas} ≤ ${number(row.target, 0)} rounds without loss`,
        measured: `${number(row.medianRounds, 2)} rounds (median of ${row.rounds.length} seed(s))`,
        met: row.medianRounds <= row.target,
        margin: marginOf(row.medianRounds, row.target),
      })
    }
  }
  return rows
}
