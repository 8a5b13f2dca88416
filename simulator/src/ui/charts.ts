/**
 * The four charts over virtual time: each instance's global packet count against the true
 * count, what each global view is missing (true − global), gossip lag per instance, and the
 * bytes per second all instances hand to the network. They keep the last `WINDOW_MS` of
 * samples and redraw at most `REDRAW_EVERY_MS`, and only when samples arrived.
 */
import type { InstanceView, Sample } from '../protocol.js'
import { fitCanvas, type FittedCanvas } from './canvas.js'
import { drawChart, type ChartSeries } from './chart.js'
import { COLORS, instanceColor } from './colors.js'
import { byId } from './dom.js'
import { formatCompact } from './format.js'

const WINDOW_MS = 30_000
const REDRAW_EVERY_MS = 200

/** Per instance, the values of one measure aligned with the kept samples (`NaN` where absent). */
function seriesOf(samples: readonly Sample[], measure: (sample: Sample, index: number) => number): Map<string, number[]> {
  const byInstance = new Map<string, number[]>()
  samples.forEach((sample, sampleIndex) => {
    sample.instances.forEach((instance, instanceIndex) => {
      let values = byInstance.get(instance.id)
      if (values === undefined) byInstance.set(instance.id, (values = new Array<number>(samples.length).fill(Number.NaN)))
      values[sampleIndex] = measure(sample, instanceIndex)
    })
  })
  return byInstance
}

export class Charts {
  private samples: Sample[] = []
  private numbers = new Map<string, number>()
  private dirty = true
  private lastDrawMs = 0
  private readonly counts: FittedCanvas
  private readonly missing: FittedCanvas
  private readonly lag: FittedCanvas
  private readonly bytes: FittedCanvas

  constructor() {
    const redraw = () => {
      this.dirty = true
      this.lastDrawMs = 0
    }
    this.counts = fitCanvas(byId<HTMLCanvasElement>('chart-counts'), redraw)
    this.missing = fitCanvas(byId<HTMLCanvasElement>('chart-missing'), redraw)
    this.lag = fitCanvas(byId<HTMLCanvasElement>('chart-lag'), redraw)
    this.bytes = fitCanvas(byId<HTMLCanvasElement>('chart-bytes'), redraw)
  }

  reset(): void {
    this.samples = []
    this.numbers.clear()
    this.dirty = true
  }

  add(samples: readonly Sample[], instances: readonly InstanceView[]): void {
    if (samples.length === 0) return
    for (const instance of instances) this.numbers.set(instance.id, instance.number)
    this.samples.push(...samples)
    const fromMs = this.samples[this.samples.length - 1]!.atMs - WINDOW_MS
    let drop = 0
    while (drop < this.samples.length && this.samples[drop]!.atMs < fromMs) drop++
    if (drop > 0) this.samples.splice(0, drop)
    this.dirty = true
  }

  /** Redraw if samples arrived and the last redraw is old enough; call once per animation frame. */
  render(nowWallMs: number): void {
    if (!this.dirty || nowWallMs - this.lastDrawMs < REDRAW_EVERY_MS) return
    this.dirty = false
    this.lastDrawMs = nowWallMs
    const samples = this.samples
    const times = samples.map((sample) => sample.atMs)
    const toMs = Math.max(WINDOW_MS, times[times.length - 1] ?? 0)
    const fromMs = toMs - WINDOW_MS
    const truth = samples.map((sample) => sample.trueCount)
    const perInstance = (values: Map<string, number[]>): ChartSeries[] =>
      [...values].map(([id, series]) => ({ values: series, color: instanceColor(this.numbers.get(id) ?? 0, 0.85), width: 1.2 }))
    const instanceLegend = { label: 'instances', color: instanceColor(1) }
    const frame = { times, fromMs, toMs }

    drawChart(this.counts, {
      ...frame,
      title: 'global packet count vs true count',
      series: [
        ...perInstance(seriesOf(samples, (sample, index) => sample.instances[index]!.global)),
        { values: truth, color: COLORS.truth, width: 2, dash: [5, 4] },
      ],
      legend: [instanceLegend, { label: 'true count', color: COLORS.truth, dash: true }],
      format: formatCompact,
    })
    drawChart(this.missing, {
      ...frame,
      title: 'missing from each global view (true − global)',
      series: perInstance(seriesOf(samples, (sample, index) => sample.trueCount - sample.instances[index]!.global)),
      legend: [instanceLegend],
      format: formatCompact,
    })
    drawChart(this.lag, {
      ...frame,
      title: 'gossip lag (ms)',
      series: perInstance(seriesOf(samples, (sample, index) => sample.instances[index]!.lagMs)),
      legend: [instanceLegend],
      format: formatCompact,
    })
    drawChart(this.bytes, {
      ...frame,
      title: 'gossip bytes / virtual s, all instances',
      series: [{ values: samples.map((sample) => sample.bytesPerSec), color: COLORS.link, width: 1.6 }],
      legend: [{ label: 'bytes/s sent', color: COLORS.link }],
      format: (value) => `${formatCompact(value)}B`,
    })
  }
}
