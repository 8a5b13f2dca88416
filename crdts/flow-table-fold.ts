/**
 * Folding a departed origin into an heir, for the flow table (docs/compaction.md): `absorbOrigin`
 * rewrites what the departed origin's cells show as the heir's own writes, `dropOrigin` then
 * forgets the departed origin's cells and every deletion base that names it. See flow-table.ts
 * for the cell model (lives, write versions, deletion bases).
 *
 * How an entry is folded, for a departed origin D and its heir H:
 *
 * - An entry that is idle-expired here shows nothing, and no write may revive it: it is left
 *   alone (D's cell goes with `dropOrigin`, the sweep drops the rest).
 * - D's visible contribution (nothing when its cell is covered) moves into H's cell: counters add
 *   D's counters minus the base D's deleters recorded, max registers take the max, a register
 *   takes D's value when D's write is the later one (with D's timestamp), and the last-write time
 *   becomes the later of the two (absorbing is not traffic: idle expiry is not reset). A covered
 *   H cell first starts a new life, as a write would.
 * - In the same write, H records D's whole cell as observed removed (a base for D). So wherever
 *   H's absorbing cell has arrived, D's cell is covered and nothing is counted twice, whether or
 *   not that replica has run `dropOrigin` yet; `dropOrigin` removes that base with D's cell.
 * - D's own deletions keep deciding: its bases are merged into H's cell, the later one per origin.
 *   A base D recorded against H's own cell cannot be kept (a cell never deletes itself). If it is
 *   the base that decides H's cell (same life, later than every other base for H), H applies it
 *   now: its cell starts a new life holding exactly what was visible of it (counters minus the
 *   base), or, when the base covered it, an empty new life. Otherwise it decides nothing (an
 *   older life, or another deleter saw as much) and is dropped.
 * - The entry's last-seen time (which decides idle expiry) is the latest write time of any of its
 *   cells, covered ones included. When D's cell holds that time and shows nothing, H's cell takes
 *   it anyway (created without writes if needed), so a replica that never held D's cell finds it.
 *
 * After `absorbOrigin(D, H)` and `dropOrigin(D)` every global view (entry presence, every field's
 * global value, entry last-seen time) is what it was, with one exception: a `lastSeen` field may
 * rise, never above the entry's last-seen time, when H's cell takes a write time its visible part
 * did not have (H's own covered writes, or D's covered ones carried as above): a cell's write time
 * never decreases, or replicas would disagree on when an entry expires.
 * Registers keep D's timestamp, nudged by one logical tick when another origin holds exactly the
 * same timestamp and the origin-rank tie-break would otherwise order H differently from D.
 *
 * Not exact under concurrency: a deletion issued by a replica that holds D's cell but not yet H's
 * absorbing write records bases for both as it saw them; H's absorbing write is newer than the
 * base for H, so the absorbed contribution survives that deletion as any concurrent write would
 * (add-wins), although D's own cell would not have. Folding once D's final state is everywhere
 * narrows that window; closing it would need deletions of D's cell to be translated to the heir.
 */
import { compareTimestamps } from './hlc.js'
import {
  type Base, type FlowTableState, DIRTY, HAS_WRITES, IN_USE, LINKS, LINK_ENTRY, LINK_NEXT, LINK_ORIGIN, addRemovalCount, clearRemovalCount, lifeOf, setLife,
  allocateOwnCell, clearRemovals, counterColumnsOf, findCell, flagsOf, highestBase, isCovered,
  isExpired, keyOf, lastOf, markDirty, resetOwn, setFlags, setLast, setRemovals, setVersion, touched, writeVersionOf,
} from './flow-table.js'
import { dropBindings, releaseOrdinal } from './flow-table-bindings.js'

/** How the heir's cell starts before D's contribution is added. */
type Start = 'keep' | 'restart' | 'rebase'

/** One entry's fold, computed before anything changes (so a bad total throws with the state untouched). */
interface EntryPlan {
  readonly entry: number
  readonly source: number
  /** The heir's cell, or -1 when it must be created. */
  readonly heir: number
  readonly start: Start
  /** The base D recorded against H's current life (start 'rebase'). */
  readonly rebaseBy: Base | undefined
  /** Whether D's cell shows anything (its contribution moves). */
  readonly moves: boolean
  /** Whether H's cell takes D's last-write time although nothing moves (see `planEntry`). */
  readonly carriesLast: boolean
  /** What D's deleters removed of its counters (subtracted when moving them). */
  readonly sourceBase: Base | undefined
  /** Per register field (by object column): the timestamp H's register takes with D's value, or null. */
  readonly registers: ([wallMs: number, logical: number] | null)[]
  /** Bases merged into H's removals. */
  readonly removals: [origin: number, base: Base][]
}

