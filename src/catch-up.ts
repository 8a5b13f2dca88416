/**
 * Catching up (docs/protocol.md, "Catching up"): while a replica lacks what its peers hold, it
 * asks one peer at a time for it and waits for that peer's answer before asking another.
 *
 * Every peer a replica pushes to answers with everything it lacks, and so does every peer it
 * asks back when their pushes reach it. Where an answer takes longer than a gossip round (a
 * large state, or a latency near the round), that is many copies of the same state:
 * - a joiner of a group of 16 with 40 to 60 ms of latency and 20 ms rounds received seven to
 *   eleven copies (test/replica/join-copies.test.ts);
 * - a replica of such a group cut off by a partition longer than the failure time-out received
 *   25 and 30 copies of what it missed once healed (test/replica/heal-copies.test.ts).
 *
 * A replica catches up from its start (a joiner, or a restart from its store), after hearing
 * from no peer for half the failure time-out (cut off, or alone), when a peer it believed
 * failed shows it something it lacks (a healed partition seen from either side), and when a
 * frame shows it lacks far more than a round brings (a shorter partition). Its rounds
 * then send the ask to one peer and, to the others, frames that carry its changes without
 * asking for anything (src/gossip.ts `push`), so its own writes spread as usual. It is caught
 * up once a frame shows it holds what its sender holds, where the sender is the peer asked or
 * nobody claimed more: a peer cut off with it holds no more than it does.
 */
/** Own heartbeats whose times are kept, to time their echoes (`echoed`). */
const BEATS_KEPT = 64
/** Echoes per window of the round-trip minimum: the estimate is the least of this window's and the last one's. */
const ECHOES_PER_WINDOW = 64
/** Asks unanswered in a row that end catching up. */
const UNANSWERED_ASKS = 4

export class CatchUp {
  /** Whether the replica holds what its peers reported: the usual rounds. */
  caughtUp = false
  private askedAt = Number.NEGATIVE_INFINITY
  private asking = false
  /** Who was asked: a peer's `incarnation:id` key, or a seed's address. */
  private askedOf = ''
  private waitMs: number
  private heardAt: number
  /** Time of each of the last `BEATS_KEPT` own heartbeats, by heartbeat modulo `BEATS_KEPT`. */
  private readonly beatTimes = new Float64Array(BEATS_KEPT)
  private lastBeat = 0
  private windowMinMs = Number.POSITIVE_INFINITY
  private previousMinMs = Number.POSITIVE_INFINITY
  private echoes = 0
  /** Asks in a row that went unanswered. */
  private unanswered = 0

  /**
   * `firstWaitMs`: how long an ask waits for its answer before another is sent, or two round
   * trips once one was measured (`echoed`) if longer; each unanswered ask doubles the wait, up
   * to `longestWaitMs` (or that first wait), and `UNANSWERED_ASKS` in a row end catching up
   * (nobody has more to send, or nobody hears). `silenceMs`: hearing
   * from no peer for that long starts catching up, and an ask sent into such a silence is
   * forgotten by the first frame that ends it.
   */
  constructor(private readonly firstWaitMs: number, private readonly longestWaitMs: number, private readonly silenceMs: number, now: number) {
    this.waitMs = firstWaitMs
    this.heardAt = now
  }

  /** Whether an ask is on its way: nobody else is asked meanwhile. */
  awaiting(now: number): boolean {
    return this.asking && now - this.askedAt < this.waitMs
  }

  /** Whether a frame of peer `key` at `address` is the answer to the ask on its way. */
  fromAsked(key: string, address: string): boolean {
    return this.asking && (key === this.askedOf || address === this.askedOf)
  }

  /**
   * `of` was asked at `now`: a round's push, or an answer to its frame that asks for more. An
   * earlier ask that was never answered doubles the wait.
   */
  asked(now: number, of: string): void {
    if (this.asking) this.unanswered++
    // Asks unanswered time and again: nobody has more to send (or nobody hears); usual rounds.
    if (this.unanswered >= UNANSWERED_ASKS) {
      this.done()
      return
    }
    const first = this.firstWait()
    this.waitMs = this.asking ? Math.min(2 * this.waitMs, Math.max(this.longestWaitMs, first)) : first
    this.asking = true
    this.askedAt = now
    this.askedOf = of
  }

  /** The peer asked answered: the next ask waits afresh. */
  answered(): void {
    this.asking = false
    this.unanswered = 0
  }

  /** This replica's heartbeat moved to `heartbeat` at `now` (once a round). */
  beat(heartbeat: number, now: number): void {
    this.beatTimes[heartbeat % BEATS_KEPT] = now
    this.lastBeat = heartbeat
  }

  /**
   * A peer's frame, arriving at `now`, listed our heartbeat as `heartbeat`: the time since that
   * heartbeat is a round trip, plus however long it took to reach the peer and the peer to send
   * to us. The least of many is about the round trip, with no clock shared between replicas.
   */
  echoed(heartbeat: number, now: number): void {
    if (heartbeat <= 0 || heartbeat > this.lastBeat || this.lastBeat - heartbeat >= BEATS_KEPT) return
    const ms = now - this.beatTimes[heartbeat % BEATS_KEPT]!
    if (ms < this.windowMinMs) this.windowMinMs = ms
    if (++this.echoes === ECHOES_PER_WINDOW) {
      this.previousMinMs = this.windowMinMs
      this.windowMinMs = Number.POSITIVE_INFINITY
      this.echoes = 0
    }
  }

  /** The least round trip lately measured; 0 before any. */
  roundTripMs(): number {
    const least = Math.min(this.windowMinMs, this.previousMinMs)
    return least === Number.POSITIVE_INFINITY ? 0 : least
  }

  private firstWait(): number {
    return Math.max(this.firstWaitMs, 2 * this.roundTripMs())
  }

  /**
   * A frame arrived from a peer at `now`. The first after a silence forgets an ask sent into it:
   * one sent more than half a round trip before (all of it without one measured), which the
   * partition most likely lost. A later one may have crossed the heal, and is waited for.
   */
  heard(now: number): void {
    if (now - this.heardAt >= this.silenceMs && this.askedAt > this.heardAt && this.askedAt < now - this.roundTripMs() / 2) this.forgetAsk()
    this.heardAt = now
  }

  /** Whether no peer was heard from for the silence: the round starts catching up. */
  silent(now: number): boolean {
    return now - this.heardAt >= this.silenceMs
  }

  /** The replica lacks what a peer holds, and catches up from now. */
  behind(): void {
    this.caughtUp = false
  }

  /** The replica holds what a peer holds (or an answer brought nothing more): usual rounds from now. */
  done(): void {
    this.caughtUp = true
    this.forgetAsk()
  }

  private forgetAsk(): void {
    this.asking = false
    this.askedOf = ''
    this.unanswered = 0
  }
}
