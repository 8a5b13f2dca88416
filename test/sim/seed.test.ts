import { describe, expect, it } from 'vitest'
import { deriveSeed } from '../../src/sim/seed.js'

describe('deriveSeed', () => {
  it('is stable, non-zero, unsigned 32-bit and sensitive to every part', () => {
    const seed = deriveSeed('sim-replica', 42, 'r1', 1)
    expect(deriveSeed('sim-replica', 42, 'r1', 1)).toBe(seed)
    expect(Number.isInteger(seed) && seed > 0 && seed < 2 ** 32).toBe(true)
    const neighbours = [
      deriveSeed('sim-replica', 43, 'r1', 1),
      deriveSeed('sim-replica', 42, 'r2', 1),
      deriveSeed('sim-replica', 42, 'r1', 2),
      deriveSeed('sim-replica', '42', 'r1', 1),
      deriveSeed('sim-replica', 42, 'r11'),
    ]
    expect(new Set([seed, ...neighbours]).size).toBe(6)
  })
})
