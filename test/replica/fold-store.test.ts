/**
 * Folds and stores (docs/compaction.md): what an heir folds reaches its store whole, and a
 * restart never folds a former heir origin holding less of it than some frame or store record
 * claimed, even while the peer that holds the rest is not yet known to it.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, memoryPersistence, type MemoryPersistence, type Persistence, type Replica } from '../../src/index.js'
import { createSimulation, type Simulation } from '../../src/sim/index.js'

const Counted = defineState({ packets: counter() })
type CountedReplica = Replica<typeof Counted.fields>

const gossip = { intervalMs: 10, failureTimeoutMs: 100, leaveTimeoutMs: 500 } as const

/** Lets replicas with a store finish loading it (start() resolves in a later task). */
function started(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}

function settle(sim: Simulation): void {
  sim.runUntilConverged({ maxMs: 10_000 })
  sim.advance(1_000)
  sim.runUntilConverged({ maxMs: 10_000 })
}

/** A store whose snapshots (whole rewrites) are lost once `losing` is set: a crash mid-rewrite. */
function losingSnapshots(): Persistence & { losing: boolean; inner: MemoryPersistence } {
  const inner = memoryPersistence()
  return {
    inner,
    losing: false,
    load: () => inner.load(),
    append: (record) => inner.append(record),
    replace(record) {
      return this.losing ? Promise.resolve() : inner.replace(record)
    },
    close: () => inner.close(),
  }
}

async function leave(sim: Simulation, replica: CountedReplica): Promise<void> {
  const leaving = replica.leave()
  sim.advance(gossip.leaveTimeoutMs)
  await leaving
}

describe('folds and stores', () => {
  it('an heir that folds while it has no live peer left still writes the fold to its store', async () => {
    const sim = createSimulation({ seed: 3, latencyMs: [0, 0] })
    const a = sim.spawn(Counted, { id: 'a', gossip }) as CountedReplica
    const b = sim.spawn(Counted, { id: 'b', gossip, persistence: memoryPersistence() }) as CountedReplica
    // A third instance b cannot reach yet: b has an address to try but, once a left, no live peer.
    sim.spawn(Counted, { id: 'c', gossip })
    sim.partition(['a', 'b'], ['c'])
    await started()
    a.state.packets.increment(5)
    b.state.packets.increment(1)
    sim.advance(1_000)
    await leave(sim, a)
    sim.advance(1_000)
    expect(b.state.packets.global).toBe(6)
    // b took a's count over, alone: only its store has it now.
    await b.flush()
    sim.crash('b')
    sim.crash('c')
    const reborn = sim.restart('b') as CountedReplica
    await started()
    sim.advance(1_000)
    expect(reborn.state.packets.global).toBe(6)
  })

  it('a restart whose store names its former heir origin but lost its content waits for a peer that holds it', async () => {
    // r1 leaves (heir r2), r3 joins and learns the fold, r2 writes and crashes; r2's store lost
    // the snapshot that held the fold's content. r1 and then r2 restart from their stores: r2
    // first hears only from r1, which never held r2's heir origin.
    const sim = createSimulation({ seed: 0, latencyMs: [0, 0] })
    const stores = { r1: memoryPersistence(), r2: losingSnapshots() }
    const r1 = sim.spawn(Counted, { id: 'r1', gossip, persistence: stores.r1 }) as CountedReplica
    sim.spawn(Counted, { id: 'r2', gossip, persistence: stores.r2 })
    await started()
    r1.state.packets.increment(1)
    settle(sim)
    stores.r2.losing = true
    await leave(sim, r1)
    settle(sim)
    const r3 = sim.spawn(Counted, { id: 'r3', gossip }) as CountedReplica
    await started()
    settle(sim)
    const r2 = sim.replica('r2') as CountedReplica
    r2.state.packets.increment(1)
    settle(sim)
    await r2.flush()
    expect(r3.state.packets.global).toBe(2)
    sim.crash('r2')
    stores.r2.losing = false
    sim.restart('r1')
    sim.restart('r2')
    await started()
    settle(sim)
    for (const replica of sim.replicas() as CountedReplica[]) expect(replica.state.packets.global, replica.id).toBe(2)
  })

  it('a replica that joins after a fold stopped being gossiped learns it with the heir\'s versions, so a restart\'s stale copy of the departed origin is not counted twice', async () => {
    const sim = createSimulation({ seed: 5, latencyMs: [0, 2] })
    const a = sim.spawn(Counted, { id: 'a', gossip }) as CountedReplica
    sim.spawn(Counted, { id: 'b', gossip })
    const c = sim.spawn(Counted, { id: 'c', gossip, persistence: memoryPersistence() }) as CountedReplica
    await started()
    a.state.packets.increment(2)
    c.state.packets.increment(3)
    settle(sim)
    await c.flush()
    await leave(sim, c)
    // Past the gossip window of the fold record (10 failure time-outs): peers stop listing it.
    sim.advance(20 * gossip.failureTimeoutMs)
    const d = sim.spawn(Counted, { id: 'd', gossip }) as CountedReplica
    settle(sim)
    expect(d.state.packets.global).toBe(5)
    // c restarts from a store that still holds its former incarnation, which its heir folded,
    // and at first reaches only d.
    sim.partition(['a', 'b'], ['c', 'd'])
    sim.restart('c')
    await started()
    for (let step = 0; step < 200; step++) {
      if (step === 100) sim.heal()
      sim.advance(5)
      for (const replica of sim.replicas() as CountedReplica[]) expect(replica.state.packets.global, `${replica.id} at ${sim.now()} ms`).toBeLessThanOrEqual(5)
    }
    settle(sim)
    for (const replica of sim.replicas() as CountedReplica[]) expect(replica.state.packets.global, replica.id).toBe(5)
  })

  it('a restart waits for the peers its store names: a write gossiped but never flushed survives the restart\'s fold', async () => {
    const sim = createSimulation({ seed: 2, latencyMs: [0, 0] })
    const r1 = sim.spawn(Counted, { id: 'r1', gossip, persistence: memoryPersistence() }) as CountedReplica
    const r2 = sim.spawn(Counted, { id: 'r2', gossip }) as CountedReplica
    await started()
    settle(sim)
    await r1.flush()
    // Gossiped to r2 by the rounds, never flushed: r1's store does not have it.
    r1.state.packets.increment(1)
    sim.advance(10 * gossip.intervalMs)
    expect(r2.state.packets.global).toBe(1)
    sim.crash('r1')
    // The restart cannot reach r2, and meets only a newcomer that never held r1's write.
    sim.partition(['r2'], ['r1', 'r3'])
    sim.restart('r1')
    sim.spawn(Counted, { id: 'r3', gossip })
    await started()
    // Cut off for a while, though less than the 10 failure time-outs a stored peer is waited for.
    sim.advance(8 * gossip.failureTimeoutMs)
    sim.heal()
    settle(sim)
    for (const replica of sim.replicas() as CountedReplica[]) expect(replica.state.packets.global, replica.id).toBe(1)
  })
})
