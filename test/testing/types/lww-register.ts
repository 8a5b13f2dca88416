/**
 * A last-writer-wins register as a custom type: the write with the highest timestamp wins, ties
 * broken by the writer's origin, so every replica picks the same winner. A write stamps itself
 * above every write this replica has merged, so a write that saw another one wins over it even
 * when clocks disagree. The kit's tests use it as a correct type that reads `context.merged`.
 */
import { DecodeError, custom } from 'elastic-state'

export interface Stamped {
  /** 0 until the first write. */
  timestampMs: number
  origin: string
  value: string
}

/** Whether `a` beats `b`: higher timestamp, then higher origin. */
export function beats(a: Stamped, b: Stamped): boolean {
  return a.timestampMs > b.timestampMs || (a.timestampMs === b.timestampMs && a.origin > b.origin)
}

export const lwwRegister = custom({
  name: 'test/lww-register',
  empty: (): Stamped => ({ timestampMs: 0, origin: '', value: '' }),
  join: (a, b) => (beats(b, a) ? b : a),
  writes: {
    set({ own, merged, origin, now }, value: string) {
      if (typeof value !== 'string') throw new RangeError(`set takes a string, got ${typeof value}`)
      own.timestampMs = Math.max(Math.floor(now()), merged.timestampMs + 1, own.timestampMs + 1)
      own.origin = origin
      own.value = value
    },
  },
  global: (register) => register.value,
  encode(writer, register) {
    writer.varUint(register.timestampMs)
    writer.string(register.origin)
    writer.string(register.value)
  },
  decode(reader) {
    const timestampMs = reader.varUint('timestamp')
    const origin = reader.string('origin', 1024)
    const value = reader.string('value')
    if (timestampMs === 0 && (origin !== '' || value !== '')) throw new DecodeError('an unwritten register has an origin or a value')
    return { timestampMs, origin, value }
  },
})
