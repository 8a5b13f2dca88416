/** Argument checks shared by the write operations. They throw before anything is mutated. */

export function assertCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what} takes a non-negative safe integer, got ${describe(n)}`)
  }
}

/** A counter's own total stays a safe integer: beyond 2^53 - 1 increments would be lost to rounding. */
export function assertTotal(current: number, n: number, what: string): void {
  if (current + n > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${what}(${n}) would take the total past Number.MAX_SAFE_INTEGER (${current} so far)`)
  }
}

export function assertFiniteNumber(n: number, what: string): void {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new RangeError(`${what} takes a finite number, got ${describe(n)}`)
  }
}

/** Longest flow key or set element, in UTF-8 bytes (frames refuse longer ones). */
export const MAX_KEY_BYTES = 64 * 1024

export function assertKey(key: unknown, what: string): asserts key is string | number {
  if (typeof key === 'string') {
    // A UTF-16 unit encodes to at most 3 UTF-8 bytes: only long strings need measuring.
    if (key.length * 3 > MAX_KEY_BYTES && new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
      throw new RangeError(`${what} takes keys of at most ${MAX_KEY_BYTES} UTF-8 bytes, got a longer string`)
    }
    return
  }
  if (typeof key === 'number' && Number.isSafeInteger(key) && key >= 0) return
  throw new RangeError(`${what} takes a string or a non-negative safe integer, got ${describe(key)}`)
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  return typeof value
}

/** Deepest nesting of a register or per-instance value (writes refuse deeper ones, and so does decoding). */
export const MAX_VALUE_DEPTH = 64

/**
 * Register and per-instance values must survive the wire unchanged: JSON-like data (null,
 * undefined, booleans, numbers, bigints, strings, arrays, plain objects) and Uint8Array.
 * @throws RangeError naming the first value that would not (a Date, a Map, a class instance,
 * a function, a symbol, or nesting deeper than 64 levels).
 */
export function assertPlainData(value: unknown, what: string, path = '$', depth = 0): void {
  if (depth > MAX_VALUE_DEPTH) throw new RangeError(`${what}: value nests deeper than ${MAX_VALUE_DEPTH} levels at ${path}`)
  switch (typeof value) {
    case 'undefined': case 'boolean': case 'number': case 'bigint': case 'string':
      return
    case 'object': {
      if (value === null || value instanceof Uint8Array) return
      if (Array.isArray(value)) {
        value.forEach((item, index) => assertPlainData(item, what, `${path}[${index}]`, depth + 1))
        return
      }
      const prototype = Object.getPrototypeOf(value)
      if (prototype !== Object.prototype && prototype !== null) {
        throw new RangeError(`${what} takes plain data; ${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}`)
      }
      for (const [key, item] of Object.entries(value)) assertPlainData(item, what, `${path}.${key}`, depth + 1)
      return
    }
    default:
      throw new RangeError(`${what} takes plain data; ${path} is a ${typeof value}`)
  }
}
