/**
 * The soak's chart: resident memory of every instance process over time, one line per process
 * (a restart on the same id is a new line in the same colour), labelled where it ends, with the
 * partitions shaded, the end of the traffic marked, and the kills, scale-outs and scale-ins
 * marked under the time axis. Plain SVG 1.1 drawn by code, like bench/charts.ts, whose helpers it
 * uses.
 */
import { FONT, GRID, TEXT, escape, formatValue, ticks } from '../bench/charts.js'
import type { SoakResult } from './results.js'

const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#1b7c83', '#bc4c00', '#e85aad', '#57606a', '#0550ae', '#953800', '#116329']
const MIB = 1024 * 1024
const LABEL_HEIGHT = 10
const CHAR_WIDTH = 5.6

function colorOf(id: string): string {
  const number = Number(/\d+/.exec(id)?.[0] ?? 0)
  return PALETTE[(number - 1 + PALETTE.length) % PALETTE.length]!
}

interface Label {
  text: string
  color: string
  /** Where the line ends. */
  anchorX: number
  anchorY: number
  x: number
  y: number
}

/** Moves labels down (or up, at the bottom) until no two overlap; returns them placed. */
function placeLabels(labels: Label[], top: number, bottom: number): Label[] {
  const placed: Label[] = []
  const overlaps = (a: Label, b: Label) => Math.abs(a.y - b.y) < LABEL_HEIGHT
    && a.x < b.x + b.text.length * CHAR_WIDTH + 2 && b.x < a.x + a.text.length * CHAR_WIDTH + 2
  for (const label of [...labels].sort((a, b) => a.anchorY - b.anchorY)) {
    label.y = Math.min(Math.max(label.y, top), bottom)
    for (let attempt = 0; attempt < 200 && placed.some((other) => overlaps(label, other)); attempt++) {
      label.y = label.y + LABEL_HEIGHT > bottom ? top + ((attempt * LABEL_HEIGHT) % (bottom - top)) : label.y + 2
    }
    placed.push(label)
  }
  return placed
}

