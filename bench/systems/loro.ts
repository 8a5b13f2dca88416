/**
 * Loro: one LoroDoc per replica; root counters `packets` and `matches`, and a map `flows` holding
 * per flow a mergeable map of three LoroCounters (mergeable: replicas that create the same flow
 * concurrently get the same child, so no count is hidden by a map conflict). Each packet
 * increments the counters through handles cached per flow; a sync exports the replica's own
 * operations since its last sync (the range of its own op ids: an update `from` a version would
 * also carry what it imported from the others since), which the other replicas import. Each
 * replica has its own instance of Loro's WebAssembly module (`freshLoro`).
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { LoroCounter, LoroMap, PeerID } from 'loro-crdt'
import type { PacketSequence } from '../packets.js'
import type { FlowCounts, System, SystemModule } from '../system.js'

type LoroModule = typeof import('loro-crdt')

const require = createRequire(import.meta.url)

/**
 * A fresh instance of Loro's WebAssembly module, with a linear memory of its own. Replicas of a
 * deployment run in processes of their own; sharing one instance here would put every replica's
 * document into one 32-bit memory, which the full workload outgrows (about 4.5 GiB for the four
 * replicas at P = 2,000,000; the instance then fails with "RuntimeError: unreachable").
 */
function freshLoro(): LoroModule {
  const entry = require.resolve('loro-crdt')
  const dir = dirname(entry)
  for (const path of Object.keys(require.cache)) if (path.startsWith(dir)) delete require.cache[path]
  return require(entry) as LoroModule
}

interface FlowHandles {
  packets: LoroCounter
  bytes: LoroCounter
  matches: LoroCounter
}

class LoroReplica {
  readonly doc = new (freshLoro().LoroDoc)()
  readonly packets: LoroCounter
  readonly matches: LoroCounter
  readonly flows: LoroMap
  /** Handles by flow key: crossing into WebAssembly for each lookup would dominate every packet. */
  readonly handles = new Map<string, FlowHandles>()
  readonly peer: PeerID
  /** Own op counter up to which the others have everything. */
  exportedTo = 0

  constructor(index: number) {
    this.peer = `${index + 1}`
    this.doc.setPeerId(this.peer)
    this.packets = this.doc.getCounter('packets')
    this.matches = this.doc.getCounter('matches')
    this.flows = this.doc.getMap('flows')
  }

  /** Own operations since the last export. */
  exportOwn(): Uint8Array | null {
    this.doc.commit()
    const end = this.doc.oplogVersion().get(this.peer) ?? 0
    if (end === this.exportedTo) return null
    const update = this.doc.export({ mode: 'updates-in-range', spans: [{ id: { peer: this.peer, counter: this.exportedTo }, len: end - this.exportedTo }] })
    this.exportedTo = end
    return update
  }

  /** Handles of a flow's counters, creating its mergeable children on first write. */
  writable(key: string): FlowHandles {
    let handles = this.handles.get(key)
    if (handles === undefined) {
      const flow = this.flows.ensureMergeableMap(key)
      handles = {
        packets: flow.ensureMergeableCounter('packets'),
        bytes: flow.ensureMergeableCounter('bytes'),
        matches: flow.ensureMergeableCounter('matches'),
      }
      this.handles.set(key, handles)
    }
    return handles
  }

  /** Handles of an existing flow without writing anything, or undefined. */
  readable(key: string): FlowHandles | undefined {
    const cached = this.handles.get(key)
    if (cached !== undefined) return cached
    const flow = this.flows.get(key) as LoroMap | undefined
    if (flow === undefined) return undefined
    const counter = (field: string) => flow.get(field) as LoroCounter | undefined
    const packets = counter('packets')
    const bytes = counter('bytes')
    const matches = counter('matches')
    if (packets === undefined || bytes === undefined || matches === undefined) return undefined
    const handles = { packets, bytes, matches }
    this.handles.set(key, handles)
    return handles
  }
}

class LoroSystem implements System {
  private readonly replicas: (LoroReplica | null)[] = []
  private bytes = 0

  constructor(private readonly keys: string[], replicaCount: number) {
    for (let index = 0; index < replicaCount; index++) this.replicas.push(new LoroReplica(index))
  }

  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void {
    const state = this.replicas[replica]!
    const handles = state.writable(this.keys[flow]!)
    state.packets.increment(1)
    handles.packets.increment(1)
    handles.bytes.increment(sizeBytes)
    if (matches) {
      state.matches.increment(1)
      handles.matches.increment(1)
    }
  }

  sync(replica: number): void {
    const source = this.replicas[replica]!
    const update = source.exportOwn()
    if (update === null) return
    for (const peer of this.replicas) {
      if (peer === null || peer === source) continue
      this.bytes += update.length
      peer.doc.import(update)
    }
  }

  settle(): void {}

  globalPackets(replica: number): number {
    return this.replicas[replica]!.packets.value
  }

  flowPackets(replica: number, flow: number): number {
    return this.replicas[replica]!.readable(this.keys[flow]!)?.packets.value ?? 0
  }

  flowCounts(replica: number, flow: number): FlowCounts {
    const handles = this.replicas[replica]!.readable(this.keys[flow]!)
    return handles === undefined
      ? { packets: 0, bytes: 0, matches: 0 }
      : { packets: handles.packets.value, bytes: handles.bytes.value, matches: handles.matches.value }
  }

  wireBytes(): number {
    return this.bytes
  }

  /** The joiner imports a snapshot of replica `from`. */
  join(from: number): number {
    const index = this.replicas.length
    const joiner = new LoroReplica(index)
    const snapshot = this.replicas[from]!.doc.export({ mode: 'snapshot' })
    this.bytes += snapshot.length
    joiner.doc.import(snapshot)
    this.replicas.push(joiner)
    return index
  }

  leave(replica: number): void {
    this.sync(replica)
    this.replicas[replica]!.doc.free()
    this.replicas[replica] = null
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) replica?.doc.free()
  }
}

export const loro: SystemModule = {
  async create(sequence: PacketSequence) {
    return new LoroSystem(sequence.keys, sequence.parameters.replicas)
  },
}
