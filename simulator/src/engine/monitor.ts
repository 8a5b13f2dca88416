/**
 * The network function the simulator runs: the traffic monitor of the E-State experiments. Per
 * packet it counts packets globally and per flow, bytes per flow, and for roughly one packet in
 * fifteen a "match"; each instance also publishes the packet rate it sees as a per-instance
 * value whose global view is the sum over live instances (E-State's `get_global(key, sum)`).
 */
import { counter, defineState, flowTable, perInstance, type Replica } from 'elastic-state'

export const TrafficMonitor = defineState({
  packets: counter(),
  matches: counter(),
  rate: perInstance<number>({ reduce: 'sum' }),
  flows: flowTable({ fields: { packets: counter(), bytes: counter(), matches: counter() } }),
})

export type MonitorReplica = Replica<typeof TrafficMonitor.fields>

/** What the network function does with one packet: local writes only, nothing waits. */
export function handlePacket(replica: MonitorReplica, flow: string, sizeBytes: number, matches: boolean): void {
  const state = replica.state
  state.packets.increment()
  const entry = state.flows.entry(flow)
  entry.packets.increment()
  entry.bytes.increment(sizeBytes)
  if (matches) {
    state.matches.increment()
    entry.matches.increment()
  }
}