function later(a: Base, b: Base): boolean {
  return a.life > b.life || (a.life === b.life && a.writeVersion > b.writeVersion)
}

/** Whether `base` (recorded by `recorder`) is later than every other cell's base for `origin`. */
function decides(state: FlowTableState, entry: number, recorder: number, origin: number, base: Base): boolean {
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    if (cell === recorder) continue
    const other = state.removals.get(cell)?.get(origin)
    if (other && !later(base, other)) return false
  }
  return true
}

/**
 * The timestamp under which H's register shows D's value: D's own, unless another visible cell
 * holds exactly that timestamp and the origin-rank tie-break orders H differently from D. Then one
 * logical tick up or down, whichever keeps H's place among the others; failing that, one that at
 * least keeps the winner; null when none does (H keeps its own register: D's value was not shown).
 */
function registerTimestamp(state: FlowTableState, entry: number, source: number, heir: number, from: number, into: number, offset: number): [number, number] | null {
  const row = source * state.stride + offset
  const wallMs = state.numbers[row]!
  const logical = state.numbers[row + 1]!
  const fromRank = state.context.originRank(from)
  const intoRank = state.context.originRank(into)
  const others: [number, number, string][] = []
  for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) {
    if (cell === source || cell === heir) continue
    const origin = state.links[cell * LINKS + LINK_ORIGIN]!
    if (isCovered(state, cell, highestBase(state, entry, origin))) continue
    const index = cell * state.stride + offset
    if (state.numbers[index]! >= 0) others.push([state.numbers[index]!, state.numbers[index + 1]!, state.context.originRank(origin)])
  }
  const order = (w: number, l: number, rank: string, other: [number, number, string]) => Math.sign(compareTimestamps(w, l, rank, ...other))
  const candidates: [number, number][] = [[wallMs, logical], [wallMs, logical + 1]]
  if (logical > 0) candidates.push([wallMs, logical - 1])
  const keepsPlace = ([w, l]: [number, number]) => others.every((other) => order(w, l, intoRank, other) === order(wallMs, logical, fromRank, other))
  const placed = candidates.find(keepsPlace)
  if (placed) return placed
  const winner = others.reduce((best, other) => (compareTimestamps(...other, ...best) > 0 ? other : best))
  const wins = order(wallMs, logical, fromRank, winner) > 0
  return candidates.find(([w, l]) => (order(w, l, intoRank, winner) > 0) === wins) ?? null
}

