import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareTimestamps, createHybridClock, observe, tick } from '../../crdts/hlc.js'
import { checkProperty } from '../../property-tests/harness/runs.js'

type ClockStep = { kind: 'tick'; nowMs: number } | { kind: 'observe'; wallMs: number; logical: number }

const clockStep: fc.Arbitrary<ClockStep> = fc.oneof(
  fc.record({ kind: fc.constant('tick' as const), nowMs: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })) }),
  fc.record({ kind: fc.constant('observe' as const), wallMs: fc.integer({ min: 0, max: 120 }), logical: fc.nat(5) }),
)

describe('hybrid logical clock', () => {
  it('every tick is a whole-ms timestamp newer than every earlier tick and observed timestamp', () => {
    checkProperty(fc.property(fc.array(clockStep, { maxLength: 40 }), (steps) => {
      const clock = createHybridClock()
      let newest = { wallMs: -1, logical: 0 }
      for (const step of steps) {
        if (step.kind === 'observe') {
          observe(clock, step.wallMs, step.logical)
          if (compareTimestamps(step.wallMs, step.logical, '', newest.wallMs, newest.logical, '') > 0) newest = step
          continue
        }
        const stamp = tick(clock, step.nowMs)
        expect(Number.isInteger(stamp.wallMs)).toBe(true)
        expect(stamp.wallMs).toBeGreaterThanOrEqual(Math.floor(step.nowMs))
        expect(compareTimestamps(stamp.wallMs, stamp.logical, '', newest.wallMs, newest.logical, '')).toBeGreaterThan(0)
        newest = stamp
      }
    }))
  })

  it('orders by wall time, then logical counter, then instance id', () => {
    expect(compareTimestamps(2, 0, 'a', 1, 9, 'z')).toBeGreaterThan(0)
    expect(compareTimestamps(1, 1, 'a', 1, 0, 'z')).toBeGreaterThan(0)
    expect(compareTimestamps(1, 1, 'b', 1, 1, 'a')).toBeGreaterThan(0)
    expect(compareTimestamps(1, 1, 'a', 1, 1, 'a')).toBe(0)
  })
})
