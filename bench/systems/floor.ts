/**
 * The plain-JS floor: what the language allows without any replication library. Each replica is
 * a flat Map of flow key to slot plus typed-array counters (global totals and own increments
 * since the last sync); a sync sends, per changed flow, the key string and the increments, in a
 * hand-written varint encoding. It relies on every delta being applied exactly once (the
 * in-process hand-over guarantees that), which is what a CRDT would not need.
 */
import type { PacketSequence } from '../packets.js'
import type { FlowCounts, System, SystemModule } from '../system.js'
import { ByteReader, ByteWriter } from './floor-codec.js'

const FIELDS = 3

class FloorReplica {
  readonly slotOf = new Map<string, number>()
  keys: string[] = []
  /** Per slot: global packets, bytes, matches. */
  counts = new Float64Array(FIELDS * 1024)
  /** Per slot: own increments not yet sent. */
  pending = new Float64Array(FIELDS * 1024)
  dirty = new Int32Array(1024)
  isDirty = new Uint8Array(1024)
  dirtyCount = 0
  size = 0
  packets = 0
  matches = 0
  pendingPackets = 0
  pendingMatches = 0

  slotFor(key: string): number {
    const slot = this.slotOf.get(key)
    return slot === undefined ? this.add(key) : slot
  }

  private add(key: string): number {
    const slot = this.size++
    if (slot === this.isDirty.length) this.grow()
    this.slotOf.set(key, slot)
    this.keys.push(key)
    return slot
  }

  private grow(): void {
    const capacity = this.isDirty.length * 2
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T, size: number): T => {
      const grown = new (array.constructor as new (size: number) => T)(size)
      grown.set(array)
      return grown
    }
    this.counts = grow(this.counts, FIELDS * capacity)
    this.pending = grow(this.pending, FIELDS * capacity)
    this.dirty = grow(this.dirty, capacity)
    this.isDirty = grow(this.isDirty, capacity)
  }

  /** Own increments since the last sync: a frame for every peer. */
  encodeDelta(writer: ByteWriter): Uint8Array {
    writer.varUint(this.pendingPackets)
    writer.varUint(this.pendingMatches)
    writer.varUint(this.dirtyCount)
    const { dirty, pending, keys, isDirty } = this
    for (let i = 0; i < this.dirtyCount; i++) {
      const slot = dirty[i]!
      const base = slot * FIELDS
      writer.string(keys[slot]!)
      writer.varUint(pending[base]!)
      writer.varUint(pending[base + 1]!)
      writer.varUint(pending[base + 2]!)
      pending[base] = 0
      pending[base + 1] = 0
      pending[base + 2] = 0
      isDirty[slot] = 0
    }
    this.dirtyCount = 0
    this.pendingPackets = 0
    this.pendingMatches = 0
    return writer.take()
  }

  applyDelta(frame: Uint8Array): void {
    const reader = new ByteReader(frame)
    this.packets += reader.varUint()
    this.matches += reader.varUint()
    const changed = reader.varUint()
    for (let i = 0; i < changed; i++) {
      const base = this.slotFor(reader.string()) * FIELDS
      const counts = this.counts
      counts[base] += reader.varUint()
      counts[base + 1] += reader.varUint()
      counts[base + 2] += reader.varUint()
    }
  }

  /** Everything this replica holds, for a joiner. */
  encodeSnapshot(writer: ByteWriter): Uint8Array {
    writer.varUint(this.packets)
    writer.varUint(this.matches)
    writer.varUint(this.size)
    for (let slot = 0; slot < this.size; slot++) {
      const base = slot * FIELDS
      writer.string(this.keys[slot]!)
      writer.varUint(this.counts[base]!)
      writer.varUint(this.counts[base + 1]!)
      writer.varUint(this.counts[base + 2]!)
    }
    return writer.take()
  }

  flowCounts(key: string): FlowCounts {
    const slot = this.slotOf.get(key)
    if (slot === undefined) return { packets: 0, bytes: 0, matches: 0 }
    const base = slot * FIELDS
    return { packets: this.counts[base]!, bytes: this.counts[base + 1]!, matches: this.counts[base + 2]! }
  }
}

class FloorSystem implements System {
  private readonly replicas: (FloorReplica | null)[] = []
  private readonly writer = new ByteWriter()
  private bytes = 0

  constructor(private readonly keys: string[], replicaCount: number) {
    for (let i = 0; i < replicaCount; i++) this.replicas.push(new FloorReplica())
  }

  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void {
    const state = this.replicas[replica]!
    const slot = state.slotFor(this.keys[flow]!)
    const base = slot * FIELDS
    const counts = state.counts
    const pending = state.pending
    counts[base] += 1
    counts[base + 1] += sizeBytes
    pending[base] += 1
    pending[base + 1] += sizeBytes
    state.packets++
    state.pendingPackets++
    if (matches) {
      counts[base + 2] += 1
      pending[base + 2] += 1
      state.matches++
      state.pendingMatches++
    }
    if (state.isDirty[slot] === 0) {
      state.isDirty[slot] = 1
      state.dirty[state.dirtyCount++] = slot
    }
  }

  sync(replica: number): void {
    const frame = this.replicas[replica]!.encodeDelta(this.writer)
    for (let peer = 0; peer < this.replicas.length; peer++) {
      const target = this.replicas[peer]
      if (peer === replica || target === null || target === undefined) continue
      this.bytes += frame.length
      target.applyDelta(frame)
    }
  }

  settle(): void {}

  globalPackets(replica: number): number {
    return this.replicas[replica]!.packets
  }

  flowPackets(replica: number, flow: number): number {
    const state = this.replicas[replica]!
    const slot = state.slotOf.get(this.keys[flow]!)
    return slot === undefined ? 0 : state.counts[slot * FIELDS]!
  }

  flowCounts(replica: number, flow: number): FlowCounts {
    return this.replicas[replica]!.flowCounts(this.keys[flow]!)
  }

  wireBytes(): number {
    return this.bytes
  }

  join(from: number): number {
    const snapshot = this.replicas[from]!.encodeSnapshot(this.writer)
    this.bytes += snapshot.length
    const joiner = new FloorReplica()
    const reader = new ByteReader(snapshot)
    joiner.packets = reader.varUint()
    joiner.matches = reader.varUint()
    const size = reader.varUint()
    for (let i = 0; i < size; i++) {
      const base = joiner.slotFor(reader.string()) * FIELDS
      joiner.counts[base] = reader.varUint()
      joiner.counts[base + 1] = reader.varUint()
      joiner.counts[base + 2] = reader.varUint()
    }
    this.replicas.push(joiner)
    return this.replicas.length - 1
  }

  leave(replica: number): void {
    this.sync(replica)
    this.replicas[replica] = null
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async close(): Promise<void> {}
}

export const floor: SystemModule = {
  async create(sequence: PacketSequence) {
    return new FloorSystem(sequence.keys, sequence.parameters.replicas)
  },
}