function planEntry(state: FlowTableState, entry: number, source: number, from: number, into: number): EntryPlan | null {
  const heir = findCell(state, entry, into)
  const sourceHighest = highestBase(state, entry, from)
  const moves = !isCovered(state, source, sourceHighest)
  const sourceBase = sourceHighest && sourceHighest.life === lifeOf(state, source) ? sourceHighest : undefined
  const heirVisible = heir >= 0 && !isCovered(state, heir, highestBase(state, entry, into))
  const sourceRemovals = state.removals.get(source)

  let start: Start = 'keep'
  let rebaseBy: Base | undefined
  const seenOfHeir = sourceRemovals?.get(into)
  if (heir >= 0 && seenOfHeir && seenOfHeir.life === lifeOf(state, heir) && decides(state, entry, source, into, seenOfHeir)) {
    // D's deletion is what decides H's current life; it leaves with D's cell, so H applies it now.
    start = heirVisible ? 'rebase' : 'restart'
    rebaseBy = seenOfHeir
  } else if (heir >= 0 && !heirVisible && moves && (flagsOf(state, heir) & HAS_WRITES) !== 0) {
    start = 'restart' // covered: a write to it starts a new life
  }

  const heirRemovals = heir >= 0 ? state.removals.get(heir) : undefined
  const removals: [number, Base][] = []
  if (sourceRemovals) {
    for (const [origin, base] of sourceRemovals) {
      if (origin === into || origin === from) continue
      const held = heirRemovals?.get(origin)
      if (!held || later(base, held)) removals.push([origin, base])
    }
  }
  if (moves) {
    const whole: Base = { life: lifeOf(state, source), writeVersion: writeVersionOf(state, source), counters: counterColumnsOf(state, source) }
    const held = heirRemovals?.get(from)
    if (!held || later(whole, held)) removals.push([from, whole])
  }
  // An entry's last-seen time is the latest write time of any of its cells, covered ones
  // included; once D's cell is gone, a replica that never held it must still find that time in
  // the remaining cells, or it would expire the entry earlier than its peers. When D's cell holds
  // the entry's latest time and shows nothing, H's cell carries that time (an H cell without
  // writes is created for it if needed).
  let carriesLast = false
  if (!moves) {
    carriesLast = true
    for (let cell = state.entryHead[entry]!; cell >= 0 && carriesLast; cell = state.links[cell * LINKS + LINK_NEXT]!) {
      if (cell !== source && lastOf(state, cell) >= lastOf(state, source)) carriesLast = false
    }
  }
  if (start === 'keep' && !moves && !carriesLast && removals.length === 0) return null

  const heirKeeps = heirVisible && start !== 'restart'
  const registers: ([number, number] | null)[] = new Array(state.objectWidth).fill(null)
  if (moves) {
    const sourceRow = source * state.stride
    const heirRow = heir * state.stride
    for (const field of state.fields) {
      if (field.kind === 'register') {
        if (state.numbers[sourceRow + field.offset]! < 0) continue
        if (heirKeeps && state.numbers[heirRow + field.offset]! >= 0 && compareTimestamps(
          state.numbers[sourceRow + field.offset]!, state.numbers[sourceRow + field.offset + 1]!, state.context.originRank(from),
          state.numbers[heirRow + field.offset]!, state.numbers[heirRow + field.offset + 1]!, state.context.originRank(into)) < 0) continue
        registers[field.objectOffset] = registerTimestamp(state, entry, source, heir, from, into, field.offset)
        continue
      }
      if (field.kind !== 'counter' && field.kind !== 'pnCounter') continue
      for (let column = field.offset; column < field.offset + (field.kind === 'counter' ? 1 : 2); column++) {
        const kept = heirKeeps ? state.numbers[heirRow + column]! - (rebaseBy ? rebaseBy.counters[column]! : 0) : 0
        const total = kept + state.numbers[sourceRow + column]! - (sourceBase ? sourceBase.counters[column]! : 0)
        if (total > Number.MAX_SAFE_INTEGER) {
          throw new RangeError(`absorbing origin ${from} into ${into}: field ${field.name} of flow ${String(keyOf(state, entry))} would reach ${total}, above the largest safe integer`)
        }
      }
    }
  }
  return { entry, source, heir, start, rebaseBy, moves, carriesLast, sourceBase, registers, removals }
}

/** H's cell starts a new life that holds what was visible of it: counters minus the deciding base. */
function rebase(state: FlowTableState, cell: number, base: Base): void {
  state.ownLives = Math.max(state.ownLives, lifeOf(state, cell)) + 1
  setLife(state, cell, state.ownLives)
  const row = cell * state.stride
  for (const field of state.fields) {
    if (field.kind !== 'counter' && field.kind !== 'pnCounter') continue
    for (let column = field.offset; column < field.offset + (field.kind === 'counter' ? 1 : 2); column++) {
      // A base never exceeds the counts of the life it observed; max(0) only guards forged input.
      state.numbers[row + column] = Math.max(0, state.numbers[row + column]! - base.counters[column]!)
    }
  }
  touched(state, cell)
}

function applyPlan(state: FlowTableState, plan: EntryPlan, into: number): void {
  const { entry, source } = plan
  let heir = plan.heir
  if (heir < 0) heir = allocateOwnCell(state, entry, into)
  else if (plan.start === 'restart') resetOwn(state, heir)
  else if (plan.start === 'rebase') rebase(state, heir, plan.rebaseBy!)
  if (plan.moves) {
    const heirRow = heir * state.stride
    const sourceRow = source * state.stride
    for (const field of state.fields) {
      const index = field.offset
      switch (field.kind) {
        case 'counter':
        case 'pnCounter':
          for (let column = index; column < index + (field.kind === 'counter' ? 1 : 2); column++) {
            state.numbers[heirRow + column]! += state.numbers[sourceRow + column]! - (plan.sourceBase ? plan.sourceBase.counters[column]! : 0)
          }
          break
        case 'maxRegister':
          if (!field.isLastSeen && state.numbers[sourceRow + index]! > state.numbers[heirRow + index]!) state.numbers[heirRow + index] = state.numbers[sourceRow + index]!
          break
        case 'register': {
          const timestamp = plan.registers[field.objectOffset]
          if (!timestamp) break
          state.numbers[heirRow + index] = timestamp[0]
          state.numbers[heirRow + index + 1] = timestamp[1]
          state.objects[heir * state.objectWidth + field.objectOffset] = state.objects[source * state.objectWidth + field.objectOffset]
          state.context.observeTimestamp(timestamp[0], timestamp[1])
          break
        }
      }
    }
    touched(state, heir)
  }
  if ((plan.moves || plan.carriesLast) && lastOf(state, source) > lastOf(state, heir)) setLast(state, heir, lastOf(state, source))
  if (plan.removals.length > 0) {
    let removed = state.removals.get(heir)
    if (!removed) {
      removed = setRemovals(state, heir, new Map())
      addRemovalCount(state, entry, 1)
    }
    for (const [origin, base] of plan.removals) removed.set(origin, base)
  }
  // `entryOwn` is left alone: `into` need not be the origin this replica writes under (the
  // runtime folds into a separate heir origin), and the write path finds its cell by origin.
  markDirty(state, heir)
}

