/** Frames per second of the page, over a sliding second of animation frames. */

export class FrameRate {
  private readonly stamps: number[] = []

  /** Record a frame at `nowMs`; returns the frames in the last second. */
  tick(nowMs: number): number {
    this.stamps.push(nowMs)
    while (this.stamps.length > 0 && nowMs - this.stamps[0]! > 1000) this.stamps.shift()
    return this.stamps.length
  }
}
