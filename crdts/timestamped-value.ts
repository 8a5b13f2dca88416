/**
 * The slot payload shared by `register` and `perInstance`: a value with the hybrid-logical-clock
 * timestamp of the write that set it.
 */
import { type Encoder, type Reader, writeValue, writeVarUint } from './codec.js'
import type { TypeContext } from './slot-type.js'

export interface TimestampedValue {
  value: unknown
  wallMs: number
  logical: number
}

export function encodeTimestampedValue(encoder: Encoder, wallMs: number, logical: number, value: unknown): void {
  writeVarUint(encoder, wallMs)
  writeVarUint(encoder, logical)
  writeValue(encoder, value)
}

export function decodeTimestampedValue(reader: Reader, what: string): TimestampedValue {
  const wallMs = reader.varUint(`${what} timestamp`)
  const logical = reader.varUint(`${what} logical clock`)
  return { wallMs, logical, value: reader.value(`${what} value`) }
}

/** The columns a timestamped-value type keeps per origin. */
export interface TimestampedColumns {
  readonly context: TypeContext
  readonly versions: number[]
  readonly values: unknown[]
  readonly wallMs: number[]
  readonly logical: number[]
}

/** Stores a received slot (the caller checked it is newer and made room) and moves the clock past it. */
export function storeTimestamped(state: TimestampedColumns, origin: number, version: number, delta: TimestampedValue): void {
  state.values[origin] = delta.value
  state.wallMs[origin] = delta.wallMs
  state.logical[origin] = delta.logical
  state.versions[origin] = version
  state.context.observeTimestamp(delta.wallMs, delta.logical)
}

/** A local write: `value` with a fresh timestamp in the own slot (the caller made room and marks it dirty). */
export function writeTimestamped(state: TimestampedColumns, origin: number, value: unknown): void {
  const timestamp = state.context.nextTimestamp()
  state.values[origin] = value
  state.wallMs[origin] = timestamp.wallMs
  state.logical[origin] = timestamp.logical
}
