/**
 * Which pairs of instances gossiped recently: every frame seen in flight adds one to its pair's
 * weight, and weights halve every `HALF_LIFE_MS` virtual ms. Frames are seen by sampling the
 * network's frames in flight after each step, so a frame sent and delivered within one step is
 * missed: the weights are a sample of the gossip for drawing, not a count of it.
 */
import type { InFlightFrame } from 'elastic-state/sim'
import type { LinkView } from '../protocol.js'

const HALF_LIFE_MS = 300
/** Links a view carries at most, the busiest first: enough to draw 64 instances and more. */
const MAX_LINKS = 800
/** Below this weight a link is forgotten. */
const FORGET_BELOW = 0.05

interface Link {
  readonly a: string
  readonly b: string
  weight: number
  atMs: number
}

function decayed(link: Link, nowMs: number): number {
  return link.weight * 2 ** (-(nowMs - link.atMs) / HALF_LIFE_MS)
}

export class LinkActivity {
  private readonly links = new Map<string, Link>()
  private readonly seen = new WeakSet<InFlightFrame>()

  /** Count the frames not seen before; `frames` is the network's list of frames in flight. */
  note(frames: readonly InFlightFrame[], nowMs: number): void {
    for (const frame of frames) {
      if (this.seen.has(frame)) continue
      this.seen.add(frame)
      const [a, b] = frame.from < frame.to ? [frame.from, frame.to] : [frame.to, frame.from]
      const key = `${a}|${b}`
      const link = this.links.get(key)
      if (link === undefined) this.links.set(key, { a, b, weight: 1, atMs: nowMs })
      else {
        link.weight = decayed(link, nowMs) + 1
        link.atMs = nowMs
      }
    }
  }

  /** The busiest recent links at `nowMs`. */
  views(nowMs: number): LinkView[] {
    const views: LinkView[] = []
    for (const [key, link] of this.links) {
      const weight = decayed(link, nowMs)
      if (weight < FORGET_BELOW) this.links.delete(key)
      else views.push({ a: link.a, b: link.b, weight })
    }
    return views.length <= MAX_LINKS ? views : views.sort((x, y) => y.weight - x.weight).slice(0, MAX_LINKS)
  }
}
