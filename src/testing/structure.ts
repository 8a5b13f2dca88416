/**
 * Structural copies and comparisons of users' states, for the laws: a state is compared by what
 * it holds, not by identity or insertion order. Maps and Sets compare as collections (entries in
 * any order), arrays and typed arrays element by element, other objects by prototype and own
 * enumerable properties; `NaN` equals `NaN` and `-0` equals `0`.
 */
import fc from 'fast-check'

const MAX_DEPTH = 100

/** A deep copy with the same prototypes, so a later change of the original does not reach it. */
export function cloneStructure<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object') return value
  if (depth > MAX_DEPTH) throw new RangeError(`a state nests deeper than ${MAX_DEPTH} levels (a cycle?)`)
  const next = depth + 1
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [cloneStructure(key, next), cloneStructure(item, next)])) as T
  if (value instanceof Set) return new Set([...value].map((item) => cloneStructure(item, next))) as T
  if (value instanceof Date) return new Date(value.getTime()) as T
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): T }).slice()
  if (Array.isArray(value)) return value.map((item) => cloneStructure(item, next)) as T
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>
  for (const key of Object.keys(value)) copy[key] = cloneStructure((value as Record<string, unknown>)[key], next)
  return copy as T
}

/** Where two states first differ, as `path: left vs right`; `undefined` when they are the same. */
export function structuralDifference(left: unknown, right: unknown, path = '$', depth = 0): string | undefined {
  if (sameLeaf(left, right)) return undefined
  if (left === null || right === null || typeof left !== 'object' || typeof right !== 'object') {
    return `${path}: ${render(left)} vs ${render(right)}`
  }
  if (depth > MAX_DEPTH) throw new RangeError(`a state nests deeper than ${MAX_DEPTH} levels (a cycle?)`)
  const next = depth + 1
  if (Object.getPrototypeOf(left) !== Object.getPrototypeOf(right)) return `${path}: ${kind(left)} vs ${kind(right)}`
  if (left instanceof Map) return mapDifference(left, right as Map<unknown, unknown>, path, next)
  if (left instanceof Set) return setDifference(left, right as Set<unknown>, path, next)
  if (left instanceof Date) return sameLeaf(left.getTime(), (right as Date).getTime()) ? undefined : `${path}: ${render(left)} vs ${render(right)}`
  if (ArrayBuffer.isView(left) || Array.isArray(left)) {
    const a = left as unknown as ArrayLike<unknown>
    const b = right as unknown as ArrayLike<unknown>
    if (a.length !== b.length) return `${path}.length: ${a.length} vs ${b.length}`
    for (let index = 0; index < a.length; index++) {
      const difference = structuralDifference(a[index], b[index], `${path}[${index}]`, next)
      if (difference !== undefined) return difference
    }
    return undefined
  }
  const a = left as Record<string, unknown>
  const b = right as Record<string, unknown>
  for (const key of Object.keys(a)) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return `${path}.${key}: ${render(a[key])} vs missing`
    const difference = structuralDifference(a[key], b[key], `${path}.${key}`, next)
    if (difference !== undefined) return difference
  }
  for (const key of Object.keys(b)) if (!Object.prototype.hasOwnProperty.call(a, key)) return `${path}.${key}: missing vs ${render(b[key])}`
  return undefined
}

function sameLeaf(left: unknown, right: unknown): boolean {
  return left === right || (typeof left === 'number' && typeof right === 'number' && Number.isNaN(left) && Number.isNaN(right))
}

function findKey(map: Map<unknown, unknown>, key: unknown, depth: number): { found: boolean; key?: unknown } {
  if (map.has(key)) return { found: true, key }
  if (key === null || typeof key !== 'object') return { found: false }
  for (const candidate of map.keys()) if (structuralDifference(key, candidate, '$', depth) === undefined) return { found: true, key: candidate }
  return { found: false }
}

function mapDifference(left: Map<unknown, unknown>, right: Map<unknown, unknown>, path: string, depth: number): string | undefined {
  for (const [key, value] of left) {
    const match = findKey(right, key, depth)
    const keyPath = `${path}.get(${render(key)})`
    if (!match.found) return `${keyPath}: ${render(value)} vs missing`
    const difference = structuralDifference(value, right.get(match.key), keyPath, depth)
    if (difference !== undefined) return difference
  }
  for (const [key, value] of right) {
    if (!findKey(left, key, depth).found) return `${path}.get(${render(key)}): missing vs ${render(value)}`
  }
  return undefined
}

function setDifference(left: Set<unknown>, right: Set<unknown>, path: string, depth: number): string | undefined {
  const contains = (set: Set<unknown>, item: unknown) => set.has(item)
    || (item !== null && typeof item === 'object' && [...set].some((candidate) => structuralDifference(item, candidate, '$', depth) === undefined))
  for (const item of left) if (!contains(right, item)) return `${path}: holds ${render(item)} vs not`
  for (const item of right) if (!contains(left, item)) return `${path}: not vs holds ${render(item)}`
  return undefined
}

function kind(value: object): string {
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null
  return prototype === null ? 'null-prototype object' : prototype.constructor?.name || Object.prototype.toString.call(value).slice(8, -1)
}

const MAX_RENDERED_CHARS = 400

/** A readable rendering of any value (Maps, Sets and typed arrays included), cut to a few hundred characters. */
export function render(value: unknown): string {
  const text = fc.stringify(value)
  return text.length > MAX_RENDERED_CHARS ? `${text.slice(0, MAX_RENDERED_CHARS - 1)}…` : text
}
