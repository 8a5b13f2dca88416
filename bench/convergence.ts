/**
 * Convergence on the simulated network: gossip rounds until every replica agrees after one
 * write, for several R, with and without loss. Target without loss: at most 2·log2(R) + 2
 * rounds. Medians over seeds. The harness (run.ts) runs it in a child; `tsx bench/convergence.ts`
 * (`-- --full` adds R = 256) prints the table alone.
 */
import { pathToFileURL } from 'node:url'
import { counter, defineState } from '../src/index.js'
import { createSimulation } from '../src/sim/index.js'
import type { ConvergenceParameters } from './options.js'
import { median } from './workload.js'

export const INTERVAL_MS = 100
export const FANOUT = 3
export const LATENCY_MS: [number, number] = [1, 10]
const State = defineState({ packets: counter() })

/** Virtual ms from one write at one replica of a settled group until every replica agrees. */
export function msToConverge(replicaCount: number, loss: number, seed: number): number {
  const sim = createSimulation({ seed, latencyMs: LATENCY_MS, loss })
  const replicas = Array.from({ length: replicaCount }, (_, i) => sim.spawn(State, { id: `r${i}`, gossip: { intervalMs: INTERVAL_MS, fanout: FANOUT } }))
  // Let membership settle first: the figure is about spreading a write, not about joining.
  sim.advance(INTERVAL_MS * 20)
  sim.runUntilConverged({ maxMs: 120_000 })
  replicas[0]!.state.packets.increment()
  return sim.runUntilConverged({ maxMs: 120_000, stepMs: 1 })
}

export function roundsToConverge(replicaCount: number, loss: number, seed: number): number {
  return msToConverge(replicaCount, loss, seed) / INTERVAL_MS
}

export function convergenceTarget(replicaCount: number): number {
  return 2 * Math.log2(replicaCount) + 2
}

export interface ConvergenceRow {
  replicas: number
  loss: number
  /** Rounds per seed, in seed order. */
  rounds: number[]
  medianRounds: number
  medianMs: number
  target: number
}

export interface ConvergenceFigures {
  kind: 'convergence'
  intervalMs: number
  fanout: number
  latencyMs: [number, number]
  seeds: number[]
  rows: ConvergenceRow[]
}

export function runConvergence(parameters: ConvergenceParameters, progress: (fraction: number, phase: string) => void = () => {}): ConvergenceFigures {
  const rows: ConvergenceRow[] = []
  // Work grows with R, so progress is weighted by it.
  const weight = (replicas: number) => replicas * parameters.losses.length * parameters.seeds.length
  const totalWork = parameters.replicaCounts.reduce((sum, replicas) => sum + weight(replicas), 0)
  let done = 0
  for (const replicas of parameters.replicaCounts) {
    for (const loss of parameters.losses) {
      const ms: number[] = []
      for (const seed of parameters.seeds) {
        progress(done / totalWork, `R = ${replicas}, loss ${loss * 100} %`)
        ms.push(msToConverge(replicas, loss, seed))
        done += replicas
      }
      const medianMs = median(ms)
      rows.push({ replicas, loss, rounds: ms.map((value) => value / INTERVAL_MS), medianRounds: medianMs / INTERVAL_MS, medianMs, target: convergenceTarget(replicas) })
    }
  }
  progress(1, 'done')
  return { kind: 'convergence', intervalMs: INTERVAL_MS, fanout: FANOUT, latencyMs: LATENCY_MS, seeds: parameters.seeds, rows }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const full = process.argv.includes('--full')
  const figures = runConvergence({ replicaCounts: full ? [4, 16, 64, 256] : [4, 16, 64], losses: [0, 0.1], seeds: [1, 2, 3, 4, 5] })
  const lines = ['| R | rounds, 0 % loss | rounds, 10 % loss | target 2·log2(R)+2 |', '|---|---|---|---|']
  for (const replicas of new Set(figures.rows.map((row) => row.replicas))) {
    const cell = (loss: number) => figures.rows.find((row) => row.replicas === replicas && row.loss === loss)!.medianRounds.toFixed(2)
    lines.push(`| ${replicas} | ${cell(0)} | ${cell(0.1)} | ${convergenceTarget(replicas)} |`)
  }
  console.log(lines.join('\n'))
}
