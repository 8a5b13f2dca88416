/**
 * The nf-monitor workload over real loopback WebSockets: R instance processes, each processing
 * the packets the load balancer sends it while gossip replicates, then a joiner that catches up
 * with the whole state. Reports packets per second in total, how far behind the global views
 * were when the traffic ended (in gossip intervals), and the joiner's catch-up time.
 *
 *   npx tsx bench/network/run.ts [--flows F] [--packets P] [--replicas R] [--batch B] [--interval-ms I] [--json FILE]
 */
import { type ChildProcess, fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { WorkerArgs } from './worker.js'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  if (index < 0) return fallback
  const value = Number(process.argv[index + 1])
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} needs a positive number`)
  return value
}

const config = {
  flows: flag('flows', 100_000), packets: flag('packets', 2_000_000), replicas: flag('replicas', 4),
  batch: flag('batch', 1000), intervalMs: flag('interval-ms', 100), seed: flag('seed', 1),
}
const jsonIndex = process.argv.indexOf('--json')
const jsonPath = jsonIndex >= 0 ? process.argv[jsonIndex + 1] : undefined

interface Worker {
  child: ChildProcess
  address: string
  next(predicate: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
}

const children: ChildProcess[] = []
const cleanUp = () => {
  for (const child of children) child.kill('SIGKILL')
}
process.on('exit', cleanUp)
process.on('SIGINT', () => process.exit(130))

async function startWorker(args: WorkerArgs): Promise<Worker> {
  const child = fork(WORKER, [JSON.stringify(args)], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  const waiting: { predicate: (message: Record<string, unknown>) => boolean; resolve: (message: Record<string, unknown>) => void }[] = []
  const backlog: Record<string, unknown>[] = []
  child.on('message', (message: Record<string, unknown>) => {
    const index = waiting.findIndex((waiter) => waiter.predicate(message))
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message)
    else backlog.push(message)
  })
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`worker ${args.id} exited with ${code}`)
  })
  const next = (predicate: (message: Record<string, unknown>) => boolean) => {
    const index = backlog.findIndex(predicate)
    if (index >= 0) return Promise.resolve(backlog.splice(index, 1)[0]!)
    return new Promise<Record<string, unknown>>((resolve) => waiting.push({ predicate, resolve }))
  }
  const ready = await next((message) => message.ready === true)
  return { child, address: ready.address as string, next }
}

const read = async (worker: Worker) => {
  worker.child.send({ op: 'read' })
  return worker.next((message) => message.read === true) as Promise<{ packets: number; flows: number; members: number; at: number; stats: { bytesSent: number; framesSent: number } }>
}

const base = { flows: config.flows, packets: config.packets, replicas: config.replicas, batch: config.batch, seed: config.seed, intervalMs: config.intervalMs }
const first = await startWorker({ ...base, id: 'nf-0', index: 0, peers: [] })
const workers = [first]
workers.push(...await Promise.all(Array.from({ length: config.replicas - 1 }, (_, i) => startWorker({ ...base, id: `nf-${i + 1}`, index: i + 1, peers: [first.address] }))))
while ((await Promise.all(workers.map(read))).some((view) => view.members < config.replicas)) await new Promise((resolve) => setTimeout(resolve, 50))

for (const worker of workers) worker.child.send({ op: 'go' })
const done = await Promise.all(workers.map((worker) => worker.next((message) => message.done === true)))
const startedAt = Math.min(...done.map((message) => message.startedAt as number))
const finishedAt = Math.max(...done.map((message) => message.finishedAt as number))
const processed = done.reduce((total, message) => total + (message.packets as number), 0)
let views = await Promise.all(workers.map(read))
while (views.some((view) => view.packets < config.packets)) {
  await new Promise((resolve) => setTimeout(resolve, 5))
  views = await Promise.all(workers.map(read))
}
const caughtUpAt = Math.max(...views.map((view) => view.at))
const flowsHeld = views[0]!.flows

const joinerStarted = performance.now()
const joiner = await startWorker({ ...base, id: 'joiner', index: -1, peers: [first.address], expect: { packets: config.packets, flows: flowsHeld } })
const caughtUp = await joiner.next((message) => message.caughtUp === true)
const joinerTotalMs = performance.now() - joinerStarted

const result = {
  config,
  packetsProcessed: processed,
  seconds: (finishedAt - startedAt) / 1000,
  packetsPerSecond: processed / ((finishedAt - startedAt) / 1000),
  wireBytesPerPacket: views.reduce((total, view) => total + view.stats.bytesSent, 0) / config.packets,
  framesSent: views.reduce((total, view) => total + view.stats.framesSent, 0),
  globalBehindAtEndMs: Math.max(0, caughtUpAt - finishedAt),
  globalBehindAtEndIntervals: Math.max(0, caughtUpAt - finishedAt) / config.intervalMs,
  joiner: { flows: flowsHeld, catchUpMs: caughtUp.ms as number, bytesReceived: caughtUp.bytesReceived as number, includingProcessStartMs: joinerTotalMs },
  correct: views.every((view) => view.packets === config.packets && view.flows === flowsHeld),
}
console.log(JSON.stringify(result, null, 2))
if (jsonPath) writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n')
// A clean exit of every worker (profiles, when asked for, are written then), then SIGKILL for stragglers.
await Promise.race([
  Promise.all(children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve)
    child.send({ op: 'exit' })
  }))),
  new Promise((resolve) => setTimeout(resolve, 5000)),
])
cleanUp()
process.exit(result.correct ? 0 : 1)
