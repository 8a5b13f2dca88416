/**
 * The firewall scenario shared by `main.ts` and its test: three instances behind a flow-hashing
 * load balancer, on the simulated network with frame loss. Clients open connections; a scanner
 * tries a hundred ports, a few at each instance; an operator adds a deny rule at one instance;
 * then the deployment scales out to four instances, which moves a quarter of the connections to
 * the new instance mid-flow. The new instance takes traffic once it has caught up (one gossip
 * exchange), so it knows the rules and the connections.
 */
import * as prng from 'lib0/prng'
import { createSimulation, type Simulation } from 'elastic-state/sim'
import { pickInstance } from '../load-balancer.js'
import { handlePacket, type Packet, type Verdict } from './firewall.js'
import { addRule } from './rules.js'
import { Firewall, SCAN_THRESHOLD, type FirewallReplica } from './state.js'

export const SCANNER = '203.0.113.7'

export interface FirewallScenarioResult {
  sim: Simulation
  instances: FirewallReplica[]
  /** Virtual ms the instances took to agree after the last packet. */
  convergedMs: number
  /** Each check of the run, and whether it held. */
  checks: Record<string, boolean>
}

export function runFirewallScenario(seed: number, log: (line: string) => void = () => {}): FirewallScenarioResult {
  const sim = createSimulation({ seed, latencyMs: [1, 15], loss: 0.05 })
  const random = prng.create(seed)
  const instances: FirewallReplica[] = ['fw-1', 'fw-2', 'fw-3'].map((id) => sim.spawn(Firewall, { id }))
  /** Instances the upstream load balancer sends to. */
  const serving = instances.map((replica) => replica.id)

  /** The upstream load balancer: a connection goes to one instance while the set is unchanged. */
  const send = (packet: Packet): Verdict => {
    const connection = `${packet.source}:${packet.sourcePort}>${packet.destination}:${packet.port}`
    const id = pickInstance(connection, serving)
    return handlePacket(instances.find((replica) => replica.id === id)!.state, packet)
  }

  const clients = Array.from({ length: 40 }, (_, index) => ({
    source: `10.${index % 8}.0.${index}`, sourcePort: 40_000, destination: '192.0.2.10', port: index % 2 === 0 ? 443 : 80,
  }))
  /** First verdict of every connection, by connection. */
  const opened = new Map<string, Verdict>()
  let establishedDropped = 0
  let deniedAccepted = 0
  let deniedTried = 0
  let ruleAdded = false
  let scannerPort = 1

  const tick = () => {
    for (const client of clients) {
      // Now and then a client closes its connection and opens the next one.
      if (prng.int31(random, 0, 19) === 0) client.sourcePort++
      if (prng.int31(random, 0, 3) !== 0) continue
      const key = `${client.source}:${client.sourcePort}`
      const verdict = send({ ...client, sizeBytes: prng.int31(random, 64, 1500) })
      const first = opened.get(key)
      if (first === undefined) {
        opened.set(key, verdict)
        if (ruleAdded && client.source.startsWith('10.6.')) {
          deniedTried++
          if (verdict === 'accepted') deniedAccepted++
        }
      } else if (first === 'accepted' && verdict === 'dropped') {
        establishedDropped++
      }
    }
    if (scannerPort <= 100) send({ source: SCANNER, sourcePort: 50_000, destination: '192.0.2.10', port: scannerPort++, sizeBytes: 60 })
  }

  for (let step = 0; step < 100; step++) {
    tick()
    if (step === 20) {
      addRule(instances[1]!.state.rules.doc, { action: 'deny', sourcePrefix: '10.6.' }, 0)
      log(`[${sim.now()} ms] fw-2: an operator adds "deny 10.6.*" at the top of the rule list`)
      // One gossip round or two for the rule to reach every instance before holding them to it.
      sim.advance(150)
      ruleAdded = true
    }
    if (step === 50) {
      const added = sim.spawn(Firewall, { id: 'fw-4' })
      instances.push(added)
      const catchUpMs = sim.runUntilConverged()
      serving.push(added.id)
      log(`[${sim.now()} ms] scale-out: fw-4 joins, catches up in ${catchUpMs} ms, and the load balancer moves a quarter of the connections to it`)
    }
    sim.advance(10)
  }
  const convergedMs = sim.runUntilConverged()
  const scannerSeen = Math.max(...instances.map((replica) => replica.state.scans.local.distinctPorts(SCANNER)))
  const checks = {
    [`the scanner is blocked everywhere (no instance saw more than ${scannerSeen} of its ports; the threshold is ${SCAN_THRESHOLD})`]:
      instances.every((replica) => replica.state.blocked.has(SCANNER)) && scannerSeen < SCAN_THRESHOLD,
    'no packet of an established connection was dropped, across the scale-out': establishedDropped === 0,
    [`the deny rule held at every instance (${deniedTried} new connections from 10.6.* tried)`]: deniedTried > 0 && deniedAccepted === 0,
  }
  return { sim, instances, convergedMs, checks }
}
