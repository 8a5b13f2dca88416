/**
 * Broken on purpose: a grow-only counter whose join adds the per-writer totals instead of taking
 * the larger one, so merging a state with itself (or receiving the same contribution twice)
 * counts it twice.
 */
import { custom } from 'elastic-state'
import { gCounter, type Totals } from '../types/g-counter.js'

export const nonIdempotentCounter = custom({
  ...gCounter.definition,
  name: 'broken/non-idempotent-counter',
  join(a: Totals, b: Totals): Totals {
    const joined = new Map(a)
    for (const [writer, total] of b) joined.set(writer, (joined.get(writer) ?? 0) + total)
    return joined
  },
})
