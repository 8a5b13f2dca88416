/**
 * Add-wins observed-remove set (OR-Set, Shapiro et al., 2011; the "optimized" variant with
 * per-origin counters instead of unique tags per add, as in Bieniusa et al., 2012).
 *
 * For each element, each origin owns one cell: `adds`, the number of times it added the element
 * (its latest add is tagged `(origin, adds)`), and `removed`, for every origin P, the highest add
 * counter of P on this element that it observed when it removed the element. The element is
 * present iff some origin's latest add is higher than every removal of it that anyone recorded:
 * a remove only cancels the adds it has seen, so an add concurrent with a remove wins.
 */
import { type Encoder, type Reader, readKey, writeKey, writeVarUint } from './codec.js'
import type { DirtySink, OriginCodec, SlotOps } from './slot-type.js'
import { DecodeError } from '../src/errors.js'
import { assertKey } from './validate.js'

export type SetElement = string | number

interface Cell {
  /** Slot ref: index in `cells`. */
  readonly slot: number
  readonly element: SetElement
  readonly origin: number
  adds: number
  /** origin -> highest add counter of that origin observed removed; null when empty. */
  removed: Map<number, number> | null
  version: number
  dirty: boolean
}

export interface AWSetState {
  readonly fieldIndex: number
  readonly sink: DirtySink | null
  /** Cells by slot ref; a slot freed by `dropOrigin` holds `FREE_CELL` until it is reused. */
  readonly cells: Cell[]
  readonly byElement: Map<SetElement, Cell[]>
  /** Slot refs freed by `dropOrigin`, reused by the next new cells. */
  readonly freeSlots: number[]
}

/** What a freed slot holds: version 0 (so `slots` skips it), no origin; frozen, so a stray write throws. */
const FREE_CELL: Cell = Object.freeze({ slot: -1, element: '', origin: -1, adds: 0, removed: null, version: 0, dirty: false })

export interface AWSetDelta {
  element: SetElement
  adds: number
  /** [wire origin ref, counter] pairs. */
  removed: [number, number][]
}

export function createAWSet(fieldIndex = 0, sink: DirtySink | null = null): AWSetState {
  return { fieldIndex, sink, cells: [], byElement: new Map(), freeSlots: [] }
}

function cellOf(state: AWSetState, element: SetElement, origin: number, create: boolean): Cell | undefined {
  let cells = state.byElement.get(element)
  const found = cells?.find((cell) => cell.origin === origin)
  if (found || !create) return found
  const cell: Cell = { slot: state.freeSlots.pop() ?? state.cells.length, element, origin, adds: 0, removed: null, version: 0, dirty: false }
  if (!cells) state.byElement.set(element, (cells = []))
  cells.push(cell)
  state.cells[cell.slot] = cell
  return cell
}

function markDirty(state: AWSetState, cell: Cell): void {
  if (cell.dirty) return
  cell.dirty = true
  state.sink?.markDirty(state.fieldIndex, cell.slot)
}

function highestRemoval(cells: Cell[], origin: number): number {
  let highest = 0
  for (const cell of cells) {
    const removed = cell.removed?.get(origin)
    if (removed !== undefined && removed > highest) highest = removed
  }
  return highest
}

function isLiveAdd(cells: Cell[], cell: Cell): boolean {
  return cell.adds > 0 && cell.adds > highestRemoval(cells, cell.origin)
}

/** Whether `element` is in the set (add-wins). */
export function has(state: AWSetState, element: SetElement): boolean {
  const cells = state.byElement.get(element)
  return cells !== undefined && cells.some((cell) => isLiveAdd(cells, cell))
}

/** Present elements, in first-seen order. */
export function* values(state: AWSetState): Iterable<SetElement> {
  for (const [element, cells] of state.byElement) if (cells.some((cell) => isLiveAdd(cells, cell))) yield element
}

/** Present elements whose presence is due to an add by `origin`. */
export function* localValues(state: AWSetState, origin: number): Iterable<SetElement> {
  for (const cells of state.byElement.values()) {
    const own = cells.find((cell) => cell.origin === origin)
    if (own && isLiveAdd(cells, own)) yield own.element
  }
}

export function size(state: AWSetState): number {
  let count = 0
  for (const cells of state.byElement.values()) if (cells.some((cell) => isLiveAdd(cells, cell))) count++
  return count
}

/**
 * Adds `element` with a new tag. Re-adding an element this origin already holds still takes a
 * new tag once the old one may have been seen (stamped): a remove elsewhere may have observed the
 * old tag, and this add is concurrent with that remove, so it must win.
 * @throws RangeError unless the element is a string or a non-negative safe integer.
 */
export function add(state: AWSetState, origin: number, element: SetElement): void {
  assertKey(element, 'set.add')
  const cell = cellOf(state, element, origin, true)!
  const cells = state.byElement.get(element)!
  // A live add not yet stamped has been seen by no one: a second tag would change nothing.
  if (cell.dirty && isLiveAdd(cells, cell)) return
  cell.adds = Math.max(cell.adds, highestRemoval(cells, origin)) + 1
  markDirty(state, cell)
}

/**
 * Removes every add of `element` this replica has observed; concurrent unseen adds survive.
 * @throws RangeError unless the element is a string or a non-negative safe integer.
 */
