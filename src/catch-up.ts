/**
 * A replica's first exchange (docs/protocol.md, "Joining"): until it holds what one peer holds,
 * a replica asks one peer at a time and waits for that peer's answer before asking again.
 *
 * Otherwise every peer it pushes to answers with everything, and so does every peer it asks
 * back when their pushes reach it: where an answer takes longer than a gossip round (a large
 * state, or a latency near the round), a joiner of a group of 16 with 40 to 60 ms of latency and
 * 20 ms rounds received seven to eleven copies of the state, more with a longer latency
 * (test/replica/join-copies.test.ts).
 */
export class CatchUp {
  /** Whether the first exchange is over: from then on, the usual rounds. */
  joined = false
  private askedAt = Number.NEGATIVE_INFINITY
  private asking = false
  private waitMs: number

  /**
   * `firstWaitMs`: how long the first ask waits for its answer before another is sent; each
   * unanswered ask doubles the wait, up to `longestWaitMs`.
   */
  constructor(private readonly firstWaitMs: number, private readonly longestWaitMs: number) {
    this.waitMs = firstWaitMs
  }

  /** Whether an ask is on its way: a round then sends nothing. */
  awaiting(now: number): boolean {
    return this.asking && now - this.askedAt < this.waitMs
  }

  /** A round asked a peer (a push) at `now`. An earlier ask that was never answered doubles the wait. */
  asked(now: number): void {
    if (this.asking) this.waitMs = Math.min(2 * this.waitMs, this.longestWaitMs)
    this.asking = true
    this.askedAt = now
  }

  /** An answer brought part of what its sender holds, and the rest was asked of it at `now`. */
  askedForMore(now: number): void {
    this.asking = true
    this.askedAt = now
    this.waitMs = this.firstWaitMs
  }

  /** The replica holds what a peer holds (or an answer brought nothing more): usual rounds from now. */
  done(): void {
    this.joined = true
    this.asking = false
  }
}
