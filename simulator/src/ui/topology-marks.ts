/** The marks of the deployment drawing: instance nodes, the traffic source and balancer, the legend, the tooltip. */
import type { InstanceView, TrafficSettings } from '../protocol.js'
import { COLORS, groupColor, instanceColor } from './colors.js'
import { formatCount } from './format.js'

export interface Point {
  x: number
  y: number
}

/**
 * One instance: its ring (its colour or its partition side's; dashed while leaving; grey and
 * crossed once crashed), the arc of the true count its global view holds, the selection ring and
 * its label when there is room.
 */
export function drawNode(
  context: CanvasRenderingContext2D, instance: InstanceView, point: Point, radius: number, trueCount: number, selected: boolean,
): void {
  const crashed = instance.status === 'crashed'
  context.beginPath()
  context.arc(point.x, point.y, radius, 0, 2 * Math.PI)
  context.fillStyle = crashed ? '#242b34' : COLORS.panel
  context.fill()
  context.lineWidth = Math.max(1.5, radius / 5)
  context.strokeStyle = crashed ? COLORS.crashed : instance.group >= 0 ? groupColor(instance.group) : instanceColor(instance.number)
  context.setLineDash(instance.status === 'leaving' ? [3, 3] : [])
  context.stroke()
  context.setLineDash([])
  if (!crashed && trueCount > 0) {
    // The arc: how much of the true count this instance's global view holds.
    const share = Math.min(1, instance.packetsGlobal / trueCount)
    context.beginPath()
    context.arc(point.x, point.y, radius + context.lineWidth + 1.5, -Math.PI / 2, -Math.PI / 2 + share * 2 * Math.PI)
    context.strokeStyle = instance.packetsGlobal === trueCount ? COLORS.ok : COLORS.leaving
    context.lineWidth = 2
    context.stroke()
  }
  if (crashed) {
    context.strokeStyle = COLORS.bad
    context.lineWidth = 2
    const arm = radius * 0.5
    context.beginPath()
    context.moveTo(point.x - arm, point.y - arm)
    context.lineTo(point.x + arm, point.y + arm)
    context.moveTo(point.x + arm, point.y - arm)
    context.lineTo(point.x - arm, point.y + arm)
    context.stroke()
  }
  if (selected) {
    context.beginPath()
    context.arc(point.x, point.y, radius + 7, 0, 2 * Math.PI)
    context.strokeStyle = COLORS.truth
    context.lineWidth = 1.5
    context.stroke()
  }
  context.fillStyle = crashed ? COLORS.muted : COLORS.text
  context.textAlign = 'center'
  context.textBaseline = 'middle'
  if (radius >= 14) context.fillText(instance.id, point.x, point.y)
  else if (radius >= 7) context.fillText(String(instance.number), point.x, point.y)
}

/** The traffic source and the load balancer, with the current rate. */
export function drawEnds(context: CanvasRenderingContext2D, source: Point, balancer: Point, traffic: TrafficSettings): void {
  context.textAlign = 'center'
  context.textBaseline = 'top'
  context.fillStyle = COLORS.traffic
  context.beginPath()
  context.arc(source.x, source.y, 12, 0, 2 * Math.PI)
  context.fill()
  context.fillStyle = COLORS.panel
  context.fillRect(balancer.x - 14, balancer.y - 14, 28, 28)
  context.strokeStyle = COLORS.traffic
  context.lineWidth = 2
  context.strokeRect(balancer.x - 14, balancer.y - 14, 28, 28)
  context.beginPath()
  context.moveTo(source.x + 12, source.y)
  context.lineTo(balancer.x - 14, balancer.y)
  context.stroke()
  context.fillStyle = COLORS.text
  context.fillText('traffic', source.x, source.y + 16)
  context.fillText(traffic.enabled ? `${formatCount(traffic.rate)}/s` : 'stopped', source.x, source.y + 30)
  context.fillText('load', balancer.x, balancer.y + 18)
  context.fillText('balancer', balancer.x, balancer.y + 31)
}

/** What the marks mean, bottom left. */
export function drawLegend(context: CanvasRenderingContext2D, height: number): void {
  const entries: [string, (x: number, y: number) => void][] = [
    ['frame in flight', (x, y) => {
      context.fillStyle = COLORS.frame
      context.beginPath()
      context.arc(x + 6, y, 3, 0, 2 * Math.PI)
      context.fill()
    }],
    ['recent gossip', (x, y) => line(context, x, y, COLORS.link, [])],
    ['balancer traffic', (x, y) => line(context, x, y, COLORS.traffic, [3, 3])],
    ['global = true count', (x, y) => line(context, x, y, COLORS.ok, [])],
  ]
  context.textAlign = 'left'
  context.textBaseline = 'middle'
  entries.forEach(([label, mark], index) => {
    const y = height - 12 - (entries.length - 1 - index) * 15
    mark(6, y)
    context.fillStyle = COLORS.muted
    context.fillText(label, 24, y)
  })
}

/** The hovered instance's numbers next to it, kept inside the canvas. */
export function drawTooltip(context: CanvasRenderingContext2D, instance: InstanceView, point: Point, trueCount: number, width: number): void {
  const lines = [
    `${instance.id} · ${instance.status} · incarnation ${instance.incarnation}`,
    `local ${formatCount(instance.packetsLocal)} · global ${formatCount(instance.packetsGlobal)}`,
    `missing ${formatCount(trueCount - instance.packetsGlobal)} · lag ${Math.round(instance.lagMs)} ms`,
    `matches local ${formatCount(instance.matchesLocal)} · global ${formatCount(instance.matchesGlobal)}`,
    `flows local ${formatCount(instance.flowsLocal)} · global ${formatCount(instance.flowsGlobal)}`,
  ]
  const boxWidth = Math.max(...lines.map((text) => context.measureText(text).width)) + 12
  const x = Math.min(point.x + 12, width - boxWidth - 4)
  const y = Math.max(4, point.y - 84)
  context.fillStyle = 'rgba(10, 14, 20, 0.92)'
  context.fillRect(x, y, boxWidth, lines.length * 15 + 8)
  context.fillStyle = COLORS.text
  context.textAlign = 'left'
  context.textBaseline = 'top'
  lines.forEach((text, index) => context.fillText(text, x + 6, y + 5 + index * 15))
}

/** A short legend stroke. */
function line(context: CanvasRenderingContext2D, x: number, y: number, color: string, dash: number[]): void {
  context.strokeStyle = color
  context.lineWidth = 2
  context.setLineDash(dash)
  context.beginPath()
  context.moveTo(x, y)
  context.lineTo(x + 12, y)
  context.stroke()
  context.setLineDash([])
}
