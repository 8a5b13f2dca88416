/**
 * Bad write arguments throw `RangeError` and change nothing: not the snapshot, not the local
 * views, not the replica's version (nothing marked dirty is stamped by the next round), and
 * nothing reaches a peer.
 */
import { describe, expect, it } from 'vitest'
import { createSimulation } from '../../src/sim/index.js'
import { Monitor, type MonitorReplica, gossip, writeEverything } from './support.js'

type BadWrite = [string, (replica: MonitorReplica) => unknown]

const notCounts = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -0.5, '1' as unknown as number, null as unknown as number]
const notKeys = [-1, 1.5, Number.NaN, 2 ** 53, {} as unknown as string, null as unknown as string, undefined as unknown as string, true as unknown as string]
const notFinite = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '3' as unknown as number]

const badWrites: BadWrite[] = [
  ...notCounts.flatMap((n): BadWrite[] => [
    [`counter.increment(${String(n)})`, (r) => r.state.packets.increment(n)],
    [`pnCounter.increment(${String(n)})`, (r) => r.state.active.increment(n)],
    [`pnCounter.decrement(${String(n)})`, (r) => r.state.active.decrement(n)],
    [`flow counter.increment(${String(n)})`, (r) => r.state.flows.entry('f').packets.increment(n)],
    [`flow pnCounter.decrement(${String(n)})`, (r) => r.state.flows.entry('f').balance.decrement(n)],
    [`flow counter of a new entry .increment(${String(n)})`, (r) => r.state.flows.entry('new-flow').packets.increment(n)],
  ]),
  ...notKeys.flatMap((key): BadWrite[] => [
    [`set.add(${String(key)})`, (r) => r.state.blocked.add(key)],
    [`set.delete(${String(key)})`, (r) => r.state.blocked.delete(key)],
    [`flowTable.entry(${String(key)})`, (r) => r.state.flows.entry(key)],
    [`flowTable.delete(${String(key)})`, (r) => r.state.flows.delete(key)],
  ]),
  ...notFinite.flatMap((n): BadWrite[] => [
    [`maxRegister.set(${String(n)})`, (r) => r.state.peak.set(n)],
    [`flow maxRegister.set(${String(n)})`, (r) => r.state.flows.entry('f').lastSeen.set(n)],
    [`perInstance(sum).set(${String(n)})`, (r) => r.state.load.set(n)],
  ]),
]

function setup() {
  const sim = createSimulation({ seed: 31, latencyMs: [1, 5] })
  const a = sim.spawn(Monitor, { id: 'a', gossip })
  const b = sim.spawn(Monitor, { id: 'b', gossip })
  writeEverything(a, 1)
  a.state.flows.entry('f').packets.increment(1)
  sim.runUntilConverged({ maxMs: 5_000 })
  // Past a round boundary: the local 'change' events of these writes are all out.
  sim.advance(gossip.intervalMs * 2)
  return { sim, a, b }
}

describe('bad write arguments', () => {
  it.each(badWrites)('%s throws RangeError and changes nothing', (_name, write) => {
    const { sim, a, b } = setup()
    const snapshot = a.snapshot()
    const local = { packets: a.state.packets.local, active: a.state.active.local, peak: a.state.peak.local, load: a.state.load.local, blocked: a.state.blocked.local }
    const version = a.stats().version
    const localChanges: string[][] = []
    a.on('change', (event) => { if (event.source === 'local') localChanges.push(event.fields) })

    expect(() => write(a)).toThrow(RangeError)
    expect(a.snapshot()).toEqual(snapshot)
    expect(a.state.flows.has('new-flow')).toBe(false)

    sim.advance(100)
    expect(a.stats().version).toBe(version)
    expect(localChanges).toEqual([])
    expect({ packets: a.state.packets.local, active: a.state.active.local, peak: a.state.peak.local, load: a.state.load.local, blocked: a.state.blocked.local }).toEqual(local)
    expect(b.snapshot()).toEqual(snapshot)
  })

  it('the error message names the bad value', () => {
    const { a } = setup()
    expect(() => a.state.packets.increment(-7)).toThrow(/-7/)
    expect(() => a.state.blocked.add(2.5)).toThrow(/2\.5/)
    expect(() => a.state.peak.set(Number.NaN)).toThrow(/NaN/)
  })

  it('good writes after bad ones still work', () => {
    const { sim, a, b } = setup()
    expect(() => a.state.packets.increment(-1)).toThrow(RangeError)
    a.state.packets.increment(0)
    a.state.packets.increment(1_000_000_000)
    a.state.blocked.add(0)
    a.state.flows.entry(Number.MAX_SAFE_INTEGER).packets.increment(2)
    sim.runUntilConverged({ maxMs: 5_000 })
    expect(b.state.packets.global).toBe(6 + 1_000_000_000)
    expect(b.state.blocked.has(0)).toBe(true)
    expect(b.state.flows.get(Number.MAX_SAFE_INTEGER)?.packets.global).toBe(2)
  })
})
