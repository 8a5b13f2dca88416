/**
 * Memory and gossip samples of every process of the soak, every few seconds: resident set size
 * and CPU time from /proc/<pid>/status and /proc/<pid>/stat (what the kernel charges the
 * process, not what it says about itself), V8 heap in use and gossip frame counters from the
 * instance's last status report, and the orchestrator's own RSS. A process is a series from its
 * start to its end; a restart on the same id is a new series.
 */
import { readFileSync } from 'node:fs'
import type { Deployment } from '../examples/deployment/deployment.js'

export interface ProcessSeries {
  /** `i3` for the first process of an id, `i3#2` for its first restart, and so on. */
  name: string
  id: string
  start: number
  pid: number
  /** Sample times, in ms since the traffic started. */
  atMs: number[]
  rssBytes: number[]
  /** From the instance's last status report (null before its first one). */
  heapUsedBytes: (number | null)[]
  heapTotalBytes: (number | null)[]
  externalBytes: (number | null)[]
  /** User plus system CPU time of the process so far. */
  cpuSeconds: number[]
  bytesSent: (number | null)[]
  bytesReceived: (number | null)[]
  framesSent: (number | null)[]
  framesReceived: (number | null)[]
  origins: (number | null)[]
  flows: (number | null)[]
  /** How the process ended ('killed', 'left', 'stopped', ...), or null while it ran at the end. */
  ended: string | null
}

export interface DeploymentSample {
  atMs: number
  serving: number
  running: number
  packetsSent: number
  packetsAcked: number
  orchestratorRssBytes: number
  /** User plus system CPU time of the orchestrator so far. */
  orchestratorCpuSeconds: number
}

/** VmRSS of a process in bytes, or null when it is gone. */
export function residentBytes(pid: number): number | null {
  const status = readProcFile(`/proc/${pid}/status`)
  const match = status === null ? null : /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  return match ? Number(match[1]) * 1024 : null
}

/** utime + stime of a process in seconds, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  const stat = readProcFile(`/proc/${pid}/stat`)
  if (stat === null) return null
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticksPerSecond = 100
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}

function orchestratorCpuSeconds(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

function readProcFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ESRCH') return null
    throw error
  }
}

export class Sampler {
  readonly processes: ProcessSeries[] = []
  readonly deployment: DeploymentSample[] = []
  private readonly byPid = new Map<number, ProcessSeries>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly source: Deployment, private readonly zeroAt: () => number) {}

  start(intervalMs: number): void {
    this.sample()
    this.timer ??= setInterval(() => this.sample(), intervalMs)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Takes one sample of every running process now. */
  sample(): void {
    const atMs = Date.now() - this.zeroAt()
    const { fleet, pump } = this.source
    const sampled = new Set<ProcessSeries>()
    for (const instance of fleet.instances.values()) {
      const series = this.byPid.get(instance.pid)
      if (instance.child === null) continue
      const rss = residentBytes(instance.pid)
      const cpu = cpuSeconds(instance.pid)
      if (rss === null || cpu === null) continue
      const current = series ?? this.open(instance.id, instance.starts, instance.pid)
      const status = instance.status
      current.atMs.push(atMs)
      current.rssBytes.push(rss)
      current.cpuSeconds.push(cpu)
      current.heapUsedBytes.push(status?.heapUsedBytes ?? null)
      current.heapTotalBytes.push(status?.heapTotalBytes ?? null)
      current.externalBytes.push(status?.externalBytes ?? null)
      current.bytesSent.push(status?.bytesSent ?? null)
      current.bytesReceived.push(status?.bytesReceived ?? null)
      current.framesSent.push(status?.framesSent ?? null)
      current.framesReceived.push(status?.framesReceived ?? null)
      current.origins.push(status?.origins ?? null)
      current.flows.push(status?.flows ?? null)
      sampled.add(current)
    }
    for (const series of this.processes) {
      if (series.ended !== null || sampled.has(series)) continue
      // Gone since the last sample; an entry replaced by a restart was killed.
      const instance = fleet.instances.get(series.id)
      series.ended = instance?.pid === series.pid ? instance.phase : 'killed'
    }
    this.deployment.push({
      atMs, serving: pump.balancer.instances.length, running: fleet.running().length,
      packetsSent: pump.sent.packets, packetsAcked: pump.acked.packets,
      orchestratorRssBytes: process.memoryUsage.rss(), orchestratorCpuSeconds: orchestratorCpuSeconds(),
    })
  }

  /** The latest sample of every process that was running at the last sample. */
  latest(): { series: ProcessSeries; index: number }[] {
    const lastAt = this.deployment.at(-1)?.atMs
    return this.processes
      .filter((series) => series.atMs.at(-1) === lastAt)
      .map((series) => ({ series, index: series.atMs.length - 1 }))
  }

  private open(id: string, start: number, pid: number): ProcessSeries {
    const series: ProcessSeries = {
      name: start > 1 ? `${id}#${start}` : id, id, start, pid, atMs: [], rssBytes: [], heapUsedBytes: [], heapTotalBytes: [], externalBytes: [], cpuSeconds: [],
      bytesSent: [], bytesReceived: [], framesSent: [], framesReceived: [], origins: [], flows: [], ended: null,
    }
    this.processes.push(series)
    this.byPid.set(pid, series)
    return series
  }
}
