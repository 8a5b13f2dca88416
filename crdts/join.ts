/**
 * State-level join for any slot type, built from its slot operations: every slot of `from` is
 * encoded, decoded and applied to `into`, exactly as a delta from the network would be. Using
 * the wire path here means the semilattice laws tested on `join` also cover the encoding.
 */
import { Reader, createEncoder, toBytes } from './codec.js'
import type { OriginCodec, SlotOps } from './slot-type.js'

/** Origins numbered the same on both sides (one process, shared numbering). */
export const identityOrigins: OriginCodec = {
  toWire: (origin) => origin,
  toLocal: (wireRef) => wireRef,
  size: Number.MAX_SAFE_INTEGER,
}

/** Joins `from` into `into` in place; returns how many slots of `into` changed. */
export function joinInto<State, Delta>(ops: SlotOps<State, Delta>, into: State, from: State): number {
  let changed = 0
  for (const slot of ops.slots(from)) {
    const version = ops.version(from, slot)
    if (version === 0) continue
    const encoder = createEncoder()
    ops.encodeSlot(encoder, from, slot, identityOrigins)
    const reader = new Reader(toBytes(encoder))
    const delta = ops.decodeSlot(reader, identityOrigins, into)
    reader.end('slot')
    if (ops.applySlot(into, ops.owner(from, slot), version, delta, identityOrigins) >= 0) changed++
  }
  return changed
}
