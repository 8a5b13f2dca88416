/**
 * The slot payload shared by `register` and `perInstance`: a value with the hybrid-logical-clock
 * timestamp of the write that set it.
 */
import { type Encoder, type Reader, writeValue, writeVarUint } from './codec.js'

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
