/**
 * Replica events: 'member-join' when a peer is first heard of, 'member-leave' with reason
 * 'left' (graceful leave) or 'failed' (failure detection), and 'change' once per round for own
 * writes (source 'local') and for every frame that changed state (source 'remote'), each with
 * the names of the fields that changed.
 */
import { describe, expect, it } from 'vitest'
import type { ChangeEvent, Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { Monitor, gossip } from './support.js'

function record(replica: Replica) {
  const log: string[] = []
  const changes: ChangeEvent[] = []
  replica.on('member-join', (event) => log.push(`join ${event.id}`))
  replica.on('member-leave', (event) => log.push(`leave ${event.id} ${event.reason}`))
  replica.on('change', (event) => changes.push(event))
  return { log, changes }
}

describe('replica events', () => {
  it('member-join fires once on each side when replicas meet, and for a later joiner', () => {
    const sim = createSimulation({ seed: 1, latencyMs: [1, 5] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const aEvents = record(a)
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    const bEvents = record(b)
    sim.advance(200)
    expect(aEvents.log).toEqual(['join b'])
    expect(bEvents.log).toEqual(['join a'])
    const c = sim.spawn(Monitor, { id: 'c', gossip })
    const cEvents = record(c)
    sim.advance(200)
    expect(aEvents.log).toEqual(['join b', 'join c'])
    expect(bEvents.log).toEqual(['join a', 'join c'])
    expect(cEvents.log.sort()).toEqual(['join a', 'join b'])
  })

  it("member-leave says 'left' for a graceful leave and 'failed' for a crash; a restart joins again", async () => {
    const sim = createSimulation({ seed: 2, latencyMs: [1, 5] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    sim.spawn(Monitor, { id: 'c', gossip })
    sim.advance(200)
    const events = record(a)
    await b.leave()
    sim.advance(100)
    expect(events.log).toEqual(['leave b left'])
    sim.crash('c')
    sim.advance(gossip.failureTimeoutMs + 5 * gossip.intervalMs)
    expect(events.log).toEqual(['leave b left', 'leave c failed'])
    sim.restart('c')
    sim.restart('b')
    sim.advance(200)
    expect(events.log.slice(2).sort()).toEqual(['join b', 'join c'])
  })

  it("own writes raise one 'local' change per round, listing each changed field once", () => {
    const sim = createSimulation({ seed: 3, latencyMs: [1, 5] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    sim.advance(gossip.intervalMs / 2)
    const { changes } = record(a)
    a.state.packets.increment()
    a.state.packets.increment()
    a.state.blocked.add('x')
    a.state.flows.entry('f').packets.increment()
    expect(changes).toEqual([])
    sim.advance(gossip.intervalMs)
    expect(changes).toHaveLength(1)
    expect(changes[0]!.source).toBe('local')
    expect(changes[0]!.fields.slice().sort()).toEqual(['blocked', 'flows', 'packets'])
    sim.advance(gossip.intervalMs * 3)
    expect(changes).toHaveLength(1)
  })

  it("a frame that changes state raises a 'remote' change naming the fields; one that changes nothing raises none", () => {
    const sim = createSimulation({ seed: 4, latencyMs: [1, 5] })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const b = sim.spawn(Monitor, { id: 'b', gossip })
    sim.advance(200)
    const { changes } = record(b)
    a.state.threshold.set(5)
    a.state.rules.doc.getArray<string>('list').push(['rule'])
    sim.runUntilConverged({ maxMs: 5_000 })
    const remote = changes.filter((event) => event.source === 'remote')
    expect(remote.length).toBeGreaterThan(0)
    expect(new Set(remote.flatMap((event) => event.fields))).toEqual(new Set(['rules', 'threshold']))
    expect(changes.filter((event) => event.source === 'local')).toEqual([])
    const seen = changes.length
    sim.advance(1_000)
    expect(changes).toHaveLength(seen)
  })

  it('off() removes a listener', () => {
    const sim = createSimulation({ seed: 5 })
    const a = sim.spawn(Monitor, { id: 'a', gossip })
    const seen: ChangeEvent[] = []
    const listener = (event: ChangeEvent) => seen.push(event)
    a.on('change', listener)
    a.state.packets.increment()
    sim.advance(gossip.intervalMs)
    a.off('change', listener)
    a.state.packets.increment()
    sim.advance(gossip.intervalMs)
    expect(seen).toHaveLength(1)
  })
})
