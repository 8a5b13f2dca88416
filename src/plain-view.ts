/**
 * A custom field's default `snapshot()` value: its global view as plain data that is equal on
 * replicas holding the same state, whatever order things arrived in. Maps become `[key, value]`
 * lists and Sets arrays, both sorted; plain objects get their keys sorted; other typed arrays
 * become arrays; a `Date` becomes its time in ms; other class instances become plain objects of
 * their own enumerable properties.
 */

const MAX_DEPTH = 64

export function plainView(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? String(value) : value
  if (depth > MAX_DEPTH) throw new RangeError(`a custom view nests deeper than ${MAX_DEPTH} levels`)
  if (value instanceof Uint8Array) return value
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, (item) => plainView(item, depth + 1))
  if (Array.isArray(value)) return value.map((item) => plainView(item, depth + 1))
  if (value instanceof Map) {
    return sortByCanonical([...value].map(([key, item]) => [plainView(key, depth + 1), plainView(item, depth + 1)]), (pair) => pair[0])
  }
  if (value instanceof Set) return sortByCanonical([...value].map((item) => plainView(item, depth + 1)), (item) => item)
  if (value instanceof Date) return value.getTime()
  const plain: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) plain[key] = plainView((value as Record<string, unknown>)[key], depth + 1)
  return plain
}

/** Numbers first, in numeric order, then strings, then anything else by its canonical text. */
function sortByCanonical<T>(items: T[], keyOf: (item: T) => unknown): T[] {
  const rank = (key: unknown) => (typeof key === 'number' && !Number.isNaN(key) ? 0 : typeof key === 'string' ? 1 : 2)
  const keyed = items.map((item) => {
    const key = keyOf(item)
    return { item, key, rank: rank(key), text: canonical(key) }
  })
  keyed.sort((a, b) => {
    if (a.rank !== b.rank) return a.rank - b.rank
    if (a.rank === 0 && a.key !== b.key) return (a.key as number) < (b.key as number) ? -1 : 1
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0
  })
  return keyed.map((entry) => entry.item)
}

/** A text that orders plain values and tells apart those that differ (`1` and `'1'` included). */
function canonical(value: unknown): string {
  if (typeof value === 'string') return `s${JSON.stringify(value)}`
  if (typeof value === 'number') return `n${Object.is(value, -0) ? 0 : value}`
  if (typeof value === 'bigint') return `b${value}`
  if (value === null || typeof value !== 'object') return `o${String(value)}`
  if (value instanceof Uint8Array) return `u${Array.from(value).join(',')}`
  if (Array.isArray(value)) return `a[${value.map(canonical).join(',')}]`
  return `r{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`
}