export function remove(state: AWSetState, origin: number, element: SetElement): void {
  assertKey(element, 'set.delete')
  const cells = state.byElement.get(element)
  if (!cells || !cells.some((cell) => isLiveAdd(cells, cell))) return
  const own = cellOf(state, element, origin, true)!
  for (const cell of state.byElement.get(element)!) {
    if (cell.adds === 0) continue
    own.removed ??= new Map()
    if ((own.removed.get(cell.origin) ?? 0) < cell.adds) own.removed.set(cell.origin, cell.adds)
  }
  markDirty(state, own)
}

export const awSetOps: SlotOps<AWSetState, AWSetDelta> = {
  version: (state, slot) => state.cells[slot]?.version ?? 0,
  owner: (state, slot) => state.cells[slot]!.origin,
  stamp(state, slot, version) {
    const cell = state.cells[slot]!
    cell.version = version
    cell.dirty = false
  },
  encodeSlot(encoder: Encoder, state, slot, origins: OriginCodec) {
    const cell = state.cells[slot]!
    writeKey(encoder, cell.element)
    writeVarUint(encoder, cell.adds)
    const removed = cell.removed ? [...cell.removed] : []
    writeVarUint(encoder, removed.length)
    for (const [origin, counter] of removed) {
      writeVarUint(encoder, origins.toWire(origin))
      writeVarUint(encoder, counter)
    }
  },
  decodeSlot(reader: Reader, origins: OriginCodec) {
    const element = readKey(reader, 'set element')
    const adds = reader.varUint('set add counter')
    const count = reader.count(Math.min(origins.size, reader.remaining), 'set removal count')
    const removed: [number, number][] = []
    for (let i = 0; i < count; i++) {
      const ref = reader.varUint('set removal origin')
      if (ref >= origins.size) throw new DecodeError(`set removal names origin ${ref}, frame has ${origins.size}`)
      removed.push([ref, reader.varUint('set removal counter')])
    }
    return { element, adds, removed }
  },
  applySlot(state, origin, version, delta, origins) {
    const existing = cellOf(state, delta.element, origin, false)
    if (existing && existing.version >= version) return -1
    const cell = existing ?? cellOf(state, delta.element, origin, true)!
    cell.adds = delta.adds
    // An origin folded away here maps to -1: what names it is dropped, as `dropOrigin` dropped it.
    const removed = delta.removed.filter(([ref]) => origins.toLocal(ref) >= 0)
    cell.removed = removed.length === 0 ? null : new Map(removed.map(([ref, counter]) => [origins.toLocal(ref), counter]))
    cell.version = version
    return cell.slot
  },
  *slots(state) {
    for (let slot = 0; slot < state.cells.length; slot++) if (state.cells[slot]!.version > 0) yield slot
  },
  absorb: absorbOrigin,
  dropOrigin,
}

/**
 * Folding step 1 (docs/compaction.md), on the heir `into` of a departed origin `from`: for every
 * element whose latest add by `from` is live, the heir takes the add over: it adds the element as
 * its own (unless its own latest add is live already) and records `from`'s add as observed removed,
 * so wherever the heir's cell has arrived the element shows once, before and after `dropOrigin`.
 * `from`'s removals (the adds it observed removed) are merged into the heir's cell, the highest per
 * origin, so they keep cancelling what they cancelled. Changed heir cells are marked dirty.
 * Not exact under concurrency: a remove issued by a replica that saw `from`'s add but not yet the
 * heir's cell does not cancel the heir's new add (an add concurrent with that remove: add wins),
 * although it would have cancelled `from`'s add. Closing that window would need removals of
 * `from`'s tags to be translated to the heir's.
 * @throws RangeError when `from` is `into`.
 */
export function absorbOrigin(state: AWSetState, from: number, into: number): void {
  if (from === into) throw new RangeError(`cannot absorb origin ${from} into itself`)
  for (const [element, cells] of state.byElement) {
    const source = cells.find((cell) => cell.origin === from)
    if (!source) continue
    let heir = cells.find((cell) => cell.origin === into)
    const moves = isLiveAdd(cells, source)
    const merges: [number, number][] = []
    for (const [origin, counter] of source.removed ?? []) {
      if (origin !== from && (heir?.removed?.get(origin) ?? 0) < counter) merges.push([origin, counter])
    }
    if (moves && (heir?.removed?.get(from) ?? 0) < source.adds) merges.push([from, source.adds])
    if (merges.length === 0) continue
    heir ??= cellOf(state, element, into, true)!
    if (moves && !isLiveAdd(cells, heir)) heir.adds = Math.max(heir.adds, highestRemoval(cells, into)) + 1
    heir.removed ??= new Map()
    for (const [origin, counter] of merges) heir.removed.set(origin, counter)
    markDirty(state, heir)
  }
}

/**
 * Folding step 2, on every replica: frees every cell of `origin` (its slot refs are reused) and
 * deletes the removals other cells recorded against it. An element left without cells is forgotten.
 * @throws Error when `origin` has a cell with unstamped changes here (only a departed origin can
 * be dropped); nothing changes then.
 */
export function dropOrigin(state: AWSetState, origin: number): void {
  for (const cell of state.cells) {
    if (cell.origin === origin && cell.dirty) throw new Error(`cannot drop origin ${origin}: its cell for element ${String(cell.element)} has unstamped changes`)
  }
  for (const [element, cells] of state.byElement) {
    let kept = 0
    for (const cell of cells) {
      if (cell.origin === origin) {
        state.cells[cell.slot] = FREE_CELL
        state.freeSlots.push(cell.slot)
        continue
      }
      if (cell.removed?.delete(origin) && cell.removed.size === 0) cell.removed = null
      cells[kept++] = cell
    }
    cells.length = kept
    if (kept === 0) state.byElement.delete(element)
  }
}
