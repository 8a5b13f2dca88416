/**
 * SVG charts for the report, drawn from the figures by code: horizontal bar charts (log or
 * linear scale, one or more series per category) and a line chart. Plain SVG 1.1, no scripts,
 * so the files render on GitHub and in any browser.
 */

export const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
export const TEXT = '#1f2328'
export const GRID = '#d0d7de'

export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export function formatValue(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })} M`
  if (value >= 1e4) return `${(value / 1e3).toLocaleString('en-US', { maximumFractionDigits: 1 })} k`
  if (value >= 100) return value.toLocaleString('en-US', { maximumFractionDigits: 0 })
  return value.toLocaleString('en-US', { maximumFractionDigits: value >= 10 ? 1 : 2 })
}

export interface BarSeries {
  name: string
  color: string
  /** One value per category; null draws nothing (no result). */
  values: (number | null)[]
}

export interface BarChartSpec {
  title: string
  unit: string
  categories: string[]
  series: BarSeries[]
  log: boolean
}

/** Tick values for an axis from `low` to `high`: powers of ten on a log axis, round steps on a linear one. */
export function ticks(low: number, high: number, log: boolean): number[] {
  if (log) {
    const values: number[] = []
    for (let exponent = Math.floor(Math.log10(low)); 10 ** exponent <= high * 1.0001; exponent++) values.push(10 ** exponent)
    return values
  }
  const step = 10 ** Math.floor(Math.log10(high / 5 || 1))
  const nice = [1, 2, 5, 10].map((factor) => factor * step).find((candidate) => high / candidate <= 6) ?? step * 10
  const values: number[] = []
  for (let value = 0; value <= high * 1.0001; value += nice) values.push(value)
  return values
}

export function horizontalBarChart(spec: BarChartSpec): string {
  const present = spec.series.flatMap((series) => series.values).filter((value): value is number => value !== null && value > 0)
  const labelWidth = Math.max(120, ...spec.categories.map((category) => category.length * 7 + 16))
  const plotWidth = 520
  const barHeight = 14
  const groupGap = 10
  const groupHeight = spec.series.length * barHeight + groupGap
  const top = 48
  const legendHeight = spec.series.length > 1 ? 22 : 0
  const plotHeight = spec.categories.length * groupHeight
  const width = labelWidth + plotWidth + 90
  const height = top + legendHeight + plotHeight + 40
  const low = present.length ? Math.min(...present) : 1
  const high = present.length ? Math.max(...present) : 1
  const axisLow = spec.log ? 10 ** Math.floor(Math.log10(low)) : 0
  const axisHigh = spec.log ? 10 ** Math.ceil(Math.log10(high)) : Math.max(...ticks(0, high, false), high)
  const x = (value: number) => spec.log
    ? labelWidth + (Math.log10(value) - Math.log10(axisLow)) / (Math.log10(axisHigh) - Math.log10(axisLow) || 1) * plotWidth
    : labelWidth + value / (axisHigh || 1) * plotWidth
  const plotTop = top + legendHeight
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="${TEXT}">${escape(spec.title)}</text>`,
  ]
  spec.series.forEach((series, index) => {
    if (spec.series.length < 2) return
    const legendX = labelWidth + index * 170
    parts.push(`<rect x="${legendX}" y="${top - 4}" width="12" height="12" fill="${series.color}"/>`)
    parts.push(`<text x="${legendX + 18}" y="${top + 6}" fill="${TEXT}">${escape(series.name)}</text>`)
  })
  for (const tick of ticks(axisLow || 1, axisHigh, spec.log).filter((value) => value >= axisLow && value <= axisHigh)) {
    const tickX = x(tick)
    parts.push(`<line x1="${tickX.toFixed(1)}" y1="${plotTop - 4}" x2="${tickX.toFixed(1)}" y2="${plotTop + plotHeight}" stroke="${GRID}"/>`)
    parts.push(`<text x="${tickX.toFixed(1)}" y="${plotTop + plotHeight + 16}" text-anchor="middle" fill="${TEXT}">${formatValue(tick)}</text>`)
  }
  parts.push(`<text x="${labelWidth + plotWidth / 2}" y="${height - 6}" text-anchor="middle" fill="${TEXT}">${escape(spec.unit)}${spec.log ? ' (log scale)' : ''}</text>`)
  spec.categories.forEach((category, categoryIndex) => {
    const groupTop = plotTop + categoryIndex * groupHeight
    parts.push(`<text x="${labelWidth - 8}" y="${groupTop + (spec.series.length * barHeight) / 2 + 4}" text-anchor="end" fill="${TEXT}">${escape(category)}</text>`)
    spec.series.forEach((series, seriesIndex) => {
      const value = series.values[categoryIndex]
      const barTop = groupTop + seriesIndex * barHeight
      if (value === null || value === undefined || value <= 0) {
        parts.push(`<text x="${labelWidth + 4}" y="${barTop + barHeight - 3}" fill="#57606a">no result</text>`)
        return
      }
      const barEnd = Math.max(x(value), labelWidth + 1)
      parts.push(`<rect x="${labelWidth}" y="${barTop + 1}" width="${(barEnd - labelWidth).toFixed(1)}" height="${barHeight - 2}" fill="${series.color}"><title>${escape(`${category}, ${series.name}: ${formatValue(value)} ${spec.unit}`)}</title></rect>`)
      parts.push(`<text x="${(barEnd + 4).toFixed(1)}" y="${barTop + barHeight - 3}" fill="${TEXT}">${formatValue(value)}</text>`)
    })
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

export interface LineSeries {
  name: string
  color: string
  points: [number, number][]
  dashed?: boolean
}

export interface LineChartSpec {
  title: string
  xLabel: string
  yLabel: string
  /** x positions on a log2 scale (R = 4, 16, 64, 256). */
  xValues: number[]
  series: LineSeries[]
}

export function lineChart(spec: LineChartSpec): string {
  const width = 640
  const height = 380
  const left = 64
  const right = 180
  const top = 44
  const bottom = 56
  const plotWidth = width - left - right
  const plotHeight = height - top - bottom
  const xs = spec.xValues.map(Math.log2)
  const xMin = Math.min(...xs)
  const xMax = Math.max(...xs)
  const yMax = Math.max(1, ...spec.series.flatMap((series) => series.points.map(([, y]) => y)))
  const yTicks = ticks(0, yMax, false)
  const yTop = Math.max(yMax, yTicks.at(-1)!)
  const x = (value: number) => left + (xMax === xMin ? plotWidth / 2 : (Math.log2(value) - xMin) / (xMax - xMin) * plotWidth)
  const y = (value: number) => top + plotHeight - value / yTop * plotHeight
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left + plotWidth / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="${TEXT}">${escape(spec.title)}</text>`,
  ]
  for (const tick of yTicks) {
    parts.push(`<line x1="${left}" y1="${y(tick).toFixed(1)}" x2="${left + plotWidth}" y2="${y(tick).toFixed(1)}" stroke="${GRID}"/>`)
    parts.push(`<text x="${left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" fill="${TEXT}">${formatValue(tick)}</text>`)
  }
  for (const value of spec.xValues) {
    parts.push(`<line x1="${x(value).toFixed(1)}" y1="${top}" x2="${x(value).toFixed(1)}" y2="${top + plotHeight}" stroke="${GRID}"/>`)
    parts.push(`<text x="${x(value).toFixed(1)}" y="${top + plotHeight + 18}" text-anchor="middle" fill="${TEXT}">${value}</text>`)
  }
  parts.push(`<text x="${left + plotWidth / 2}" y="${height - 12}" text-anchor="middle" fill="${TEXT}">${escape(spec.xLabel)}</text>`)
  parts.push(`<text transform="translate(18 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="${TEXT}">${escape(spec.yLabel)}</text>`)
  spec.series.forEach((series, index) => {
    const path = series.points.map(([px, py], point) => `${point === 0 ? 'M' : 'L'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`).join(' ')
    parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    for (const [px, py] of series.points) {
      parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${series.color}"><title>${escape(`${series.name}, R = ${px}: ${formatValue(py)}`)}</title></circle>`)
    }
    const legendY = top + 10 + index * 20
    parts.push(`<line x1="${left + plotWidth + 16}" y1="${legendY}" x2="${left + plotWidth + 40}" y2="${legendY}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    parts.push(`<text x="${left + plotWidth + 46}" y="${legendY + 4}" fill="${TEXT}">${escape(series.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
