/**
 * The folding suite (docs/compaction.md) for state types with `absorb` and `dropOrigin`: random
 * reachable histories over 3 or 4 origins, then a departed origin D (its state final) is folded
 * into a live heir H that holds all of D's slots. Checked:
 *
 * - on H, every global view is the same before the fold, after `absorb`, after the stamp and after
 *   `dropOrigin`, and stays the same as an unfolded copy while time moves on;
 * - a copy R of H's pre-fold state that receives H's absorbing slots (any order, duplicated) shows
 *   the same global views at every step, and after `dropOrigin` has exactly H's views;
 * - a real third replica, missing some slots of D, H or others, that receives them all plus the
 *   absorbing slots in any order, then drops D, has exactly H's views;
 * - after `dropOrigin` nothing names D and the type's own bookkeeping is consistent.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import { Reader, createEncoder, toBytes } from '../../crdts/codec.js'
import { identityOrigins, joinInto } from '../../crdts/join.js'
import { advance } from './context.js'
import {
  type History, type HistoryOptions, type System, type TypeAdapter, historyArbitrary, join, plain, runHistory, stamp, viewsOf,
} from './replica-sim.js'
import { checkProperty } from './runs.js'

export interface FoldAdapter<State, Delta, Op> extends TypeAdapter<State, Delta, Op> {
  /** Every global view of `state` (nothing per origin), as plain data. */
  globalViews(state: State): unknown
  /** Where `state` still names `origin` (a cell, a removal), for the failure message; empty when nowhere. */
  mentions(state: State, origin: number): string[]
  /** Bookkeeping problems of `state` (counts out of step with what they count); empty when consistent. */
  bookkeeping(state: State): string[]
  /** Cells in use (what folding must shrink). */
  cellsInUse(state: State): number
  /**
   * Global views a fold may raise, each with the bound it stays under (flow table: a `lastSeen`
   * field may rise to the heir's covered write time, never above the entry's last-seen time).
   * Left out of `globalViews`; a fold must keep each one or raise it to at most its bound.
   */
  risingViews?(state: State): Record<string, { value: number | undefined; bound: number | undefined }>
}

/** `after` keeps every rising view of `before`, or raises it no higher than its bound. */
export function expectRisenAtMost(before: Record<string, { value: number | undefined; bound: number | undefined }>, after: typeof before, what: string): void {
  expect(Object.keys(after).sort(), `${what}: rising views`).toStrictEqual(Object.keys(before).sort())
  for (const [name, { value }] of Object.entries(before)) {
    const now = after[name]!
    if (now.value === value) continue
    const rose = value !== undefined && now.value !== undefined && now.bound !== undefined && now.value > value && now.value <= now.bound
    expect(rose, `${what}: ${name} went from ${value} to ${now.value} (bound ${now.bound})`).toBe(true)
  }
}

/** One encoded slot, as gossip would carry it. */
export interface SlotMessage {
  readonly owner: number
  readonly version: number
  readonly bytes: Uint8Array
}

export function encodeSlots<State, Delta>(adapter: TypeAdapter<State, Delta, unknown>, state: State, slots: Iterable<number>): SlotMessage[] {
  const { ops } = adapter
  const messages: SlotMessage[] = []
  for (const slot of slots) {
    const version = ops.version(state, slot)
    if (version === 0) continue
    const encoder = createEncoder()
    ops.encodeSlot(encoder, state, slot, identityOrigins)
    messages.push({ owner: ops.owner(state, slot), version, bytes: toBytes(encoder) })
  }
  return messages
}

export function deliver<State, Delta>(adapter: TypeAdapter<State, Delta, unknown>, state: State, message: SlotMessage): void {
  const reader = new Reader(message.bytes)
  const delta = adapter.ops.decodeSlot(reader, identityOrigins, state)
  reader.end('slot')
  adapter.ops.applySlot(state, message.owner, message.version, delta, identityOrigins)
}

/** A small seeded PRNG (mulberry32) for delivery orders: the seed is part of the counterexample. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `items` shuffled, with about a third of them duplicated, by `seed`. */
export function shuffledWithDuplicates<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed)
  const out = [...items, ...items.filter(() => random() < 0.35)]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