/**
 * Folding step 1, on the heir: moves what `from`'s cells show into `into`'s own cells, as own
 * writes marked dirty (see the file comment for the rules). `from`'s cells stay until `dropOrigin`.
 * @throws RangeError when `from` is `into`, or when a counter of the heir would pass the largest
 * safe integer (nothing changes then).
 */
export function absorbOrigin(state: FlowTableState, from: number, into: number): void {
  if (from === into) throw new RangeError(`cannot absorb origin ${from} into itself`)
  const now = state.context.now()
  const plans: EntryPlan[] = []
  for (let cell = 0; cell < state.cellCount; cell++) {
    if ((flagsOf(state, cell) & IN_USE) === 0 || state.links[cell * LINKS + LINK_ORIGIN] !== from) continue
    const entry = state.links[cell * LINKS + LINK_ENTRY]!
    if (isExpired(state, entry, now)) continue
    const plan = planEntry(state, entry, cell, from, into)
    if (plan) plans.push(plan)
  }
  for (const plan of plans) applyPlan(state, plan, into)
  if (plans.length > 0) {
    state.epoch++
    state.foldEpoch++
  }
}

/**
 * Folding step 2, on every replica: frees every cell of `origin` and removes the deletion bases
 * other cells hold against it (they named cells that no longer exist). An entry left without cells
 * is dropped, as the expiry sweep drops one.
 * @throws Error when `origin` has a cell with unstamped writes here (it is this replica's own
 * origin: only a departed origin can be dropped); nothing changes then.
 */
export function dropOrigin(state: FlowTableState, origin: number): void {
  for (let cell = 0; cell < state.cellCount; cell++) {
    if ((flagsOf(state, cell) & (IN_USE | DIRTY)) === (IN_USE | DIRTY) && state.links[cell * LINKS + LINK_ORIGIN] === origin) {
      throw new Error(`cannot drop origin ${origin}: its cell for flow ${String(keyOf(state, state.links[cell * LINKS + LINK_ENTRY]!))} has unstamped writes`)
    }
  }
  const entries = new Set<number>()
  for (let cell = 0; cell < state.cellCount; cell++) {
    if ((flagsOf(state, cell) & IN_USE) === 0) continue
    if (state.links[cell * LINKS + LINK_ORIGIN] === origin) {
      entries.add(state.links[cell * LINKS + LINK_ENTRY]!)
      continue
    }
    const removed = state.removals.get(cell)
    if (removed?.delete(origin) && removed.size === 0) {
      clearRemovals(state, cell)
      addRemovalCount(state, state.links[cell * LINKS + LINK_ENTRY]!, -1)
    }
  }
  for (const entry of entries) {
    let previous = -1
    for (let cell = state.entryHead[entry]!; cell >= 0;) {
      const next = state.links[cell * LINKS + LINK_NEXT]!
      if (state.links[cell * LINKS + LINK_ORIGIN] !== origin) {
        previous = cell
      } else {
        if (previous < 0) state.entryHead[entry] = next
        else state.links[previous * LINKS + LINK_NEXT] = next
        freeCell(state, entry, cell)
      }
      cell = next
    }
    if (state.entryHead[entry]! < 0) dropEntry(state, entry)
  }
  dropBindings(state, origin)
  state.epoch++
  state.foldEpoch++
}

function freeCell(state: FlowTableState, entry: number, cell: number): void {
  if (state.removals.has(cell)) addRemovalCount(state, entry, -1)
  state.removals.delete(cell)
  for (let column = 0; column < state.objectWidth; column++) state.objects[cell * state.objectWidth + column] = undefined
  setFlags(state, cell, 0)
  setVersion(state, cell, 0)
  releaseOrdinal(state, cell)
  state.freeCells.push(cell)
}

function dropEntry(state: FlowTableState, entry: number): void {
  const key = keyOf(state, entry)!
  state.keyIndex.deleteEntry(entry)
  state.entryKey[entry] = undefined
  state.entryOwn[entry] = -1
  clearRemovalCount(state, entry)
  state.freeEntries.push(entry)
  state.onDrop?.(key)
}
