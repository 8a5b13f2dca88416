/**
 * The shape every replicated state type shares with the runtime.
 *
 * State is a set of *slots*. Every slot belongs to exactly one origin (a replica incarnation),
 * and only that origin ever writes it, so merging is per slot: the copy with the higher version
 * wins. Versions are numbers the owning origin hands out in increasing order, one per change of
 * a slot, which makes a whole state a join-semilattice and lets a peer ask for "everything of
 * origin O after version n" (Scuttlebutt reconciliation).
 *
 * Slots are addressed by small integers (`slot refs`) local to one state object. Origins are
 * small integers local to one replica; the frame codec maps them to `(id, incarnation)` pairs on
 * the wire through an `OriginCodec`.
 */
import type { Encoder, Reader } from './codec.js'

/** Where a type reports that one of its own slots changed and needs a version at the next round. */
export interface DirtySink {
  markDirty(fieldIndex: number, slot: number): void
}

/** What a state type may ask of the replica it lives in. Pure: no I/O. */
export interface TypeContext {
  /** Instance id of an origin (per-instance views). */
  originId(origin: number): string
  /**
   * Total order of origins for last-writer-wins ties: by instance id, then incarnation, so two
   * incarnations of one id never tie (every replica must pick the same winner).
   */
  originRank(origin: number): string
  /** Current time in ms by the replica's clock (idle expiry, hybrid logical clock). */
  now(): number
  /** Origins whose instances are live members right now (for `perInstance` reductions). */
  isLive(origin: number): boolean
  /** Advance the replica's hybrid logical clock past a timestamp seen in a remote slot. */
  observeTimestamp(wallMs: number, logical: number): void
  /** A new hybrid-logical-clock timestamp for a local write. */
  nextTimestamp(): { wallMs: number; logical: number }
}

/** Maps local origin numbers to the numbers used inside one frame, and back. */
export interface OriginCodec {
  /** Wire reference for a local origin (registers it in the frame's origin table). */
  toWire(origin: number): number
  /** Number of origins in the frame's table (decode-time bound for references). */
  readonly size: number
  /** Local origin of a wire reference (apply time, after validation). */
  toLocal(wireRef: number): number
}

/**
 * Slot-level operations the gossip engine drives. `Delta` is the decoded, validated payload of
 * one slot: decoding never touches state, so a frame can be validated whole before any of it is
 * applied.
 */
/** What `SlotOps.applySlot` returns for an interned slot whose binding is not held here. */
export const MISSING_BINDING = -2

/**
 * Slots named on the wire by a per-origin *binding* instead of their full identity (flow tables
 * intern their keys; see crdts/flow-table-bindings.ts). A binding is a change of its origin with a
 * version of its own, logged and gossiped like a slot; the gossip engine numbers binding changes
 * as field `fieldCount + field`, so they stay in the origin's version order.
 */
export interface InternedOps<State, Delta, Binding> {
  /** Like `SlotOps.encodeSlot`, naming the slot by its binding. */
  encodeSlot(encoder: Encoder, state: State, slot: number, origins: OriginCodec): void
  /** Like `SlotOps.decodeSlot`; `SlotOps.applySlot` resolves the binding and returns `-2` when it is not held here. */
  decodeSlot(reader: Reader, origins: OriginCodec, state: State, into?: Delta): Delta
  /** Whether an own slot needs a binding before its first stamp. */
  needsBinding(state: State, slot: number): boolean
  /** Binds an own slot of `origin`; `version` is the binding's own version. Returns the binding's ref. */
  bind(state: State, origin: number, slot: number, version: number): number
  /** Version of the binding now held under `ref` for `origin` (0: none). */
  bindingVersion(state: State, origin: number, ref: number): number
  encodeBinding(encoder: Encoder, state: State, origin: number, ref: number): void
  /** Reads one binding; `into`, as for `decodeSlot`. */
  decodeBinding(reader: Reader, into?: Binding): Binding
  /** Joins a binding made at `version`; returns its ref, or -1 when a newer one is held. */
  applyBinding(state: State, origin: number, version: number, binding: Binding): number
}

export interface SlotOps<State, Delta, Binding = unknown> {
  /** Current version of a slot (0 = never stamped). */
  version(state: State, slot: number): number
  /** Origin that owns a slot. */
  owner(state: State, slot: number): number
  /** Give an own dirty slot its version (called once per round for each dirty slot). */
  stamp(state: State, slot: number, version: number): void
  /** Write the slot's identity and value (not its origin or version: the frame carries those). */
  encodeSlot(encoder: Encoder, state: State, slot: number, origins: OriginCodec): void
  /**
   * Read one slot payload, validating everything; reads `state` only for its layout, never changes
   * it. `into`, when given, is a delta this method returned before for this state's layout that
   * the caller no longer needs: an implementation may overwrite and return it instead of
   * allocating (flow tables do; a large group's chunks pass their deltas back).
   */
  decodeSlot(reader: Reader, origins: OriginCodec, state: State, into?: Delta): Delta
  /**
   * Join one remote slot into the state. Returns the slot ref when the incoming version was newer
   * (the state changed), or -1 when it was ignored.
   */
  applySlot(state: State, origin: number, version: number, delta: Delta, origins: OriginCodec): number
  /** Every slot currently stored, as refs (for full-state joins in tests and for compaction). */
  slots(state: State): Iterable<number>
  /**
   * Folding of a departed origin (docs/compaction.md), step 1, run by its heir only: moves what
   * the slots of `from` contribute to the global view into the slots of `into` (the heir's own
   * origin), as own writes marked dirty through the sink, so they get versions at the next stamp.
   * Leaves `from`'s slots in place (`dropOrigin` removes them). Types without it cannot be folded.
   */
  absorb?(state: State, from: number, into: number): void
  /**
   * Folding, step 2, run by every replica once it holds the heir's absorbing writes: forgets
   * every slot of `origin` and every reference other slots hold to it. After `absorb(from, into)`
   * and `dropOrigin(from)`, every global view equals what it was before the two calls.
   */
  dropOrigin?(state: State, origin: number): void
  /**
   * Makes room before a large batch of remote changes of `origin` (a joiner's catch-up): `slots`
   * slots and, for a type that interns, `bindings` bindings. Only capacity: the state reads the same.
   */
  reserve?(state: State, origin: number, slots: number, bindings: number): void
  /** The gossip engine's encoding when a type interns slot identities (see `InternedOps`). */
  interned?: InternedOps<State, Delta, Binding>
}
