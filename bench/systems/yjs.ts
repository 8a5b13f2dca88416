/**
 * Yjs: one Y.Doc per replica, and in it one Y.Map per replica that only that replica writes
 * (`r<n>`: flow key -> [packets, bytes, matches], plus `#packets` and `#matches`). A Y.Map key is
 * last-writer-wins, so per-writer maps are what makes the counts add up: a global count is the
 * sum over the writers' maps. Increments are buffered on the hot path and written once per sync
 * in one transaction, whose update (v1 or v2 encoding) the other replicas apply.
 */
import * as Y from 'yjs'
import type { PacketSequence } from '../packets.js'
import type { FlowCounts, System, SystemModule, SystemOptions } from '../system.js'
import { IncrementBuffer } from './increment-buffer.js'

type FlowValue = [number, number, number]
const PACKETS = '#packets'
const MATCHES = '#matches'

class YjsReplica {
  readonly doc = new Y.Doc()
  readonly own: Y.Map<unknown>
  /** Every writer's map, own included. */
  readonly maps: Y.Map<unknown>[] = []
  readonly buffer = new IncrementBuffer()

  constructor(readonly index: number, writers: number[]) {
    this.doc.clientID = index + 1
    this.own = this.doc.getMap(`r${index}`)
    for (const writer of writers) this.addWriter(writer)
  }

  addWriter(writer: number): void {
    this.maps.push(this.doc.getMap(`r${writer}`))
  }

  globalCount(field: string): number {
    let sum = 0
    for (const map of this.maps) sum += (map.get(field) as number | undefined) ?? 0
    return sum
  }

  flowCount(key: string, field: 0 | 1 | 2): number {
    let sum = 0
    for (const map of this.maps) sum += (map.get(key) as FlowValue | undefined)?.[field] ?? 0
    return sum
  }
}

class YjsSystem implements System {
  private readonly replicas: (YjsReplica | null)[] = []
  private bytes = 0
  private readonly updateEvent: 'update' | 'updateV2'
  private readonly apply: (doc: Y.Doc, update: Uint8Array) => void
  private readonly encodeState: (doc: Y.Doc) => Uint8Array

  constructor(private readonly keys: string[], replicaCount: number, encoding: 'v1' | 'v2') {
    this.updateEvent = encoding === 'v1' ? 'update' : 'updateV2'
    this.apply = encoding === 'v1' ? (doc, update) => Y.applyUpdate(doc, update) : (doc, update) => Y.applyUpdateV2(doc, update)
    this.encodeState = encoding === 'v1' ? (doc) => Y.encodeStateAsUpdate(doc) : (doc) => Y.encodeStateAsUpdateV2(doc)
    const writers = Array.from({ length: replicaCount }, (_, index) => index)
    for (const index of writers) this.replicas.push(new YjsReplica(index, writers))
  }

  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void {
    this.replicas[replica]!.buffer.add(this.keys[flow]!, sizeBytes, matches)
  }

  sync(replica: number): void {
    const source = this.replicas[replica]!
    const own = source.own
    let update: Uint8Array | null = null
    const capture = (bytes: Uint8Array) => { update = bytes }
    // Listening only around our own transaction: receivers would otherwise re-encode every applied update.
    source.doc.on(this.updateEvent, capture)
    source.doc.transact(() => {
      const buffer = source.buffer
      if (buffer.packets > 0) own.set(PACKETS, ((own.get(PACKETS) as number | undefined) ?? 0) + buffer.packets)
      if (buffer.matches > 0) own.set(MATCHES, ((own.get(MATCHES) as number | undefined) ?? 0) + buffer.matches)
      buffer.drain((key, packets, bytes, matches) => {
        const current = own.get(key) as FlowValue | undefined
        own.set(key, current === undefined ? [packets, bytes, matches] : [current[0] + packets, current[1] + bytes, current[2] + matches])
      })
    })
    source.doc.off(this.updateEvent, capture)
    const produced = update as Uint8Array | null
    if (produced === null) return
    for (const peer of this.replicas) {
      if (peer === null || peer === source) continue
      this.bytes += produced.length
      this.apply(peer.doc, produced)
    }
  }

  settle(): void {}

  globalPackets(replica: number): number {
    return this.replicas[replica]!.globalCount(PACKETS)
  }

  flowPackets(replica: number, flow: number): number {
    return this.replicas[replica]!.flowCount(this.keys[flow]!, 0)
  }

  flowCounts(replica: number, flow: number): FlowCounts {
    const state = this.replicas[replica]!
    const key = this.keys[flow]!
    return { packets: state.flowCount(key, 0), bytes: state.flowCount(key, 1), matches: state.flowCount(key, 2) }
  }

  wireBytes(): number {
    return this.bytes
  }

  /** The joiner applies the whole document of replica `from` as one update. */
  join(from: number): number {
    const index = this.replicas.length
    const writers = Array.from({ length: index + 1 }, (_, writer) => writer)
    for (const replica of this.replicas) replica?.addWriter(index)
    const joiner = new YjsReplica(index, writers)
    const state = this.encodeState(this.replicas[from]!.doc)
    this.bytes += state.length
    this.apply(joiner.doc, state)
    this.replicas.push(joiner)
    return index
  }

  leave(replica: number): void {
    this.sync(replica)
    this.replicas[replica]!.doc.destroy()
    this.replicas[replica] = null
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) replica?.doc.destroy()
  }
}

export const yjs: SystemModule = {
  async create(sequence: PacketSequence, options: SystemOptions) {
    const encoding = options.variant['encoding']
    if (encoding !== 'v1' && encoding !== 'v2') throw new RangeError(`Yjs update encoding must be v1 or v2, got ${encoding}`)
    return new YjsSystem(sequence.keys, sequence.parameters.replicas, encoding)
  },
}
