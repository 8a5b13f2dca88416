/**
 * A line chart on a canvas: a title, a legend, a value axis with round ticks, a virtual-time
 * axis, and any number of series over shared sample times. `NaN` values break a line (an
 * instance that did not exist yet, or had crashed).
 */
import type { FittedCanvas } from './canvas.js'
import { COLORS } from './colors.js'

export interface ChartSeries {
  values: readonly number[]
  color: string
  width: number
  dash?: number[]
}

export interface LegendEntry {
  label: string
  color: string
  dash?: boolean
}

export interface ChartSpec {
  title: string
  /** Virtual ms of each sample; series values are aligned with these. */
  times: readonly number[]
  fromMs: number
  toMs: number
  series: ChartSeries[]
  legend: LegendEntry[]
  format(value: number): string
}

const PADDING = { left: 46, right: 10, top: 22, bottom: 18 }
const FONT = '11px system-ui, sans-serif'

/** A step of 1, 2 or 5 times a power of ten giving about `count` ticks over `span`. */
function tickStep(span: number, count: number): number {
  const raw = span / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const scaled = raw / power
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power
}

function valueRange(spec: ChartSpec, first: number): [number, number] {
  let min = 0
  let max = 0
  for (const series of spec.series) {
    for (let index = first; index < spec.times.length; index++) {
      const value = series.values[index]!
      if (!Number.isFinite(value)) continue
      if (value < min) min = value
      if (value > max) max = value
    }
  }
  if (max === min) max = min + 1
  const step = tickStep(max - min, 4)
  return [Math.floor(min / step) * step, Math.ceil(max / step) * step]
}

export function drawChart(target: FittedCanvas, spec: ChartSpec): void {
  const { context, width, height } = target
  context.clearRect(0, 0, width, height)
  context.font = FONT
  const plotLeft = PADDING.left
  const plotRight = width - PADDING.right
  const plotTop = PADDING.top
  const plotBottom = height - PADDING.bottom
  const plotWidth = Math.max(1, plotRight - plotLeft)
  const plotHeight = Math.max(1, plotBottom - plotTop)

  let first = 0
  while (first < spec.times.length && spec.times[first]! < spec.fromMs) first++
  const [minValue, maxValue] = valueRange(spec, first)
  const spanMs = Math.max(1, spec.toMs - spec.fromMs)
  const x = (timeMs: number) => plotLeft + ((timeMs - spec.fromMs) / spanMs) * plotWidth
  const y = (value: number) => plotBottom - ((value - minValue) / (maxValue - minValue)) * plotHeight

  context.fillStyle = COLORS.text
  context.textBaseline = 'top'
  context.textAlign = 'left'
  context.fillText(spec.title, 4, 4)
  drawLegend(context, spec.legend, plotRight)

  context.strokeStyle = COLORS.grid
  context.lineWidth = 1
  context.fillStyle = COLORS.muted
  context.textAlign = 'right'
  context.textBaseline = 'middle'
  const valueStep = tickStep(maxValue - minValue, 4)
  for (let value = minValue; value <= maxValue + valueStep / 2; value += valueStep) {
    const row = Math.round(y(value)) + 0.5
    context.beginPath()
    context.moveTo(plotLeft, row)
    context.lineTo(plotRight, row)
    context.stroke()
    context.fillText(spec.format(value), plotLeft - 4, row)
  }
  context.textAlign = 'center'
  context.textBaseline = 'top'
  const timeStep = tickStep(spanMs, Math.max(2, Math.floor(plotWidth / 80)))
  for (let timeMs = Math.ceil(spec.fromMs / timeStep) * timeStep; timeMs <= spec.toMs; timeMs += timeStep) {
    context.fillText(`${(timeMs / 1000).toFixed(timeStep < 1000 ? 1 : 0)} s`, x(timeMs), plotBottom + 3)
  }

  context.save()
  context.beginPath()
  context.rect(plotLeft, plotTop - 2, plotWidth, plotHeight + 4)
  context.clip()
  context.lineJoin = 'round'
  // More samples than pixels add nothing but drawing time.
  const stride = Math.max(1, Math.floor((spec.times.length - first) / (plotWidth * 1.5)))
  for (const series of spec.series) {
    context.strokeStyle = series.color
    context.lineWidth = series.width
    context.setLineDash(series.dash ?? [])
    context.beginPath()
    let drawing = false
    for (let index = first; index < spec.times.length; index += stride) {
      const value = series.values[index]!
      if (!Number.isFinite(value)) {
        drawing = false
        continue
      }
      const px = x(spec.times[index]!)
      const py = y(value)
      if (drawing) context.lineTo(px, py)
      else context.moveTo(px, py)
      drawing = true
    }
    context.stroke()
  }
  context.restore()
  context.setLineDash([])
}

function drawLegend(context: CanvasRenderingContext2D, legend: readonly LegendEntry[], right: number): void {
  let cursor = right
  context.textAlign = 'right'
  context.textBaseline = 'top'
  for (const entry of [...legend].reverse()) {
    context.fillStyle = COLORS.muted
    context.fillText(entry.label, cursor, 5)
    cursor -= context.measureText(entry.label).width + 4
    context.strokeStyle = entry.color
    context.lineWidth = 2
    context.setLineDash(entry.dash === true ? [4, 3] : [])
    context.beginPath()
    context.moveTo(cursor - 14, 11)
    context.lineTo(cursor, 11)
    context.stroke()
    context.setLineDash([])
    cursor -= 26
  }
}
