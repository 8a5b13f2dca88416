/**
 * What the orchestrator shows while the deployment runs: a progress line (phase, elapsed time,
 * packets sent and acknowledged, rate) and per instance its local and global packet counters,
 * flows, members and gossip lag. On a terminal the live part is redrawn in place about once a
 * second and event lines scroll above it; otherwise (CI, a pipe) every refresh prints plain
 * lines.
 */
import type { Instance } from './fleet.js'
import type { Totals } from './data-link.js'

export interface Progress {
  phase: string
  sent: Totals
  acked: Totals
  lost: Totals
  inFlight: number
  heldBack: number
  instances: Instance[]
  /** Packets in flight to an instance, by id. */
  inFlightTo(id: string): number
}

const count = (n: number) => n.toLocaleString('en-US')

export class LiveConsole {
  private liveLines = 0
  private lastLive: string[] = []
  private lastAcked = 0
  private lastSampleAt: number
  private rate = 0

  constructor(private readonly interactive: boolean, private readonly startedAt = Date.now()) {
    this.lastSampleAt = startedAt
  }

  private get elapsed(): string {
    return `${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`
  }

  get redrawsInPlace(): boolean {
    return this.interactive
  }

  /** A line that stays (an event): above the live area on a terminal. */
  event(text: string): void {
    this.print(`[${this.elapsed}] ${text}`)
  }

  print(line: string): void {
    if (this.interactive) {
      this.clearLive()
      process.stdout.write(`${line}\n`)
      this.drawLive()
    } else {
      process.stdout.write(`${line}\n`)
    }
  }

  /** The live part from scratch: on a terminal it replaces the previous one. */
  refresh(progress: Progress): void {
    const now = Date.now()
    if (now - this.lastSampleAt >= 500) {
      this.rate = ((progress.acked.packets - this.lastAcked) * 1000) / (now - this.lastSampleAt)
      this.lastAcked = progress.acked.packets
      this.lastSampleAt = now
    }
    const head = `[${this.elapsed}] ${progress.phase.padEnd(10)} sent ${count(progress.sent.packets)}  acked ${count(progress.acked.packets)}`
      + `  in flight ${count(progress.inFlight)}  rate ${count(Math.round(this.rate))} pkt/s`
      + (progress.lost.packets > 0 ? `  lost in flight ${count(progress.lost.packets)}` : '')
      + (progress.heldBack > 0 ? `  held back ${count(progress.heldBack)}` : '')
    if (this.interactive) {
      this.lastLive = [head, ...this.table(progress)]
      this.clearLive()
      this.drawLive()
    } else {
      const parts = progress.instances.map((instance) => {
        const status = instance.status
        if (!status || instance.child === null) return `${instance.id} ${instance.phase}`
        return `${instance.id} ${instance.phase} local ${status.localPackets} global ${status.globalPackets} lag ${Math.round(status.lagMs)} ms`
      })
      process.stdout.write(parts.length > 0 ? `${head}\n    ${parts.join(' | ')}\n` : `${head}\n`)
    }
  }

  /** Leaves the last live area on screen: what follows prints below it. */
  finish(): void {
    this.liveLines = 0
    this.lastLive = []
  }

  private table(progress: Progress): string[] {
    const header = ['instance', 'pid', 'state', 'local pkts', 'global pkts', 'flows', 'members', 'gossip lag', 'in flight']
    const rows = progress.instances.map((instance) => {
      const status = instance.status
      // A process that ended keeps its last counters on show; its membership and lag are gone.
      const running = status !== null && instance.child !== null
      return [
        instance.starts > 1 ? `${instance.id} (#${instance.starts})` : instance.id, String(instance.pid), instance.phase,
        status ? count(status.localPackets) : '-', status ? count(status.globalPackets) : '-', status ? count(status.flows) : '-',
        running ? String(status.members) : '-', running ? `${Math.round(status.lagMs)} ms` : '-', count(progress.inFlightTo(instance.id)),
      ]
    })
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
    const format = (row: string[]) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
    return [format(header), ...rows.map(format)]
  }

  private clearLive(): void {
    if (this.liveLines > 0) process.stdout.write(`\x1b[${this.liveLines}A\x1b[0J`)
    this.liveLines = 0
  }

  private drawLive(): void {
    if (this.lastLive.length === 0) return
    // Lines wider than the terminal would wrap and break the cursor arithmetic of the redraw.
    const columns = process.stdout.columns ?? 120
    process.stdout.write(this.lastLive.map((line) => line.slice(0, columns - 1)).join('\n') + '\n')
    this.liveLines = this.lastLive.length
  }
}
