/**
 * elastic-state over real loopback WebSockets: the R replicas of the in-process system
 * (elastic-state.ts), each with its own `webSocketTransport` listening on 127.0.0.1, all in this
 * process. A sync is one gossip round of the replica (`flush()`), and it ends when every other
 * replica has applied it: each peer's global packet count then covers every packet synced so far
 * plus its own. Waiting yields to the event loop, so socket I/O, the ws framing and the frame
 * hand-over are all in the total. The clock does not move, as in the in-process system: rounds
 * happen only when the benchmark says.
 */
import { createReplica, type Scheduler } from '../../src/index.js'
import { webSocketTransport } from '../../src/node/index.js'
import { TrafficMonitor, handlePacket, type MonitorReplica, type Packet } from '../../examples/traffic-monitor.js'
import type { PacketSequence } from '../packets.js'
import { createRandom } from '../workload.js'
import { flowCountsOf, flowPacketsOf } from './monitor-reads.js'
import type { FlowCounts, System, SystemModule } from '../system.js'

/** Room for the whole state in one frame, so a joiner catches up in one exchange with one peer. */
const MAX_FRAME_BYTES = 256 << 20
const WAIT_LIMIT_MS = 60_000
/** Membership spreads by rounds: while it settles, every replica runs one this often. */
const MEMBERSHIP_ROUND_MS = 10
/** Otherwise one round normally suffices; repeated this often only in case a frame was dropped. */
const SAFETY_ROUND_MS = 1_000

function frozenScheduler(nowMs: number): Scheduler {
  return { now: () => nowMs, schedule: () => null, cancel: () => {} }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

class ElasticStateWebSocketSystem implements System {
  private readonly replicas: (MonitorReplica | null)[] = []
  private readonly addresses: string[] = []
  private readonly scheduler = frozenScheduler(Date.now())
  private readonly packetRecord: Packet = { flow: '', sizeBytes: 0, matches: false }
  /** Packets each replica handled, and how many of them it had handled at its last sync. */
  private handled: number[] = []
  private syncedAt: number[] = []
  private leftBytes = 0

  constructor(private readonly keys: string[], private readonly fanout: number, private readonly seed: number) {}

  private async spawn(seeds: string[]): Promise<MonitorReplica> {
    const transport = webSocketTransport({
      host: '127.0.0.1', port: 0, peers: seeds,
      maxFrameBytes: MAX_FRAME_BYTES, maxBufferedBytes: 2 * MAX_FRAME_BYTES, maxQueuedBytes: MAX_FRAME_BYTES,
    })
    // Peer order comes from a seeded source, as in the in-process system: runs repeat.
    const random = createRandom(this.seed * 1000 + this.replicas.length)
    const replica = createReplica(TrafficMonitor, {
      id: `vnf-${this.replicas.length}`, transport, scheduler: this.scheduler, random: () => random.next(),
      gossip: { fanout: this.fanout, maxFrameBytes: MAX_FRAME_BYTES },
    })
    this.replicas.push(replica)
    this.handled.push(0)
    this.syncedAt.push(0)
    await replica.start()
    this.addresses.push(transport.address!)
    return replica
  }

  async start(replicaCount: number): Promise<void> {
    await this.spawn([])
    for (let i = 1; i < replicaCount; i++) await this.spawn([this.addresses[0]!])
    await this.until('membership', () => this.live().every((index) => this.replicas[index]!.members().length === this.live().length), MEMBERSHIP_ROUND_MS)
  }

  /** Waits, yielding to the event loop, until `done()`; with `roundEveryMs` every replica also runs a round that often. */
  private async until(what: string, done: () => boolean, roundEveryMs: number | null = null): Promise<void> {
    const started = performance.now()
    let lastRound = started
    while (!done()) {
      await nextTurn()
      const now = performance.now()
      if (now - started > WAIT_LIMIT_MS) throw new Error(`elastic-state over WebSockets: ${what} not reached in ${WAIT_LIMIT_MS} ms`)
      if (roundEveryMs !== null && now - lastRound > roundEveryMs) {
        lastRound = now
        for (const replica of this.replicas) if (replica !== null) void replica.flush()
      }
    }
  }

  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void {
    const record = this.packetRecord
    record.flow = this.keys[flow]!
    record.sizeBytes = sizeBytes
    record.matches = matches
    handlePacket(this.replicas[replica]!, record)
    this.handled[replica]!++
  }

  /** Packets replica `peer` counts once it has every sync so far: all synced packets of the others plus its own. */
  private expectedAt(peer: number): number {
    let expected = this.handled[peer]!
    for (let other = 0; other < this.syncedAt.length; other++) if (other !== peer) expected += this.syncedAt[other]!
    return expected
  }

  private everyoneHasEverySync(): boolean {
    return this.live().every((peer) => this.replicas[peer]!.state.packets.global >= this.expectedAt(peer))
  }

  async sync(replica: number): Promise<void> {
    this.syncedAt[replica] = this.handled[replica]!
    void this.replicas[replica]!.flush()
    await this.until(`the sync of replica ${replica}`, () => this.everyoneHasEverySync(), SAFETY_ROUND_MS)
  }

  async settle(): Promise<void> {
    await this.until('agreement after the full sync', () => {
      const live = this.live().map((index) => this.replicas[index]!.state)
      return live.every((state) => state.packets.global === live[0]!.packets.global && state.flows.size === live[0]!.flows.size)
    }, SAFETY_ROUND_MS)
  }

  globalPackets(replica: number): number {
    return this.replicas[replica]!.state.packets.global
  }

  flowPackets(replica: number, flow: number): number {
    return flowPacketsOf(this.replicas[replica]!, this.keys[flow]!)
  }

  flowCounts(replica: number, flow: number): FlowCounts {
    return flowCountsOf(this.replicas[replica]!, this.keys[flow]!)
  }

  wireBytes(): number {
    let bytes = this.leftBytes
    for (const replica of this.replicas) if (replica !== null) bytes += replica.stats().bytesSent
    return bytes
  }

  /** The joiner's only seed is replica `from`; it pulls everything in the answer to its first push. */
  async join(from: number): Promise<number> {
    const source = this.replicas[from]!.state
    const joiner = await this.spawn([this.addresses[from]!])
    await this.until('the joiner catching up', () => joiner.state.packets.global === source.packets.global && joiner.state.flows.size === source.flows.size, SAFETY_ROUND_MS)
    return this.replicas.length - 1
  }

  /** Graceful scale-in: `leave()` hands the replica's updates to a peer before it stops. */
  async leave(replica: number): Promise<void> {
    const leaving = this.replicas[replica]!
    let left = false
    const done = leaving.leave().then(() => { left = true })
    await this.until(`the leave of replica ${replica}`, () => left, SAFETY_ROUND_MS)
    await done
    this.leftBytes += leaving.stats().bytesSent
    this.replicas[replica] = null
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) if (replica !== null) await replica.stop()
  }
}

export const elasticStateWebSocket: SystemModule = {
  async create(sequence: PacketSequence) {
    // The joiner makes R+1 members; fanout covers them all.
    const system = new ElasticStateWebSocketSystem(sequence.keys, sequence.parameters.replicas + 1, sequence.parameters.seed)
    await system.start(sequence.parameters.replicas)
    return system
  },
}
