/** Argument checks shared by the write operations. They throw before anything is mutated. */

export function assertCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what} takes a non-negative safe integer, got ${describe(n)}`)
  }
}

export function assertFiniteNumber(n: number, what: string): void {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new RangeError(`${what} takes a finite number, got ${describe(n)}`)
  }
}

export function assertKey(key: unknown, what: string): asserts key is string | number {
  if (typeof key === 'string') return
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
