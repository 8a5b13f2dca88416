/**
 * A grow-only counter as a custom type, written the textbook way (Shapiro et al., 2011): a map
 * from writer to that writer's total, joined by taking the larger total per writer. The kit's
 * own tests and the custom field tests use it as the correct reference type.
 */
import { DecodeError, custom } from 'elastic-state'

export type Totals = Map<string, number>

export const gCounter = custom({
  name: 'test/g-counter',
  empty: (): Totals => new Map(),
  join(a, b) {
    const joined = new Map(a)
    for (const [writer, total] of b) joined.set(writer, Math.max(total, joined.get(writer) ?? 0))
    return joined
  },
  writes: {
    increment({ own, origin }, n: number = 1) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`increment takes a non-negative safe integer, got ${n}`)
      if (n === 0) return false
      own.set(origin, (own.get(origin) ?? 0) + n)
    },
  },
  global(totals) {
    let sum = 0
    for (const total of totals.values()) sum += total
    return sum
  },
  encode(writer, totals) {
    writer.varUint(totals.size)
    for (const [origin, total] of totals) {
      writer.string(origin)
      writer.varUint(total)
    }
  },
  decode(reader) {
    const totals: Totals = new Map()
    const count = reader.count(reader.remaining, 'writer count')
    for (let i = 0; i < count; i++) {
      const origin = reader.string('writer')
      if (totals.has(origin)) throw new DecodeError(`writer ${JSON.stringify(origin)} appears twice`)
      totals.set(origin, reader.varUint('total'))
    }
    return totals
  },
})
