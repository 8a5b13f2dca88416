/**
 * What a push carries (docs/protocol.md, "An exchange"): the changes its sender versioned since
 * its last round, nothing of other origins. A peer that lacks more sees so in the push's vector
 * and asks. Before, a push carried everything its target had not reported holding, and a target
 * reports only to the peers it sends frames to: in a group of 16, every replica got a new flow
 * about ten times (about 27 times in a group of 32).
 */
import { describe, expect, it } from 'vitest'
import { createSimulation } from '../../src/sim/index.js'
import { Flows, type FlowsReplica, flowKey } from './support.js'

const FLOWS = 2_000

/**
 * Bytes the group sends, beyond its idle traffic, to spread `FLOWS` new flows written at one
 * replica to the others, per flow and receiver; the bytes per flow of one copy (what a joiner
 * then receives); and the virtual ms until every replica holds them.
 */
function spread(size: number, seed: number): { bytesPerCopy: number; copyBytes: number; ms: number } {
  const sim = createSimulation({ seed, latencyMs: [1, 5] })
  const gossip = { intervalMs: 20, failureTimeoutMs: 400 }
  const replicas = Array.from({ length: size }, (_, i) => sim.spawn(Flows, { id: `r${i}`, gossip })) as FlowsReplica[]
  const sent = (): number => replicas.reduce((sum, replica) => sum + replica.stats().bytesSent, 0)
  sim.runUntilConverged({ maxMs: 20_000 })
  sim.advance(1_000)
  let before = sent()
  sim.advance(1_000)
  const idlePerMs = (sent() - before) / 1_000
  before = sent()
  const start = sim.now()
  for (let i = 0; i < FLOWS; i++) replicas[0]!.state.flows.entry(flowKey(0, i)).packets.increment(1)
  sim.runUntilConverged({ maxMs: 20_000 })
  const ms = sim.now() - start
  for (const replica of replicas) expect(replica.state.flows.size, replica.id).toBe(FLOWS)
  // Answers still on their way when the group agrees are counted too.
  sim.advance(1_000)
  const bytes = sent() - before - idlePerMs * (sim.now() - start)
  // One copy of the flows: what a replica that joins now receives to catch up.
  const joiner = sim.spawn(Flows, { id: 'joiner', gossip }) as FlowsReplica
  sim.runUntilConverged({ maxMs: 20_000 })
  expect(joiner.state.flows.size).toBe(FLOWS)
  return { bytesPerCopy: bytes / FLOWS / (size - 1), copyBytes: joiner.stats().bytesReceived / FLOWS, ms }
}

describe('what a push carries', () => {
  it.each([1, 2])('new flows reach each replica of a group of 16 in less than three copies (seed %i)', (seed) => {
    const group = spread(16, seed)
    // Before: about ten copies (270 to 310 bytes per flow and replica, a copy being about 28).
    expect(group.bytesPerCopy).toBeLessThan(3 * group.copyBytes)
    // Within a few rounds (20 ms each) all the same.
    expect(group.ms).toBeLessThanOrEqual(8 * 20)
  })

  it.each([1, 2])('a push that crosses one carrying new flows is not answered with them (seed %i)', (seed) => {
    // In a pair, both push in the same round: the writer's answer to the other's push carried
    // the flows its own push had just carried (two copies before).
    const pair = spread(2, seed)
    expect(pair.bytesPerCopy).toBeLessThan(1.25 * pair.copyBytes)
  })
})
