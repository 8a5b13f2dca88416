/**
 * The stateful firewall's replicated state: its connection table (idle connections expire),
 * the sources it blocks, the port-scan detector feeding that set, the ordered rule list, and
 * counts of what it accepted and dropped.
 */
import { counter, defineState, doc, flowTable, maxRegister, set, type Replica, type StateHandles } from 'elastic-state'
import { portScans } from './port-scan.js'

/** Distinct destination ports after which a source counts as scanning, and is blocked. */
export const SCAN_THRESHOLD = 20

export function firewallState(options: { idleTimeoutMs?: number } = {}) {
  return defineState({
    connections: flowTable({
      fields: { packets: counter(), bytes: counter(), lastSeen: maxRegister() },
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    }),
    blocked: set<string>(),
    scans: portScans,
    rules: doc(),
    accepted: counter(),
    dropped: counter(),
  })
}

export const Firewall = firewallState()

export type FirewallFields = typeof Firewall.fields
export type FirewallState = StateHandles<FirewallFields>
export type FirewallReplica = Replica<FirewallFields>