export interface FoldScenario {
  readonly departedPick: number
  readonly heirPick: number
  /**
   * Fold into a separate heir origin held by H's replica (as the runtime does), not into the
   * origin H writes under. Its slots are stamped with its own versions.
   */
  readonly separateHeir: boolean
  /** H joins every replica before the fold (else only D). */
  readonly heirHoldsAll: boolean
  readonly seed: number
  /** Clock advances after the fold, at which the folded and unfolded states are compared. */
  readonly laterMs: readonly number[]
}

export interface Fold<State, Delta, Op> {
  readonly system: System<State, Delta, Op>
  readonly departed: number
  /** The replica that folds. */
  readonly heir: number
  /** The origin it folds into: its own, or a separate heir origin (numbered after the replicas). */
  readonly heirOrigin: number
  /** A copy of H before the fold (never folded). */
  readonly unfolded: State
  /** H's global views before the fold. */
  readonly before: unknown
  /** H's cells in use before the fold. */
  readonly cellsBefore: number
  /** H's absorbing slots, encoded after the stamp and before H's `dropOrigin`. */
  readonly absorbing: SlotMessage[]
  /** Their slot refs in H. */
  readonly absorbingSlots: readonly number[]
}

/** Runs `history`, gives D's final state to H (and everything, with `heirHoldsAll`), then folds D into H, checking H on the way. */
export function runFold<State, Delta, Op>(adapter: FoldAdapter<State, Delta, Op>, history: History<Op>, scenario: FoldScenario): Fold<State, Delta, Op> {
  const system = runHistory(adapter, history)
  const { ops } = adapter
  const n = system.replicas.length
  const departed = scenario.departedPick % n
  const heir = (departed + 1 + (scenario.heirPick % (n - 1))) % n
  const heirState = system.replicas[heir]!.state
  joinInto(ops, heirState, system.replicas[departed]!.state)
  if (scenario.heirHoldsAll) for (const replica of system.replicas) joinInto(ops, heirState, replica.state)
  const before = plain(adapter.globalViews(heirState))
  const risingBefore = adapter.risingViews?.(heirState) ?? {}
  const unfolded = join(system, heirState)
  const cellsBefore = adapter.cellsInUse(heirState)
  const expectKept = (what: string) => {
    expect(plain(adapter.globalViews(heirState)), `H: global views ${what}`).toStrictEqual(before)
    expectRisenAtMost(risingBefore, adapter.risingViews?.(heirState) ?? {}, `H ${what}`)
  }

  const heirOrigin = scenario.separateHeir ? n : heir
  ops.absorb!(heirState, departed, heirOrigin)
  expectKept('after absorb')
  const replica = system.replicas[heir]!
  const dirty = [...replica.dirty]
  if (scenario.separateHeir) {
    let version = 0
    for (const slot of dirty) {
      expect(ops.owner(heirState, slot), `H marked slot ${slot} dirty: its owner`).toBe(heirOrigin)
      ops.stamp(heirState, slot, ++version)
    }
    replica.dirty.clear()
  } else {
    stamp(system, heir)
  }
  expectKept('after the stamp')
  const absorbing = encodeSlots(adapter as TypeAdapter<State, Delta, unknown>, heirState, dirty)
  ops.dropOrigin!(heirState, departed)
  expectKept('after dropOrigin')
  expect(adapter.mentions(heirState, departed), 'H: what still names D after dropOrigin').toStrictEqual([])
  expect(adapter.bookkeeping(heirState), 'H: bookkeeping after the fold').toStrictEqual([])
  expect(adapter.cellsInUse(heirState), 'H: cells in use after the fold').toBeLessThanOrEqual(cellsBefore)
  return { system, departed, heir, heirOrigin, unfolded, before, cellsBefore, absorbing, absorbingSlots: dirty }
}

export const foldScenario: fc.Arbitrary<FoldScenario> = fc.record({
  departedPick: fc.nat(),
  heirPick: fc.nat(),
  separateHeir: fc.boolean(),
  heirHoldsAll: fc.boolean(),
  seed: fc.integer(),
  laterMs: fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 3 }),
})

export const foldHistoryOptions: HistoryOptions = { minOrigins: 3, maxOrigins: 4, maxSteps: 40 }

