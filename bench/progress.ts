/**
 * A progress bar per system on the terminal (redrawn in place), or, when the output is not a
 * terminal (CI, tests), one line per finished run.
 */

const BAR_WIDTH = 24
const REDRAW_INTERVAL_MS = 100

interface Row {
  label: string
  /** 0..1 over all of the row's work. */
  fraction: number
  status: string
}

export class ProgressBoard {
  private readonly rows = new Map<string, Row>()
  private readonly interactive: boolean
  private drawnLines = 0
  private lastDrawAt = 0
  private readonly labelWidth: number

  constructor(rows: { id: string; label: string }[], private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.interactive = stream.isTTY === true && process.env['CI'] === undefined
    for (const row of rows) this.rows.set(row.id, { label: row.label, fraction: 0, status: 'waiting' })
    this.labelWidth = Math.max(...rows.map((row) => row.label.length), 8)
    this.draw(true)
  }

  update(id: string, fraction: number, status: string): void {
    const row = this.rows.get(id)
    if (!row) return
    row.fraction = Math.min(1, Math.max(0, fraction))
    row.status = status
    this.draw(false)
  }

  /** A finished step: redrawn at once on a terminal, printed as a line otherwise. */
  step(id: string, fraction: number, status: string): void {
    const row = this.rows.get(id)
    if (!row) return
    row.fraction = Math.min(1, Math.max(0, fraction))
    row.status = status
    if (this.interactive) this.draw(true)
    else this.stream.write(`${this.line(row)}\n`)
  }

  /** A message above the bars. */
  note(message: string): void {
    if (this.interactive) {
      this.clear()
      this.stream.write(`${message}\n`)
      this.draw(true)
    } else {
      this.stream.write(`${message}\n`)
    }
  }

  close(): void {
    if (this.interactive) this.draw(true)
    this.drawnLines = 0
  }

  private line(row: Row): string {
    const filled = Math.round(row.fraction * BAR_WIDTH)
    const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`
    const percent = `${Math.floor(row.fraction * 100)}`.padStart(3)
    return `${row.label.padEnd(this.labelWidth)} [${bar}] ${percent}%  ${row.status}`
  }

  private clear(): void {
    if (this.drawnLines > 0) this.stream.write(`\u001b[${this.drawnLines}A\u001b[J`)
    this.drawnLines = 0
  }

  private draw(force: boolean): void {
    if (!this.interactive) return
    const now = Date.now()
    if (!force && now - this.lastDrawAt < REDRAW_INTERVAL_MS) return
    this.lastDrawAt = now
    this.clear()
    const columns = this.stream.columns ?? 120
    const lines = [...this.rows.values()].map((row) => this.line(row).slice(0, columns - 1))
    this.stream.write(`${lines.join('\n')}\n`)
    this.drawnLines = lines.length
  }
}
