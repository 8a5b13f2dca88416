import { describe, expect, it } from 'vitest'
import * as prng from 'lib0/prng'
import { EventQueue } from '../../src/sim/event-queue.js'

describe('EventQueue', () => {
  it.each([1, 2, 3, 99])('pops by (time, insertion order), skipping cancelled events (seed %i)', (seed) => {
    const random = prng.create(seed)
    const queue = new EventQueue()
    const expected: Array<{ timeMs: number; seq: number }> = []
    for (let index = 0; index < 500; index++) {
      const event = queue.push(prng.uint32(random, 0, 50), () => {})
      if (prng.bool(random)) event.cancelled = true
      else expected.push({ timeMs: event.timeMs, seq: event.seq })
    }
    expected.sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq)
    const popped: Array<{ timeMs: number; seq: number }> = []
    for (let event = queue.popDue(Infinity); event !== undefined; event = queue.popDue(Infinity)) {
      popped.push({ timeMs: event.timeMs, seq: event.seq })
    }
    expect(popped, `seed ${seed}`).toEqual(expected)
    expect(queue.size).toBe(0)
  })

  it('leaves events due later than the limit in the queue', () => {
    const queue = new EventQueue()
    queue.push(5, () => {})
    queue.push(10, () => {})
    expect(queue.popDue(7)?.timeMs).toBe(5)
    expect(queue.popDue(7)).toBeUndefined()
    expect(queue.size).toBe(1)
  })
})
