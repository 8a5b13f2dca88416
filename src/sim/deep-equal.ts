/**
 * Deep equality of plain data, as returned by `replica.snapshot()`: plain objects (own
 * enumerable string keys, order ignored), arrays, `Uint8Array`, numbers (`NaN` equals `NaN`,
 * `0` equals `-0`), strings, booleans, `null` and `undefined`. A key holding `undefined` differs
 * from a missing key. Any other object (Map, Set, Date, class instance) is not plain data: it is
 * equal only to itself, and `firstDifference` says so.
 */

/** Longest rendering of one value inside a difference message. */
const MAX_RENDERED_CHARS = 60

/** `true` when `left` and `right` are equal plain data (see the module comment). */
export function deepEqual(left: unknown, right: unknown): boolean {
  return firstDifference(left, right) === undefined
}

/**
 * A one-line description of the first difference between two plain-data values, with its
 * path, e.g. `$.flows["a"].packets: 3 vs 4`; `undefined` when they are equal.
 */
export function firstDifference(left: unknown, right: unknown, path = '$'): string | undefined {
  if (left === right || (Number.isNaN(left) && Number.isNaN(right))) return undefined
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
    return `${path}: ${renderValue(left)} vs ${renderValue(right)}`
  }
  const leftKind = kindOf(left)
  const rightKind = kindOf(right)
  if (leftKind !== rightKind) return `${path}: ${leftKind} vs ${rightKind}`
  switch (leftKind) {
    case 'Uint8Array':
      return bytesDifference(left as Uint8Array, right as Uint8Array, path)
    case 'Array':
      return arrayDifference(left as unknown[], right as unknown[], path)
    case 'Object':
      return objectDifference(left as Record<string, unknown>, right as Record<string, unknown>, path)
    default:
      return `${path}: ${leftKind} is not plain data and compares by identity`
  }
}

/**
 * A short rendering of a plain-data value for messages, truncated to a readable length. Unlike
 * `JSON.stringify` it keeps `NaN`, `undefined` and byte arrays apart from `null`.
 */
export function renderValue(value: unknown): string {
  const text = render(value, 0)
  return text.length > MAX_RENDERED_CHARS ? `${text.slice(0, MAX_RENDERED_CHARS - 1)}…` : text
}

/** Nesting below this depth renders as `…`, which also stops at cycles. */
const MAX_RENDERED_DEPTH = 3

function render(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value !== 'object' || value === null) return String(value)
  if (depth >= MAX_RENDERED_DEPTH) return '…'
  const kind = kindOf(value)
  switch (kind) {
    case 'Uint8Array':
      return `Uint8Array[${Array.from(value as Uint8Array).join(',')}]`
    case 'Array':
      return `[${(value as unknown[]).map((item) => render(item, depth + 1)).join(',')}]`
    case 'Object':
      return `{${Object.entries(value)
        .map(([key, item]) => `${JSON.stringify(key)}:${render(item, depth + 1)}`)
        .join(',')}}`
    default:
      return `[${kind}]`
  }
}

function kindOf(value: unknown): string {
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return 'Uint8Array'
  if (Array.isArray(value)) return 'Array'
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype === Object.prototype || prototype === null) return 'Object'
  return Object.prototype.toString.call(value).slice(8, -1)
}

function bytesDifference(left: Uint8Array, right: Uint8Array, path: string): string | undefined {
  if (left.length !== right.length) return `${path}.length: ${left.length} vs ${right.length}`
  for (let index = 0; index < left.length; index++) {
    if (left[index] !== right[index]) return `${path}[${index}]: ${left[index]} vs ${right[index]}`
  }
  return undefined
}

function arrayDifference(left: unknown[], right: unknown[], path: string): string | undefined {
  if (left.length !== right.length) return `${path}.length: ${left.length} vs ${right.length}`
  for (let index = 0; index < left.length; index++) {
    const difference = firstDifference(left[index], right[index], `${path}[${index}]`)
    if (difference !== undefined) return difference
  }
  return undefined
}

function objectDifference(
  left: Record<string, unknown>,
  right: Record<string, unknown>,
  path: string,
): string | undefined {
  for (const key of Object.keys(left)) {
    const keyPath = `${path}${propertyAccess(key)}`
    if (!Object.prototype.hasOwnProperty.call(right, key)) return `${keyPath}: ${renderValue(left[key])} vs missing`
    const difference = firstDifference(left[key], right[key], keyPath)
    if (difference !== undefined) return difference
  }
  for (const key of Object.keys(right)) {
    if (!Object.prototype.hasOwnProperty.call(left, key)) {
      return `${path}${propertyAccess(key)}: missing vs ${renderValue(right[key])}`
    }
  }
  return undefined
}

function propertyAccess(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}
