/**
 * Broken on purpose: a grow-only counter whose increment returns whether it created the writer's
 * entry, mistaking the return value for "is new" where it means "changed something". Every
 * increment after the first returns false, so its change is never versioned or sent: peers keep
 * the writer's first total.
 */
import { custom } from 'elastic-state'
import { gCounter } from '../types/g-counter.js'

export const unmarkedCounter = custom({
  ...gCounter.definition,
  name: 'broken/unmarked-counter',
  writes: {
    increment({ own, origin }, n: number) {
      const existed = own.has(origin)
      own.set(origin, (own.get(origin) ?? 0) + n)
      return !existed
    },
  },
})
