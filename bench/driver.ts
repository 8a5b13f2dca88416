/**
 * Runs the nf-monitor workload once on one system and measures it: the packets in sequence order,
 * each at its replica, a sync whenever a replica has processed B packets since its last one, a
 * full sync at the end, the end-of-run check, memory after a forced GC, read latencies, then a
 * replica joining (catch-up) and one leaving, each followed by the check again.
 */
import type { PacketSequence } from './packets.js'
import type { MaybePromise, System } from './system.js'

export interface RunFigures {
  /** P this run used (Automerge runs at a reduced P). */
  packets: number
  /** Per-packet work alone, all replicas together, divided by P. */
  hotNsPerPacket: number
  /** Hot path plus every sync (produce + apply on the other replicas) and the final sync. */
  totalNsPerPacket: number
  syncs: number
  wireBytes: number
  wireBytesPerPacket: number
  wireBytesPerSync: number
  /** Growth of this process's heap + external memory with all replicas alive, per flow per replica. */
  heapBytesPerFlowPerReplica: number
  /** Redis: the servers' used_memory growth per flow (the state lives there, once). */
  serverBytesPerFlow: number | null
  catchUpMs: number
  catchUpBytes: number
  globalReadNs: number
  flowReadNs: number
  /** Replicas and flows the check read, and which checks passed (a failed one throws). */
  check: { replicas: number; flowsChecked: number; afterJoin: boolean; afterLeave: boolean }
}

export class CheckFailed extends Error {
  override readonly name = 'CheckFailed'
}

export type Progress = (fraction: number, phase: string) => void

declare const gc: (() => void) | undefined

/** Heap plus external memory (typed-array backing stores, WebAssembly memories) after full GCs. */
export function settledMemoryBytes(): number {
  if (typeof gc !== 'function') throw new Error('run with --expose-gc: heap figures need a forced GC')
  for (let i = 0; i < 3; i++) gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

async function resolved<T>(value: MaybePromise<T>): Promise<T> {
  return value instanceof Promise ? await value : value
}

/** Every live replica sees P packets and the checked flows' true counts. */
async function check(system: System, sequence: PacketSequence, when: string): Promise<number> {
  const replicas = system.live()
  const expected = sequence.parameters.packets
  for (const replica of replicas) {
    const seen = await resolved(system.globalPackets(replica))
    if (seen !== expected) throw new CheckFailed(`${when}: replica ${replica} counts ${seen} packets, expected ${expected}`)
    for (const flow of sequence.checkedFlows) {
      const counts = await resolved(system.flowCounts(replica, flow))
      const truth = { packets: sequence.flowPackets[flow]!, bytes: sequence.flowBytes[flow]!, matches: sequence.flowMatches[flow]! }
      if (counts.packets !== truth.packets || counts.bytes !== truth.bytes || counts.matches !== truth.matches) {
        throw new CheckFailed(`${when}: replica ${replica}, flow ${sequence.keys[flow]}: got ${JSON.stringify(counts)}, expected ${JSON.stringify(truth)}`)
      }
    }
  }
  return replicas.length
}

const READ_BATCH_MIN_MS = 20
const READ_BATCHES = 5
const ASYNC_READS = 200

/** ns per read: batches of synchronous reads (median of batch means), or awaited reads one by one (median). */
async function readLatencyNs(read: (i: number) => MaybePromise<number>): Promise<number> {
  const probe = read(0)
  if (probe instanceof Promise) {
    await probe
    const samples: number[] = []
    for (let i = 1; i <= ASYNC_READS; i++) {
      const start = performance.now()
      await read(i)
      samples.push((performance.now() - start) * 1e6)
    }
    return median(samples)
  }
  let iterations = 1024
  let sink = 0
  for (;;) {
    const start = performance.now()
    for (let i = 0; i < iterations; i++) sink += read(i) as number
    if (performance.now() - start >= READ_BATCH_MIN_MS || iterations >= 1 << 26) break
    iterations *= 2
  }
  const means: number[] = []
  for (let batch = 0; batch < READ_BATCHES; batch++) {
    const start = performance.now()
    for (let i = 0; i < iterations; i++) sink += read(i) as number
    means.push((performance.now() - start) * 1e6 / iterations)
  }
  if (Number.isNaN(sink)) throw new CheckFailed('a read returned NaN')
  return median(means)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >>> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const PROGRESS_EVERY = 1 << 14

export async function runWorkload(system: System, sequence: PacketSequence, baselineBytes: number, progress: Progress): Promise<RunFigures> {
  const { packets, replicas, syncEvery } = sequence.parameters
  const { flowOf, sizeOf, matchOf, replicaOfFlow } = sequence
  const sinceSync = new Int32Array(replicas)
  let syncMs = 0
  let syncs = 0
  progress(0, 'packets')
  const start = performance.now()
  for (let i = 0; i < packets; i++) {
    const flow = flowOf[i]!
    const replica = replicaOfFlow[flow]!
    const pending = system.packet(replica, flow, sizeOf[i]!, matchOf[i] === 1)
    if (pending !== undefined) await pending
    if (++sinceSync[replica] === syncEvery) {
      sinceSync[replica] = 0
      const syncStart = performance.now()
      const synced = system.sync(replica)
      if (synced instanceof Promise) await synced
      syncMs += performance.now() - syncStart
      syncs++
    }
    if ((i & (PROGRESS_EVERY - 1)) === 0 && i > 0) progress(i / packets, 'packets')
  }
  const loopEnd = performance.now()
  // The full sync at the end: every replica once, then whatever the system needs to agree.
  for (let replica = 0; replica < replicas; replica++) {
    await resolved(system.sync(replica))
    syncs++
  }
  await resolved(system.settle())
  const end = performance.now()
  const hotMs = loopEnd - start - syncMs
  const totalMs = end - start
  const wireBytes = await resolved(system.wireBytes())
  progress(1, 'check')
  const checkedReplicas = await check(system, sequence, 'after the full sync')

  progress(1, 'memory')
  const memoryBytes = settledMemoryBytes() - baselineBytes
  const heapBytesPerFlowPerReplica = memoryBytes / replicas / sequence.flowsSeen
  const serverBytes = system.serverMemoryBytes ? await system.serverMemoryBytes() : null

  progress(1, 'reads')
  const globalReadNs = await readLatencyNs(() => system.globalPackets(0))
  const readFlows = sequence.readFlows
  const flowReadNs = await readLatencyNs((i) => system.flowPackets(0, readFlows[i & (readFlows.length - 1)]!))

  progress(1, 'join')
  const bytesBeforeJoin = await resolved(system.wireBytes())
  const joinStart = performance.now()
  await resolved(system.join(0))
  const catchUpMs = performance.now() - joinStart
  const catchUpBytes = await resolved(system.wireBytes()) - bytesBeforeJoin
  await check(system, sequence, 'after a replica joined')

  progress(1, 'leave')
  await resolved(system.leave(replicas - 1))
  await check(system, sequence, 'after a replica left')

  return {
    packets,
    hotNsPerPacket: hotMs * 1e6 / packets,
    totalNsPerPacket: totalMs * 1e6 / packets,
    syncs,
    wireBytes,
    wireBytesPerPacket: wireBytes / packets,
    wireBytesPerSync: wireBytes / syncs,
    heapBytesPerFlowPerReplica,
    serverBytesPerFlow: serverBytes === null ? null : serverBytes / sequence.flowsSeen,
    catchUpMs,
    catchUpBytes,
    globalReadNs,
    flowReadNs,
    check: { replicas: checkedReplicas, flowsChecked: sequence.checkedFlows.length, afterJoin: true, afterLeave: true },
  }
}