export function rssChart(result: SoakResult): string {
  const width = 960
  const height = 520
  const left = 64
  const right = 96
  const top = 52
  const bottom = 96
  const plotWidth = width - left - right
  const plotHeight = height - top - bottom
  const plotBottom = top + plotHeight
  const endMs = Math.max(1, result.deployment.at(-1)?.atMs ?? 1, ...result.processes.map((series) => series.atMs.at(-1) ?? 0))
  const endMin = endMs / 60_000
  const maxMib = Math.max(1, ...result.processes.flatMap((series) => series.rssBytes.map((bytes) => bytes / MIB)))
  const yTicks = ticks(0, maxMib, false)
  // One step above the highest line, so that the top of the plot is a labelled grid line.
  if (yTicks.length > 1 && yTicks.at(-1)! < maxMib) yTicks.push(yTicks.at(-1)! + yTicks[1]! - yTicks[0]!)
  const yTop = Math.max(maxMib, yTicks.at(-1)!)
  const xTicks = ticks(0, endMin, false)
  const x = (ms: number) => left + (Math.max(0, ms) / endMs) * plotWidth
  const y = (mib: number) => plotBottom - (mib / yTop) * plotHeight
  const { options } = result
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left + plotWidth / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="${TEXT}">${escape(`Resident memory (RSS) of every instance process, ${formatValue(options.minutes)} min soak`)}</text>`,
    `<text x="${left + plotWidth / 2}" y="39" text-anchor="middle" fill="#57606a">${escape(`${options.instances} instances (${options.minInstances}–${options.maxInstances}), ${options.packetsPerSecond.toLocaleString('en-US')} packets/s, ${options.flows.toLocaleString('en-US')} flows, seed ${options.seed}; one line per process`)}</text>`,
  ]
  // Partitions: shaded from the cut to the heal.
  let cutAt: number | null = null
  for (const event of result.events) {
    if (event.kind === 'partition') cutAt = event.atMs
    if (event.kind === 'heal' && cutAt !== null) {
      parts.push(`<rect x="${x(cutAt).toFixed(1)}" y="${top}" width="${Math.max(1, x(event.atMs) - x(cutAt)).toFixed(1)}" height="${plotHeight}" fill="#fff1e5"><title>${escape(`partition ${formatValue(cutAt / 60_000)}–${formatValue(event.atMs / 60_000)} min`)}</title></rect>`)
      cutAt = null
    }
  }
  for (const tick of yTicks) {
    parts.push(`<line x1="${left}" y1="${y(tick).toFixed(1)}" x2="${left + plotWidth}" y2="${y(tick).toFixed(1)}" stroke="${GRID}"/>`)
    parts.push(`<text x="${left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" fill="${TEXT}">${formatValue(tick)}</text>`)
  }
  for (const tick of xTicks) {
    const tickX = x(tick * 60_000)
    parts.push(`<line x1="${tickX.toFixed(1)}" y1="${top}" x2="${tickX.toFixed(1)}" y2="${plotBottom}" stroke="${GRID}" stroke-opacity="0.5"/>`)
    parts.push(`<text x="${tickX.toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" fill="${TEXT}">${formatValue(tick)}</text>`)
  }
  parts.push(`<text x="${left + plotWidth / 2}" y="${plotBottom + 32}" text-anchor="middle" fill="${TEXT}">minutes since the traffic started</text>`)
  parts.push(`<text transform="translate(18 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="${TEXT}">RSS, MiB</text>`)
  const trafficEndX = x(result.trafficMs)
  parts.push(`<line x1="${trafficEndX.toFixed(1)}" y1="${top}" x2="${trafficEndX.toFixed(1)}" y2="${plotBottom}" stroke="#57606a" stroke-dasharray="4 3"/>`)
  parts.push(`<text x="${(trafficEndX - 4).toFixed(1)}" y="${top + 12}" text-anchor="end" fill="#57606a" font-size="10">traffic stops</text>`)

  const labels: Label[] = []
  for (const series of result.processes) {
    if (series.atMs.length === 0) continue
    const color = colorOf(series.id)
    const points = series.atMs.map((atMs, index) => `${index === 0 ? 'M' : 'L'}${x(atMs).toFixed(1)} ${y(series.rssBytes[index]! / MIB).toFixed(1)}`)
    const lastIndex = series.atMs.length - 1
    const peak = Math.max(...series.rssBytes) / MIB
    const title = `${series.name} (pid ${series.pid}): ${formatValue(series.rssBytes[0]! / MIB)} → ${formatValue(series.rssBytes[lastIndex]! / MIB)} MiB, peak ${formatValue(peak)} MiB${series.ended ? `, ${series.ended}` : ''}`
    parts.push(`<path d="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"><title>${escape(title)}</title></path>`)
    const anchorX = x(series.atMs[lastIndex]!)
    const anchorY = y(series.rssBytes[lastIndex]! / MIB)
    const atEnd = series.ended === null
    if (!atEnd) parts.push(`<circle cx="${anchorX.toFixed(1)}" cy="${anchorY.toFixed(1)}" r="2" fill="${color}"/>`)
    labels.push({ text: series.name, color, anchorX, anchorY, x: atEnd ? left + plotWidth + 14 : anchorX + 3, y: anchorY + 3 })
  }
  for (const label of placeLabels(labels, top + 8, plotBottom)) {
    if (Math.abs(label.y - 3 - label.anchorY) > 3 || label.x > label.anchorX + 10) {
      parts.push(`<line x1="${label.anchorX.toFixed(1)}" y1="${label.anchorY.toFixed(1)}" x2="${(label.x - 1).toFixed(1)}" y2="${(label.y - 3).toFixed(1)}" stroke="${label.color}" stroke-width="0.6" stroke-opacity="0.7"/>`)
    }
    parts.push(`<text x="${label.x.toFixed(1)}" y="${label.y.toFixed(1)}" font-size="9.5" fill="${label.color}">${escape(label.text)}</text>`)
  }

  // Events under the time axis.
  const markerY = plotBottom + 50
  const marker = (kind: string, atX: number, atY: number, title: string): string => {
    const at = atX.toFixed(1)
    if (kind === 'kill') return `<text x="${at}" y="${atY + 4}" text-anchor="middle" font-size="12" font-weight="700" fill="#cf222e">×<title>${escape(title)}</title></text>`
    if (kind === 'scale-out') return `<path d="M${at} ${atY - 5} l4.5 8 h-9 z" fill="#1a7f37"><title>${escape(title)}</title></path>`
    return `<path d="M${at} ${atY + 4} l4.5 -8 h-9 z" fill="#57606a"><title>${escape(title)}</title></path>`
  }
  parts.push(`<text x="${left - 8}" y="${markerY + 4}" text-anchor="end" fill="${TEXT}" font-size="10">events</text>`)
  for (const event of result.events) {
    if (event.kind === 'kill' || event.kind === 'scale-out' || event.kind === 'scale-in') {
      parts.push(marker(event.kind, x(event.atMs), markerY, `${formatValue(event.atMs / 60_000)} min: ${event.kind} ${event.ids.join(' ')} (${event.detail})`))
    }
  }
  const legendY = height - 14
  const legend: [string, string][] = [['kill', 'SIGKILL (restart follows)'], ['scale-out', 'scale-out (new id)'], ['scale-in', 'scale-in (leaves for good)']]
  legend.forEach(([kind, text], index) => {
    const legendX = left + index * 190
    parts.push(marker(kind, legendX + 6, legendY, text))
    parts.push(`<text x="${legendX + 16}" y="${legendY + 4}" fill="${TEXT}">${escape(text)}</text>`)
  })
  const bandX = left + 3 * 190
  parts.push(`<rect x="${bandX}" y="${legendY - 6}" width="16" height="11" fill="#fff1e5" stroke="#e0c8b0"/>`)
  parts.push(`<text x="${bandX + 22}" y="${legendY + 4}" fill="${TEXT}">partition</text>`)
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
