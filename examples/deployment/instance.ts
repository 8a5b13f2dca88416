/**
 * One monitor instance of the deployment, as its own process (started by the orchestrator with
 * the child-process IPC channel): a traffic-monitor replica with a WebSocket transport and file
 * persistence, a packet intake that acknowledges batches once durable, and status reports. The
 * orchestrator can cut and restore its gossip with some addresses (`block`, `unblock`: partitions).
 *
 * It exits when told to leave, on SIGTERM, and when the orchestrator goes away (the
 * IPC channel disconnects), so it never outlives the deployment. SIGINT is left to the
 * orchestrator: a Ctrl-C in a terminal reaches every process of the group, and the orchestrator
 * decides how its instances end.
 */
import { parseArgs } from 'node:util'
import { createReplica, type Transport } from 'elastic-state'
import { type WebSocketTransport, filePersistence, webSocketTransport } from 'elastic-state/node'
import { flowKeyOf } from '../../bench/workload.js'
import { TrafficMonitor, handlePacket, type MonitorReplica, type Packet } from '../traffic-monitor.js'
import type { InstanceConfig, InstanceMessage, OrchestratorMessage } from './control.js'
import { stateDigest } from './digest.js'
import { PacketIntake } from './intake.js'

function readConfig(): InstanceConfig {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' }, dir: { type: 'string' }, seeds: { type: 'string', default: '' },
      'gossip-ms': { type: 'string' }, 'failure-ms': { type: 'string' }, 'status-ms': { type: 'string' },
      'ack-delay-ms': { type: 'string' }, blocked: { type: 'string', default: '' },
    },
  })
  const number = (name: string, value: string | undefined): number => {
    const parsed = Number(value)
    if (value === undefined || !Number.isFinite(parsed) || parsed < 0) throw new RangeError(`instance flag --${name} needs a non-negative number, got ${JSON.stringify(value)}`)
    return parsed
  }
  if (!values.id || !values.dir) throw new RangeError('an instance needs --id and --dir')
  return {
    id: values.id, dir: values.dir, seeds: values.seeds.split(',').filter((seed) => seed.length > 0),
    gossipIntervalMs: number('gossip-ms', values['gossip-ms']), failureTimeoutMs: number('failure-ms', values['failure-ms']),
    statusMs: number('status-ms', values['status-ms']), ackDelayMs: number('ack-delay-ms', values['ack-delay-ms']),
    blocked: values.blocked.split(',').filter((address) => address.length > 0),
  }
}

/**
 * The transport as the replica sees it: `blocked` is cut off as soon as the transport listens,
 * before the replica's first gossip round, so an instance started inside a partition never
 * talks across it (`block` before `open` would have nothing to act on).
 */
function blockedFromTheStart(inner: WebSocketTransport, blocked: string[]): Transport {
  if (blocked.length === 0) return inner
  return {
    open: async (localId, onFrame) => {
      const address = await inner.open(localId, onFrame)
      inner.block(blocked)
      return address
    },
    seeds: () => inner.seeds(),
    send: (address, frame) => inner.send(address, frame),
    close: () => inner.close(),
  }
}

function send(message: InstanceMessage): void {
  if (process.connected) process.send!(message)
}

const config = readConfig()
const transport = webSocketTransport({ host: '127.0.0.1', port: 0, peers: config.seeds })
const replica: MonitorReplica = createReplica(TrafficMonitor, {
  id: config.id,
  transport: blockedFromTheStart(transport, config.blocked),
  persistence: filePersistence(config.dir),
  gossip: { intervalMs: config.gossipIntervalMs, failureTimeoutMs: config.failureTimeoutMs },
})
replica.on('error', (error) => send({ type: 'event', text: `${config.id}: ${error.message}` }))
replica.on('member-leave', ({ id, reason }) => send({ type: 'event', text: `${config.id} sees ${id} ${reason}` }))

// Flow keys are derived once per flow: the hot path then only looks them up.
const flowKeys: string[] = []
const packet: Packet = { flow: '', sizeBytes: 0, matches: false }
const intake = new PacketIntake({
  apply: (flow, sizeBytes, matches) => {
    packet.flow = flowKeys[flow] ??= flowKeyOf(flow)
    packet.sizeBytes = sizeBytes
    packet.matches = matches
    handlePacket(replica, packet)
  },
  flush: () => replica.flush(),
  ackDelayMs: config.ackDelayMs,
  report: (text) => send({ type: 'event', text: `${config.id}: ${text}` }),
})

let statusTimer: NodeJS.Timeout | undefined
let ending = false
async function end(how: 'leave' | 'stop', code: number): Promise<void> {
  if (ending) return
  ending = true
  clearInterval(statusTimer)
  // A stuck handoff must not keep the process alive past the orchestrator's patience.
  setTimeout(() => process.exit(code === 0 ? 3 : code), 15_000).unref()
  await intake.close()
  if (how === 'leave') {
    await replica.leave()
    send({ type: 'left' })
  } else {
    await replica.stop()
  }
  process.exit(code)
}

function reportStatus(): void {
  const stats = replica.stats()
  const memory = process.memoryUsage()
  send({
    type: 'status', localPackets: replica.state.packets.local, globalPackets: replica.state.packets.global,
    flows: replica.state.flows.size, members: stats.members, lagMs: stats.lagMs, origins: stats.origins,
    heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, externalBytes: memory.external, framesSent: stats.framesSent, framesReceived: stats.framesReceived,
    bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived,
  })
}

process.on('message', (message: OrchestratorMessage) => {
  if (message.type === 'digest') send(stateDigest(replica))
  else if (message.type === 'leave') void end('leave', 0)
  else if (message.type === 'block') transport.block(message.addresses)
  else if (message.type === 'unblock') transport.unblock()
})
process.on('disconnect', () => void end('stop', 1))
process.on('SIGTERM', () => void end('stop', 0))
process.on('SIGINT', () => {})

await replica.start()
const dataPort = await intake.listen()
statusTimer = setInterval(reportStatus, config.statusMs)
send({ type: 'ready', address: transport.address!, dataPort, incarnation: replica.incarnation, restoredPackets: replica.state.packets.global })
