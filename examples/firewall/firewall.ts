/**
 * What the firewall does with a packet, with local reads and writes only:
 *
 * 1. a packet from a blocked source is dropped;
 * 2. a packet of a known connection (any instance may have opened it) is accepted: that is
 *    what makes the firewall stateful, and why a connection survives being moved to another
 *    instance by a scale event;
 * 3. a new connection is first shown to the port-scan detector, then decided by the rule list;
 *    an allowed one enters the connection table (whose `lastSeen` each write raises, and which
 *    forgets connections idle for `idleTimeoutMs`).
 *
 * A source whose distinct destination ports, counted over every instance, reach the threshold is
 * added to the blocked set, and from then on dropped by every instance.
 */
import { flowKey } from 'elastic-state'
import { decide } from './rules.js'
import { SCAN_THRESHOLD, type FirewallState } from './state.js'

export interface Packet {
  source: string
  sourcePort: number
  destination: string
  port: number
  sizeBytes: number
}

export type Verdict = 'accepted' | 'dropped'

export function handlePacket(state: FirewallState, packet: Packet): Verdict {
  if (state.blocked.has(packet.source)) {
    state.dropped.increment()
    return 'dropped'
  }
  const key = flowKey({ src: packet.source, sport: packet.sourcePort, dst: packet.destination, dport: packet.port, proto: 'tcp' })
  const connection = state.connections.get(key)
  if (connection === undefined) {
    state.scans.tried(packet.source, packet.port)
    if (state.scans.global.distinctPorts(packet.source) >= SCAN_THRESHOLD) {
      state.blocked.add(packet.source)
      state.dropped.increment()
      return 'dropped'
    }
    if (decide(state.rules.doc, packet.source, packet.port) === 'deny') {
      state.dropped.increment()
      return 'dropped'
    }
  }
  const entry = connection ?? state.connections.entry(key)
  entry.packets.increment()
  entry.bytes.increment(packet.sizeBytes)
  state.accepted.increment()
  return 'accepted'
}
