/**
 * elastic-state, in-process: R replicas of the traffic monitor (examples/traffic-monitor.ts),
 * each packet handled by `handlePacket` at its replica, and a sync every B packets of a replica
 * being one gossip round of that replica (`flush()`) whose frames the DirectNetwork hands to the
 * peers at once. Fanout covers every peer, so one round reaches the R-1 others as the workload
 * says. Time is a virtual clock that does not move: no timer ever fires, so the replicas gossip
 * only when the benchmark says, and nobody is suspected of failure for being slow.
 */
import { createReplica, type Scheduler } from '../../src/index.js'
import { TrafficMonitor, handlePacket, type MonitorReplica, type Packet } from '../../examples/traffic-monitor.js'
import type { PacketSequence } from '../packets.js'
import { createRandom } from '../workload.js'
import { flowCountsOf, flowPacketsOf } from './monitor-reads.js'
import type { FlowCounts, System, SystemModule } from '../system.js'
import { DirectNetwork } from './direct-network.js'

/** Room for the whole state in one frame, so a joiner catches up in one exchange with one peer. */
const MAX_FRAME_BYTES = 256 << 20
const MAX_EXTRA_ROUNDS = 50

function frozenScheduler(nowMs: number): Scheduler {
  return { now: () => nowMs, schedule: () => null, cancel: () => {} }
}

class ElasticStateSystem implements System {
  private readonly network = new DirectNetwork()
  private readonly replicas: (MonitorReplica | null)[] = []
  private readonly scheduler = frozenScheduler(Date.now())
  private readonly packetRecord: Packet = { flow: '', sizeBytes: 0, matches: false }
  private readonly fanout: number

  constructor(private readonly keys: string[], replicaCount: number, private readonly seed: number) {
    // The joiner makes R+1 members; fanout covers them all.
    this.fanout = replicaCount + 1
  }

  async start(replicaCount: number): Promise<void> {
    for (let i = 0; i < replicaCount; i++) this.replicas.push(this.spawn(() => this.network.open()))
    for (const replica of this.replicas) await replica!.start()
    this.network.deliver()
    // Membership first: every replica must know every peer before the first packet.
    for (let round = 0; !this.everyoneKnowsEveryone(); round++) {
      if (round === MAX_EXTRA_ROUNDS) throw new Error(`elastic-state: membership did not settle in ${MAX_EXTRA_ROUNDS} rounds`)
      this.roundOfAll()
    }
  }

  private spawn(seeds: () => readonly string[]): MonitorReplica {
    const id = `vnf-${this.replicas.length}`
    // Peer order comes from a seeded source, so a run repeats frame for frame (with Math.random the
    // order of a round's pushes changes how many answers carry data, and the wire figures with it).
    const random = createRandom(this.seed * 1000 + this.replicas.length)
    return createReplica(TrafficMonitor, {
      id,
      transport: this.network.transport(seeds),
      scheduler: this.scheduler,
      random: () => random.next(),
      gossip: { fanout: this.fanout, maxFrameBytes: MAX_FRAME_BYTES },
    })
  }

  private everyoneKnowsEveryone(): boolean {
    const live = this.live().length
    return this.live().every((index) => this.replicas[index]!.members().length === live)
  }

  private roundOfAll(): void {
    for (const replica of this.replicas) if (replica !== null) void replica.flush()
    this.network.deliver()
  }

  packet(replica: number, flow: number, sizeBytes: number, matches: boolean): void {
    const record = this.packetRecord
    record.flow = this.keys[flow]!
    record.sizeBytes = sizeBytes
    record.matches = matches
    handlePacket(this.replicas[replica]!, record)
  }

  sync(replica: number): void {
    void this.replicas[replica]!.flush()
    this.network.deliver()
  }

  settle(): void {
    for (let round = 0; !this.agree(); round++) {
      if (round === MAX_EXTRA_ROUNDS) throw new Error(`elastic-state: replicas still disagree after ${MAX_EXTRA_ROUNDS} extra rounds`)
      this.roundOfAll()
    }
  }

  private agree(): boolean {
    const live = this.live().map((index) => this.replicas[index]!)
    const first = live[0]!.state
    return live.every(({ state }) => state.packets.global === first.packets.global && state.flows.size === first.flows.size)
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
    return this.network.bytes
  }

  /** The joiner's only seed is replica `from`; it pulls everything in the answer to its first push. */
  async join(from: number): Promise<number> {
    const seed = `vnf-${from}`
    const joiner = this.spawn(() => [seed])
    this.replicas.push(joiner)
    await joiner.start()
    this.network.deliver()
    const source = this.replicas[from]!.state
    for (let round = 0; joiner.state.packets.global !== source.packets.global || joiner.state.flows.size !== source.flows.size; round++) {
      if (round === MAX_EXTRA_ROUNDS) throw new Error(`elastic-state: the joiner did not catch up in ${MAX_EXTRA_ROUNDS} rounds`)
      void joiner.flush()
      this.network.deliver()
    }
    return this.replicas.length - 1
  }

  /** Graceful scale-in: `leave()` hands the replica's updates to a peer before it stops. */
  async leave(replica: number): Promise<void> {
    const leaving = this.replicas[replica]!
    let left = false
    const done = leaving.leave().then(() => { left = true })
    for (let round = 0; !left; round++) {
      this.network.deliver()
      await new Promise((resolve) => setImmediate(resolve))
      if (left) break
      if (round === MAX_EXTRA_ROUNDS) throw new Error(`elastic-state: leave() of replica ${replica} did not finish in ${MAX_EXTRA_ROUNDS} rounds`)
      for (const peer of this.replicas) if (peer !== null && peer !== leaving) void peer.flush()
    }
    await done
    this.replicas[replica] = null
    this.network.deliver()
  }

  live(): number[] {
    return this.replicas.flatMap((replica, index) => (replica === null ? [] : [index]))
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) if (replica !== null) await replica.stop()
  }
}

export const elasticState: SystemModule = {
  async create(sequence: PacketSequence) {
    const system = new ElasticStateSystem(sequence.keys, sequence.parameters.replicas, sequence.parameters.seed)
    await system.start(sequence.parameters.replicas)
    return system
  },
}
