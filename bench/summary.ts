/** The plain-text table the harness prints at the end of a run. */
import type { BenchmarkResult } from './results.js'
import { evaluateTargets } from './targets.js'

function cell(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

export function formatSummary(result: BenchmarkResult): string {
  const floor = result.systems.find((system) => system.id === 'floor')?.median?.totalNsPerPacket ?? null
  const header = ['system', 'P', 'total ns/pkt', 'hot ns/pkt', '× floor', 'wire B/pkt', 'heap B/flow', 'catch-up ms', 'global read ns']
  const rows = result.systems.map((system) => {
    const m = system.median
    if (system.status !== 'ok' || !m) return [system.label, cell(system.packets), `${system.status}: ${system.reason ?? ''}`]
    return [
      system.label, cell(system.packets), cell(m.totalNsPerPacket), cell(m.hotNsPerPacket),
      floor ? cell(m.totalNsPerPacket / floor, 2) : '—', cell(m.wireBytesPerPacket, 1), cell(m.heapBytesPerFlowPerReplica),
      cell(m.catchUpMs, 1), cell(m.globalReadNs, 1),
    ]
  })
  const widths = header.map((title, column) => Math.max(title.length, ...rows.filter((row) => row.length === header.length).map((row) => row[column]!.length)))
  const format = (row: string[]) => row.length === header.length
    ? row.map((text, column) => (column === 0 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!))).join('  ')
    : `${row[0]!.padEnd(widths[0]!)}  ${row.slice(1).join('  ')}`
  const lines = [format(header), ...rows.map(format)]
  if (result.convergence) {
    lines.push('', 'convergence (median rounds): ' + result.convergence.rows
      .map((row) => `R=${row.replicas} loss ${row.loss * 100}%: ${cell(row.medianRounds, 2)}`).join(', '))
  }
  lines.push('', 'targets:')
  for (const row of evaluateTargets(result)) lines.push(`  ${row.met === null ? '?' : row.met ? 'met ' : 'MISS'}  ${row.target}: ${row.measured}${row.margin ? ` — ${row.margin}` : ''}`)
  return lines.join('\n')
}
