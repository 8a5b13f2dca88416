/**
 * Automerge: one document per replica (one actor each), root Counters `packets` and `matches`
 * and per flow an object of three Counters under `flows`, sharded by flow hash into 256 nested
 * maps: a change copies every object on its path in the immutable document, so one flat map of
 * all flows makes each change cost time proportional to the number of flows (about 19 ms a
 * change at 10,000 flows, measured here). Each packet is one change. A sync
 * sends, compressed (`saveSince`), exactly the replica's own changes since its last sync: the
 * heads it passes are its heads at that sync plus the heads of every update it applied since,
 * which its own unsent changes cannot be ancestors of. The other replicas `loadIncremental` it.
 *
 * The initial document (the three root fields) is created once and cloned by every replica:
 * fields created concurrently by several actors would conflict and one would hide the others.
 * A flow object is created by the replica that sees the flow first; with a flow-hashing load
 * balancer no two replicas create the same one.
 */
import * as Automerge from '@automerge/automerge'
import { flowHash, type PacketSequence } from '../packets.js'
import type { FlowCounts, System, SystemModule } from '../system.js'

interface FlowCounters {
  packets: Automerge.Counter
  bytes: Automerge.Counter
  matches: Automerge.Counter
}

interface MonitorDoc {
  packets: Automerge.Counter
  matches: Automerge.Counter
  /** Shard name -> flow key -> counters. */
  flows: Record<string, Record<string, FlowCounters>>
}

const SHARDS = 256

function actorOf(index: number): string {
  return (index + 1).toString(16).padStart(32, '0')
}

class AutomergeReplica {
  /** Heads excluding own unsent changes: own heads at the last sync plus heads of applied updates. */
  sentOrReceived: Set<string>

  constructor(public doc: Automerge.Doc<MonitorDoc>) {
    this.sentOrReceived = new Set(Automerge.getHeads(doc))
  }
}

class AutomergeSystem implements System {
  private readonly replicas: (AutomergeReplica | null)[] = []
  private readonly initial: Automerge.Doc<MonitorDoc>
  /** Shard of each flow, computed once like the keys. */
  private readonly shardOf: string[]
  private bytes = 0

  constructor(private readonly keys: string[], replicaCount: number) {
    this.shardOf = keys.map((key) => `s${flowHash(key) % SHARDS}`)
    this.initial = Automerge.change(Automerge.init<MonitorDoc>({ actor: actorOf(0) }), (doc) => {
      doc.packets = new Automerge.Counter(0)
      doc.matches = new Automerge.Counter(0)
      doc.flows = {}
      for (let shard = 0; shard < SHARDS; shard++) doc.flows[`s${shard}`] = {}
    })
    for (let index = 0; index < replicaCount; index++) {
      this.replicas.push(new AutomergeReplica(Automerge.clone(this.initial, { actor: actorOf(index) })))
    }
  }

  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void {
    const state = this.replicas[replica]!
    const key = this.keys[flow]!
    const shardName = this.shardOf[flow]!
    state.doc = Automerge.change(state.doc, (doc) => {
      doc.packets.increment(1)
      const shard = doc.flows[shardName]!
      const counters = shard[key]
      if (counters === undefined) {
        shard[key] = { packets: new Automerge.Counter(1), bytes: new Automerge.Counter(sizeBytes), matches: new Automerge.Counter(matches ? 1 : 0) }
      } else {
        counters.packets.increment(1)
        counters.bytes.increment(sizeBytes)
        if (matches) counters.matches.increment(1)
      }
      if (matches) doc.matches.increment(1)
    })
  }

  sync(replica: number): void {
    const source = this.replicas[replica]!
    const update = Automerge.saveSince(source.doc, [...source.sentOrReceived])
    const heads = Automerge.getHeads(source.doc)
    source.sentOrReceived = new Set(heads)
    if (update.length === 0) return
    for (const peer of this.replicas) {
      if (peer === null || peer === source) continue
      this.bytes += update.length
      peer.doc = Automerge.loadIncremental(peer.doc, update)
      for (const head of heads) peer.sentOrReceived.add(head)
    }
  }

  settle(): void {}

  globalPackets(replica: number): number {
    return this.replicas[replica]!.doc.packets.value
  }

  flowPackets(replica: number, flow: number): number {
    return this.replicas[replica]!.doc.flows[this.shardOf[flow]!]![this.keys[flow]!]?.packets.value ?? 0
  }

  flowCounts(replica: number, flow: number): FlowCounts {
    const counters = this.replicas[replica]!.doc.flows[this.shardOf[flow]!]![this.keys[flow]!]
    return counters === undefined
      ? { packets: 0, bytes: 0, matches: 0 }
      : { packets: counters.packets.value, bytes: counters.bytes.value, matches: counters.matches.value }
  }

  wireBytes(): number {
    return this.bytes
  }

  /** The joiner loads the saved document of replica `from`. */
  join(from: number): number {
    const index = this.replicas.length
    const saved = Automerge.save(this.replicas[from]!.doc)
    this.bytes += saved.length
    this.replicas.push(new AutomergeReplica(Automerge.load<MonitorDoc>(saved, { actor: actorOf(index) })))
    return index
  }

  leave(replica: number): void {
    this.sync(replica)
    Automerge.free(this.replicas[replica]!.doc)
    this.replicas[replica] = null
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) if (replica !== null) Automerge.free(replica.doc)
  }
}

export const automerge: SystemModule = {
  async create(sequence: PacketSequence) {
    return new AutomergeSystem(sequence.keys, sequence.parameters.replicas)
  },
}
