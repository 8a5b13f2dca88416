/**
 * Convergence on the simulated network: gossip rounds until every replica agrees after one
 * write, for R = 4, 16, 64 (and 256 with `--full`), with and without 10 % loss. Target without
 * loss: at most 2·log2(R) + 2 rounds. Medians over seeds.
 */
import { counter, defineState } from '../src/index.js'
import { createSimulation } from '../src/sim/index.js'
import { median } from './workload.js'

const full = process.argv.includes('--full')
const sizes = full ? [4, 16, 64, 256] : [4, 16, 64]
const seeds = [1, 2, 3, 4, 5]
const intervalMs = 100
const State = defineState({ packets: counter() })

export function roundsToConverge(replicaCount: number, loss: number, seed: number): number {
  const sim = createSimulation({ seed, latencyMs: [1, 10], loss })
  const replicas = Array.from({ length: replicaCount }, (_, i) => sim.spawn(State, { id: `r${i}`, gossip: { intervalMs, fanout: 3 } }))
  // Let membership settle first: the figure is about spreading a write, not about joining.
  sim.advance(intervalMs * 20)
  sim.runUntilConverged({ maxMs: 120_000 })
  replicas[0]!.state.packets.increment()
  const ms = sim.runUntilConverged({ maxMs: 120_000, stepMs: 1 })
  return ms / intervalMs
}

const rows: string[] = []
for (const replicaCount of sizes) {
  const target = 2 * Math.log2(replicaCount) + 2
  const cells = [0, 0.1].map((loss) => median(seeds.map((seed) => roundsToConverge(replicaCount, loss, seed))))
  rows.push(`| ${replicaCount} | ${cells[0]!.toFixed(2)} | ${cells[1]!.toFixed(2)} | ${target} |`)
  console.log(`R = ${String(replicaCount).padStart(3)}: ${cells[0]!.toFixed(2)} rounds without loss, ${cells[1]!.toFixed(2)} with 10 % loss (target ${target})`)
}
console.log(['', '| R | rounds, 0 % loss | rounds, 10 % loss | target 2·log2(R)+2 |', '|---|---|---|---|', ...rows].join('\n'))
