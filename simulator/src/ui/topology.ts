/**
 * The deployment drawn on a canvas: the traffic source and the load balancer on the left, the
 * instances on a ring, the balancer's traffic to each, gossip links that carried frames recently,
 * frames in flight moving along their link (between two views, positions follow an estimate of
 * virtual time), the cut of a partition, and each instance's global count against the truth as
 * an arc around its node. Click selects an instance; hovering shows its numbers.
 */
import type { View } from '../protocol.js'
import { fitCanvas, type FittedCanvas } from './canvas.js'
import { COLORS } from './colors.js'
import { drawEnds, drawLegend, drawNode, drawTooltip, type Point } from './topology-marks.js'

const LEFT_MARGIN = 150
const FONT = '11px system-ui, sans-serif'

export class Topology {
  /** Everything but the frames in flight: redrawn when a view arrives, the selection or hover changes. */
  private readonly base: FittedCanvas
  /** Frames in flight and the hover tooltip: redrawn every animation frame while frames move. */
  private readonly overlay: FittedCanvas
  private view: View | undefined
  private readonly positions = new Map<string, Point>()
  private nodeRadius = 10
  private source: Point = { x: 0, y: 0 }
  private balancer: Point = { x: 0, y: 0 }
  private hovered: string | null = null
  private selected: string | null = null
  private baseDue = true
  private overlayDue = true
  private overlayDrawnAtMs = Number.NaN

  constructor(baseCanvas: HTMLCanvasElement, overlayCanvas: HTMLCanvasElement, onSelect: (id: string) => void) {
    const resized = () => {
      this.layout()
      this.baseDue = true
      this.overlayDue = true
    }
    this.base = fitCanvas(baseCanvas, resized)
    this.overlay = fitCanvas(overlayCanvas, resized)
    overlayCanvas.addEventListener('click', (event) => {
      const id = this.nodeAt(event)
      if (id !== null) onSelect(id)
    })
    overlayCanvas.addEventListener('mousemove', (event) => {
      const hovered = this.nodeAt(event)
      if (hovered === this.hovered) return
      this.hovered = hovered
      overlayCanvas.style.cursor = hovered === null ? 'default' : 'pointer'
      this.baseDue = true
      this.overlayDue = true
    })
    overlayCanvas.addEventListener('mouseleave', () => {
      this.hovered = null
      this.baseDue = true
      this.overlayDue = true
    })
  }

  update(view: View, selected: string | null): void {
    const before = this.view?.instances.map((instance) => instance.id).join() ?? ''
    this.view = view
    this.selected = selected
    if (view.instances.map((instance) => instance.id).join() !== before) this.layout()
    this.baseDue = true
    this.overlayDue = true
  }

  /**
   * Draw what changed: the base layer after a new view, the frames whenever the estimated
   * virtual time `virtualNowMs` moved. `wallNowMs` moves the balancer's traffic dashes.
   */
  draw(virtualNowMs: number, wallNowMs: number): void {
    const view = this.view
    if (view === undefined) return
    if (this.baseDue) {
      this.baseDue = false
      const { context, width, height } = this.base
      context.clearRect(0, 0, width, height)
      context.font = FONT
      this.drawTraffic(context, view, wallNowMs)
      this.drawLinks(context, view)
      this.drawPartition(context, view)
      for (const instance of view.instances) {
        const point = this.positions.get(instance.id)
        if (point !== undefined) drawNode(context, instance, point, this.nodeRadius, view.trueCount, instance.id === this.selected)
      }
      drawEnds(context, this.source, this.balancer, view.settings.traffic)
      drawLegend(context, height)
    }
    if (this.overlayDue || virtualNowMs !== this.overlayDrawnAtMs) {
      this.overlayDue = false
      this.overlayDrawnAtMs = virtualNowMs
      const { context, width, height } = this.overlay
      context.clearRect(0, 0, width, height)
      context.font = FONT
      this.drawFrames(context, view, virtualNowMs)
      const hovered = view.instances.find((instance) => instance.id === this.hovered)
      const point = hovered === undefined ? undefined : this.positions.get(hovered.id)
      if (hovered !== undefined && point !== undefined) drawTooltip(context, hovered, point, view.trueCount, width)
    }
  }

  private layout(): void {
    const { width, height } = this.base
    const instances = this.view?.instances ?? []
    const ringWidth = Math.max(100, width - LEFT_MARGIN)
    const center = { x: LEFT_MARGIN + ringWidth / 2, y: height / 2 }
    const count = Math.max(1, instances.length)
    const ringRadius = Math.max(30, Math.min(ringWidth / 2, height / 2) - 30)
    this.nodeRadius = Math.max(5, Math.min(20, (Math.PI * ringRadius) / count - 3))
    this.source = { x: 34, y: center.y }
    this.balancer = { x: 104, y: center.y }
    this.positions.clear()
    instances.forEach((instance, index) => {
      // Start on the left, nearest the balancer, and go round clockwise.
      const angle = Math.PI + (index / count) * 2 * Math.PI + (count > 1 ? Math.PI / count : 0)
      this.positions.set(instance.id, { x: center.x + ringRadius * Math.cos(angle), y: center.y + ringRadius * Math.sin(angle) })
    })
  }

