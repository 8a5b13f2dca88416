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
  readonly cells: Cell[]
  readonly byElement: Map<SetElement, Cell[]>
}

export interface AWSetDelta {
  element: SetElement
  adds: number
  /** [wire origin ref, counter] pairs. */
  removed: [number, number][]
}

export function createAWSet(fieldIndex = 0, sink: DirtySink | null = null): AWSetState {
  return { fieldIndex, sink, cells: [], byElement: new Map() }
}

function cellOf(state: AWSetState, element: SetElement, origin: number, create: boolean): Cell | undefined {
  let cells = state.byElement.get(element)
  const found = cells?.find((cell) => cell.origin === origin)
  if (found || !create) return found
  const cell: Cell = { slot: state.cells.length, element, origin, adds: 0, removed: null, version: 0, dirty: false }
  if (!cells) state.byElement.set(element, (cells = []))
  cells.push(cell)
  state.cells.push(cell)
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
    cell.removed = delta.removed.length === 0 ? null : new Map(delta.removed.map(([ref, counter]) => [origins.toLocal(ref), counter]))
    cell.version = version
    return cell.slot
  },
  *slots(state) {
    for (let slot = 0; slot < state.cells.length; slot++) if (state.cells[slot]!.version > 0) yield slot
  },
}
