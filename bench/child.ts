/**
 * One job of the harness in its own process (started by run.ts with --expose-gc): one run of one
 * system, the convergence table, or the micro-benchmarks. Reads its job as JSON from argv[2],
 * reports progress and its result over the IPC channel, and exits.
 */
import { runConvergence } from './convergence.js'
import { CheckFailed, runWorkload, settledMemoryBytes } from './driver.js'
import { runHotPath } from './hot-path.js'
import type { ChildMessage, Job, JobFigures } from './messages.js'
import { generatePackets } from './packets.js'
import { systemEntry } from './registry.js'

const PROGRESS_INTERVAL_MS = 100

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('bench/child.ts runs as a child of bench/run.ts (it needs an IPC channel)'))
      return
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()))
  })
}

let lastProgressAt = 0
function progress(fraction: number, phase: string): void {
  const now = performance.now()
  if (now - lastProgressAt < PROGRESS_INTERVAL_MS && fraction < 1) return
  lastProgressAt = now
  void send({ type: 'progress', fraction, phase })
}

async function runSystem(job: Extract<Job, { kind: 'system' }>): Promise<JobFigures> {
  const entry = systemEntry(job.system)
  const module = await entry.load()
  progress(0, 'generating packets')
  const sequence = generatePackets(job.workload)
  const baseline = settledMemoryBytes()
  const system = await module.create(sequence, { variant: entry.variant, ...(job.redis ? { redis: job.redis } : {}) })
  try {
    return await runWorkload(system, sequence, baseline, progress)
  } finally {
    await system.close()
  }
}

async function runJob(job: Job): Promise<JobFigures> {
  switch (job.kind) {
    case 'system': return runSystem(job)
    case 'convergence': return runConvergence(job.parameters, progress)
    case 'micro': return runHotPath(job.parameters, progress)
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? 'null') as Job | null
  if (job === null) throw new Error('usage: node --import tsx --expose-gc bench/child.ts <job JSON>')
  try {
    await send({ type: 'result', figures: await runJob(job) })
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    await send({ type: 'failed', reason, checkFailed: error instanceof CheckFailed })
    if (!(error instanceof CheckFailed) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  }
  process.disconnect()
}

await main()
