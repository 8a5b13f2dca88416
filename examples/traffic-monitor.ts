/**
 * The traffic monitor of the E-State experiments as an elastic-state network function: per
 * packet it counts packets globally and per flow, bytes per flow, and for roughly one packet in
 * fifteen a "match" globally and per flow.
 */
import { counter, defineState, flowTable, perInstance, type Replica, type StateHandles } from '../src/index.js'

export const TrafficMonitor = defineState({
  packets: counter(),
  matches: counter(),
  load: perInstance<number>({ reduce: 'sum' }),
  flows: flowTable({ fields: { packets: counter(), bytes: counter(), matches: counter() } }),
})

export type MonitorReplica = Replica<typeof TrafficMonitor.fields>

/** What a monitor writes through: `replica.state`. */
export type MonitorState = StateHandles<typeof TrafficMonitor.fields>

export interface Packet {
  flow: string
  sizeBytes: number
  matches: boolean
}

/** What the network function does with one packet: local writes only, nothing waits. */
export function handlePacket(replica: MonitorReplica, packet: Packet): void {
  countPacket(replica.state, packet)
}

/** `handlePacket` on the state alone (what a convergence check's operations get). */
export function countPacket(state: MonitorState, packet: Packet): void {
  state.packets.increment()
  const entry = state.flows.entry(packet.flow)
  entry.packets.increment()
  entry.bytes.increment(packet.sizeBytes)
  if (packet.matches) {
    state.matches.increment()
    entry.matches.increment()
  }
}
