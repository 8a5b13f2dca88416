/**
 * One traffic-monitor instance of the networked benchmark, in its own process: it generates the
 * workload's packet sequence (../shared/WORKLOAD.md), keeps the packets the flow-hashing load
 * balancer sends to it, and on `go` processes them in batches of B, letting gossip run between
 * batches. A joiner (no packets) measures how long it takes to hold the whole state.
 */
import { createReplica } from '../../src/index.js'
import { webSocketTransport } from '../../src/node/index.js'
import { TrafficMonitor } from '../../examples/traffic-monitor.js'
import { createRandom, flowKeyOf, packetSize, sampleZipf, zipfTable } from '../workload.js'

export interface WorkerArgs {
  id: string
  /** Position among the R serving instances, or -1 for a joiner. */
  index: number
  replicas: number
  flows: number
  packets: number
  batch: number
  seed: number
  intervalMs: number
  peers: string[]
  /** For a joiner: the state to wait for. */
  expect?: { packets: number; flows: number }
}

/** The instance a flow goes to: a multiplicative hash of its number, modulo R. */
export function instanceOf(flow: number, replicas: number): number {
  return (Math.imul(flow, 2654435761) >>> 0) % replicas
}

const args = JSON.parse(process.argv[2]!) as WorkerArgs
const send = (message: unknown) => process.send?.(message)
process.on('disconnect', () => process.exit(0))

const transport = webSocketTransport({ port: 0, peers: args.peers, maxFrameBytes: 16 << 20 })
const replica = createReplica(TrafficMonitor, {
  id: args.id, transport,
  gossip: { intervalMs: args.intervalMs, failureTimeoutMs: Math.max(5000, 20 * args.intervalMs), maxFrameBytes: 8 << 20 },
})

// The packet sequence, generated before timing: flow numbers, sizes and matches of own packets.
const keys: string[] = []
let own = { flows: new Int32Array(0), sizes: new Uint16Array(0), matches: new Uint8Array(0) }
if (args.index >= 0) {
  for (let flow = 0; flow < args.flows; flow++) keys.push(flowKeyOf(flow))
  const random = createRandom(args.seed)
  const cdf = zipfTable(args.flows, 1.1)
  const flows = new Int32Array(args.packets)
  const sizes = new Uint16Array(args.packets)
  const matches = new Uint8Array(args.packets)
  let count = 0
  for (let i = 0; i < args.packets; i++) {
    const flow = sampleZipf(cdf, random)
    const size = packetSize(random)
    const match = random.next() < 1 / 15 ? 1 : 0
    if (instanceOf(flow, args.replicas) !== args.index) continue
    flows[count] = flow
    sizes[count] = size
    matches[count] = match
    count++
  }
  own = { flows: flows.subarray(0, count), sizes: sizes.subarray(0, count), matches: matches.subarray(0, count) }
}

const yieldToGossip = () => new Promise<void>((resolve) => setImmediate(resolve))

async function run(): Promise<void> {
  const state = replica.state
  const started = performance.now()
  const total = own.flows.length
  for (let start = 0; start < total; start += args.batch) {
    const end = Math.min(total, start + args.batch)
    for (let i = start; i < end; i++) {
      state.packets.increment()
      const entry = state.flows.entry(keys[own.flows[i]!]!)
      entry.packets.increment()
      entry.bytes.increment(own.sizes[i]!)
      if (own.matches[i] === 1) {
        state.matches.increment()
        entry.matches.increment()
      }
    }
    await yieldToGossip()
  }
  const finished = performance.now()
  send({ done: true, packets: total, startedAt: performance.timeOrigin + started, finishedAt: performance.timeOrigin + finished })
}

async function join(target: { packets: number; flows: number }, startedAt: number): Promise<void> {
  while (replica.state.packets.global < target.packets || replica.state.flows.size < target.flows) {
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  send({ caughtUp: true, ms: performance.now() - startedAt, bytesReceived: replica.stats().bytesReceived })
}

process.on('message', (message: { op: string }) => {
  if (message.op === 'go') void run()
  else if (message.op === 'exit') void replica.stop().then(() => process.exit(0))
  else if (message.op === 'read') {
    send({ read: true, packets: replica.state.packets.global, flows: replica.state.flows.size, members: replica.members().length, at: performance.timeOrigin + performance.now(), stats: replica.stats() })
  }
})

const before = performance.now()
await replica.start()
send({ ready: true, address: transport.address })
if (args.expect) void join(args.expect, before)