  private nodeAt(event: MouseEvent): string | null {
    const box = this.overlay.canvas.getBoundingClientRect()
    const x = event.clientX - box.left
    const y = event.clientY - box.top
    let best: string | null = null
    let bestDistance = this.nodeRadius + 5
    for (const [id, point] of this.positions) {
      const distance = Math.hypot(point.x - x, point.y - y)
      if (distance <= bestDistance) {
        best = id
        bestDistance = distance
      }
    }
    return best
  }

  private drawTraffic(context: CanvasRenderingContext2D, view: View, wallNowMs: number): void {
    const maxShare = Math.max(1, ...view.instances.map((instance) => instance.routedPerSec))
    context.strokeStyle = COLORS.traffic
    context.setLineDash([3, 9])
    context.lineDashOffset = view.playing ? -wallNowMs / 25 : 0
    for (const instance of view.instances) {
      const point = this.positions.get(instance.id)
      if (point === undefined || instance.routedPerSec === 0) continue
      context.globalAlpha = 0.35 + 0.5 * (instance.routedPerSec / maxShare)
      context.lineWidth = 0.8 + 2.5 * (instance.routedPerSec / maxShare)
      context.beginPath()
      context.moveTo(this.balancer.x, this.balancer.y)
      context.lineTo(point.x, point.y)
      context.stroke()
    }
    context.setLineDash([])
    context.globalAlpha = 1
  }

  /**
   * Links in a few strokes (one per opacity band) rather than one each, which keeps hundreds of
   * links cheap. In a large deployment the mesh stays faint and the links of the selected or
   * hovered instance stand out.
   */
  private drawLinks(context: CanvasRenderingContext2D, view: View): void {
    const bands = 5
    const large = view.instances.length > 16
    const focus = this.hovered ?? this.selected
    const paths = Array.from({ length: bands }, () => new Path2D())
    const focused = new Path2D()
    for (const link of view.links) {
      const a = this.positions.get(link.a)
      const b = this.positions.get(link.b)
      if (a === undefined || b === undefined) continue
      const strength = Math.min(1, link.weight / (large ? 12 : 4))
      const path = large && (link.a === focus || link.b === focus) ? focused : paths[Math.min(bands - 1, Math.floor(strength * bands))]!
      path.moveTo(a.x, a.y)
      path.lineTo(b.x, b.y)
    }
    context.strokeStyle = COLORS.link
    context.lineWidth = 1
    paths.forEach((path, band) => {
      context.globalAlpha = (large ? 0.03 : 0.1) + ((band + 1) / bands) * (large ? 0.2 : 0.5)
      context.stroke(path)
    })
    context.globalAlpha = 0.9
    context.lineWidth = 1.5
    context.stroke(focused)
    context.globalAlpha = 1
  }

  private drawFrames(context: CanvasRenderingContext2D, view: View, virtualNowMs: number): void {
    context.fillStyle = COLORS.frame
    const dots = new Path2D()
    for (const frame of view.frames) {
      const from = this.positions.get(frame.from)
      const to = this.positions.get(frame.to)
      if (from === undefined || to === undefined) continue
      const progress = frame.dueMs === frame.sentMs ? 1 : (virtualNowMs - frame.sentMs) / (frame.dueMs - frame.sentMs)
      if (progress >= 1) continue
      // From the sender's rim to the receiver's, so a frame just sent is not hidden by its node.
      const length = Math.hypot(to.x - from.x, to.y - from.y) || 1
      const rim = Math.min(this.nodeRadius + 3, length / 2) / length
      const share = rim + Math.max(0, progress) * (1 - 2 * rim)
      const radius = 1.5 + Math.min(3, Math.log2(1 + frame.sizeBytes) / 4)
      const x = from.x + (to.x - from.x) * share
      const y = from.y + (to.y - from.y) * share
      dots.moveTo(x + radius, y)
      dots.arc(x, y, radius, 0, 2 * Math.PI)
    }
    context.fill(dots)
  }

  /** Partition sides are contiguous on the ring: mark each cut and join the first two. */
  private drawPartition(context: CanvasRenderingContext2D, view: View): void {
    if (view.partition === null) return
    const instances = view.instances
    const cuts: Point[] = []
    instances.forEach((instance, index) => {
      const next = instances[(index + 1) % instances.length]!
      if (next.group === instance.group) return
      const a = this.positions.get(instance.id)!
      const b = this.positions.get(next.id)!
      cuts.push({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 })
    })
    if (cuts.length < 2) return
    const { width, height } = this.base
    const center = { x: LEFT_MARGIN + Math.max(100, width - LEFT_MARGIN) / 2, y: height / 2 }
    const outward = (point: Point, by: number): Point => {
      const length = Math.hypot(point.x - center.x, point.y - center.y) || 1
      return { x: point.x + ((point.x - center.x) / length) * by, y: point.y + ((point.y - center.y) / length) * by }
    }
    context.strokeStyle = COLORS.bad
    context.lineWidth = 2
    context.setLineDash([6, 5])
    const start = outward(cuts[0]!, 24)
    const end = outward(cuts[1]!, 24)
    context.beginPath()
    context.moveTo(start.x, start.y)
    context.lineTo(end.x, end.y)
    context.stroke()
    context.setLineDash([])
    context.fillStyle = COLORS.bad
    context.textAlign = 'left'
    context.textBaseline = 'top'
    context.fillText(`partitioned: ${view.partition.length} sides`, LEFT_MARGIN + 4, 6)
  }
}