/** The three fold properties for one adapter (to be called inside `describe`/`it`). */
export function foldProperties<State, Delta, Op>(adapter: FoldAdapter<State, Delta, Op>): Record<string, () => void> {
  const histories = historyArbitrary(adapter, foldHistoryOptions)
  const anyAdapter = adapter as unknown as TypeAdapter<State, Delta, unknown>
  return {
    'on the heir, absorb + stamp + dropOrigin keep every global view, now and later': () => {
      checkProperty(fc.property(histories, foldScenario, fc.array(adapter.write, { maxLength: 6 }), (history, scenario, writesAfter) => {
        const fold = runFold(adapter, history, scenario)
        const { system } = fold
        const heirState = system.replicas[fold.heir]!.state
        for (const ms of scenario.laterMs) {
          advance(system.world, ms)
          expect(plain(adapter.globalViews(heirState)), `H vs unfolded copy, ${ms} ms later`).toStrictEqual(plain(adapter.globalViews(fold.unfolded)))
          expectRisenAtMost(adapter.risingViews?.(fold.unfolded) ?? {}, adapter.risingViews?.(heirState) ?? {}, `H vs unfolded copy, ${ms} ms later`)
        }
        // H keeps writing under its own origin: its writes go to its own slots (the stamp checks
        // owners), and the state still round-trips through the encoding.
        for (const op of writesAfter) adapter.apply(heirState, fold.heir, op)
        stamp(system, fold.heir)
        expect(viewsOf(system, join(system, heirState)), 'a copy of H after further writes').toStrictEqual(viewsOf(system, heirState))
      }))
    },
    'a copy of the heir that receives the absorbing slots in any order, duplicated, then drops D, has the heir\'s views': () => {
      checkProperty(fc.property(histories, foldScenario, (history, scenario) => {
        const fold = runFold(adapter, history, scenario)
        const { system, departed, heir } = fold
        const copy = join(system, fold.unfolded)
        for (const message of shuffledWithDuplicates(fold.absorbing, scenario.seed)) {
          deliver(anyAdapter, copy, message)
          expect(plain(adapter.globalViews(copy)), 'R: global views while absorbing slots arrive (D not dropped yet)').toStrictEqual(fold.before)
          expectRisenAtMost(adapter.risingViews?.(fold.unfolded) ?? {}, adapter.risingViews?.(copy) ?? {}, 'R while absorbing slots arrive')
        }
        adapter.ops.dropOrigin!(copy, departed)
        expect(viewsOf(system, copy), 'R after dropOrigin vs H').toStrictEqual(viewsOf(system, system.replicas[heir]!.state))
        expect(adapter.mentions(copy, departed), 'R: what still names D').toStrictEqual([])
        expect(adapter.bookkeeping(copy), 'R: bookkeeping').toStrictEqual([])
        for (const ms of scenario.laterMs) {
          advance(system.world, ms)
          expect(plain(adapter.globalViews(copy)), `R vs H, ${ms} ms later`).toStrictEqual(plain(adapter.globalViews(system.replicas[heir]!.state)))
        }
      }))
    },
    'a replica missing earlier slots receives them and the absorbing slots in any order, drops D, and has the heir\'s views': () => {
      checkProperty(fc.property(histories, foldScenario, fc.nat(), fc.boolean(), (history, scenario, thirdPick, encodeAfterDrop) => {
        // H holds everything, so the third replica's state is part of H's: it only misses slots.
        const fold = runFold(adapter, history, { ...scenario, heirHoldsAll: true })
        const { system, departed, heir } = fold
        const others = system.replicas.filter((replica) => replica.origin !== departed && replica.origin !== heir)
        const third = others[thirdPick % others.length]!.state
        const heirState = system.replicas[heir]!.state
        // The absorbing slots as encoded before H's drop (they may name D) or after it (they do not).
        const absorbing = encodeAfterDrop ? encodeSlots(anyAdapter, heirState, fold.absorbingSlots) : fold.absorbing
        const earlier = encodeSlots(anyAdapter, fold.unfolded, adapter.ops.slots(fold.unfolded))
        for (const message of shuffledWithDuplicates([...earlier, ...absorbing], scenario.seed)) deliver(anyAdapter, third, message)
        adapter.ops.dropOrigin!(third, departed)
        // Late duplicates of the absorbing slots change nothing.
        for (const message of shuffledWithDuplicates(absorbing, scenario.seed + 1)) deliver(anyAdapter, third, message)
        expect(viewsOf(system, third), 'third replica after dropOrigin vs H').toStrictEqual(viewsOf(system, heirState))
        expect(adapter.mentions(third, departed), 'third replica: what still names D').toStrictEqual([])
        expect(adapter.bookkeeping(third), 'third replica: bookkeeping').toStrictEqual([])
      }))
    },
  }
}
