/**
 * The bookkeeping of catching up (src/catch-up.ts) on its own: the round trip measured from the
 * echoes of the own heartbeat, the wait of an ask, and when catching up ends.
 */
import { describe, expect, it } from 'vitest'
import { CatchUp } from '../src/catch-up.js'

/** Rounds of 20 ms, a first wait of two rounds, a longest wait of 200 ms and a silence of 200 ms. */
function catchUp(): CatchUp {
  return new CatchUp(40, 200, 200, 0)
}

describe('the round trip, from echoes of the own heartbeat', () => {
  it('is the least time from a heartbeat to a frame that lists it', () => {
    const state = catchUp()
    for (let beat = 1; beat <= 10; beat++) state.beat(beat, beat * 20)
    // Heartbeat 9 (at 180 ms) echoed at 290 ms: 110 ms; heartbeat 5 (100 ms) at 300 ms: 200 ms.
    state.echoed(9, 290)
    state.echoed(5, 300)
    expect(state.roundTripMs()).toBe(110)
  })

  it('ignores heartbeats it never sent and ones too old to have their time kept', () => {
    const state = catchUp()
    for (let beat = 1; beat <= 100; beat++) state.beat(beat, beat * 20)
    state.echoed(101, 2_010) // not sent yet: a forged or confused frame
    state.echoed(0, 2_010) // before the first heartbeat
    state.echoed(30, 2_010) // 70 heartbeats ago: its slot holds a later heartbeat's time
    expect(state.roundTripMs()).toBe(0)
    state.echoed(99, 2_050)
    expect(state.roundTripMs()).toBe(70)
  })

  it('follows a round trip that grows, within two windows of echoes', () => {
    const state = catchUp()
    let now = 0
    let beat = 0
    const echo = (ms: number) => {
      state.beat(++beat, (now += 20))
      state.echoed(beat, now + ms)
    }
    for (let i = 0; i < 64; i++) echo(10)
    expect(state.roundTripMs()).toBe(10)
    for (let i = 0; i < 63; i++) echo(100)
    // The window before still holds the shorter ones.
    expect(state.roundTripMs()).toBe(10)
    echo(100)
    expect(state.roundTripMs()).toBe(100)
  })
})

describe('an ask', () => {
  it('waits two rounds before a round trip is known, two round trips after, doubling while unanswered', () => {
    const state = catchUp()
    state.asked(0, 'a')
    expect(state.awaiting(39)).toBe(true)
    expect(state.awaiting(40)).toBe(false)
    state.asked(40, 'b')
    expect(state.awaiting(119)).toBe(true)
    expect(state.awaiting(120)).toBe(false)
    state.answered()
    for (let beat = 1; beat <= 3; beat++) state.beat(beat, 100 + beat * 20)
    state.echoed(3, 230) // 70 ms
    state.asked(240, 'c')
    expect(state.awaiting(379)).toBe(true)
    expect(state.awaiting(380)).toBe(false)
    expect(state.fromAsked('c', 'c-address')).toBe(true)
    expect(state.fromAsked('a', 'a-address')).toBe(false)
  })

  it('four unanswered in a row end catching up', () => {
    const state = catchUp()
    state.behind()
    let now = 0
    for (let ask = 0; ask < 4; ask++) {
      expect(state.caughtUp).toBe(false)
      state.asked(now, 'a')
      now += 1_000
    }
    state.asked(now, 'a')
    expect(state.caughtUp).toBe(true)
    expect(state.awaiting(now)).toBe(false)
  })

  it('sent into a silence is forgotten by the frame that ends it, unless sent within half a round trip', () => {
    const state = catchUp()
    for (let beat = 1; beat <= 3; beat++) state.beat(beat, beat * 20)
    state.echoed(3, 140) // 80 ms
    state.heard(140)
    // Nothing heard from 140 ms on; an ask at 400 ms, and a frame at 430.
    state.asked(400, 'a')
    state.heard(430)
    // Sent 30 ms before the frame, within half a round trip (40 ms): it may have crossed the heal.
    expect(state.awaiting(430)).toBe(true)
    const other = catchUp()
    other.heard(0)
    other.asked(300, 'a')
    other.heard(400)
    expect(other.awaiting(400)).toBe(false)
  })

  it('a silence of half the failure time-out starts catching up', () => {
    const state = catchUp()
    state.done()
    state.heard(100)
    expect(state.silent(299)).toBe(false)
    expect(state.silent(300)).toBe(true)
  })
})
