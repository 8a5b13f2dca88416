/**
 * A column of non-negative integers (versions, lives) that takes four bytes per element until a
 * value needs more, and then eight for good. Versions and lives come from counters that start at
 * zero, so almost every table keeps the narrow form; a frame may still carry any safe integer,
 * and the column widens rather than wrap it.
 */
export type UintColumn = Uint32Array | Float64Array

export function uintColumn(capacity: number): UintColumn {
  return new Uint32Array(capacity)
}

/** A copy of a typed-array column with room for `capacity` elements (same element type). */
export function grownColumn<T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(column: T, capacity: number): T {
  const grown = new (column.constructor as new (length: number) => T)(capacity)
  grown.set(column)
  return grown
}

/** Largest value the narrow form holds: store a larger one after `widened`. */
export const MAX_NARROW = 0xffffffff

/** The column in eight bytes per element (the column itself when it already is). */
export function widened(column: UintColumn): Float64Array {
  if (column instanceof Float64Array) return column
  const wide = new Float64Array(column.length)
  wide.set(column)
  return wide
}
