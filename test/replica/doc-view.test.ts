/**
 * The doc() field in `snapshot()`: two replicas that hold the same document content show the
 * same view, whatever root types their code opened and whenever `snapshot()` was called.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, doc } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'

const Rules = defineState({ rules: doc(), packets: counter() })
const gossip = { intervalMs: 100 }

describe('doc() in snapshots', () => {
  it('a root type opened but never written does not keep replicas apart', () => {
    const sim = createSimulation({ seed: 1 })
    const a = sim.spawn(Rules, { id: 'a', gossip })
    const b = sim.spawn(Rules, { id: 'b', gossip })
    a.state.rules.doc.getArray('list')
    a.state.rules.doc.getMap('config')
    expect(a.snapshot()).toEqual(b.snapshot())
    sim.runUntilConverged({ maxMs: 1_000 })
  })

  it('a remote map shows as a map, also when its edits arrived in order', () => {
    const sim = createSimulation({ seed: 1, latencyMs: [5, 5] })
    const a = sim.spawn(Rules, { id: 'a', gossip })
    const b = sim.spawn(Rules, { id: 'b', gossip })
    sim.advance(300)
    b.state.rules.doc.getArray<number>('list').push([1])
    b.state.rules.doc.getMap<string>('config').set('mode', 'strict')
    sim.runUntilConverged({ maxMs: 5_000 })
    expect(a.snapshot()['rules']).toEqual({ config: { mode: 'strict' }, list: [1] })
  })

  // Library bug: an update whose dependencies have not arrived (here: b's first edit was lost to
  // a partition, the second, a map entry, arrives) leaves its root type in a's document as an
  // empty placeholder. `snapshot()` (which `sim.runUntilConverged` calls at every step) turns
  // such a placeholder into a Y.Array (crdts/doc.ts, specialize), so when the missing edit comes
  // and the map entry integrates, it lands in an array's map part, which no view shows: a never
  // shows `config`, and the group never converges. A read must not fix a root type's kind.
  it('a map whose first edit arrives before the edit it depends on still shows', async () => {
    const sim = createSimulation({ seed: 1, latencyMs: [5, 5] })
    const a = sim.spawn(Rules, { id: 'a', gossip })
    const b = sim.spawn(Rules, { id: 'b', gossip })
    sim.advance(300)
    sim.partition(['a'], ['b'])
    b.state.rules.doc.getArray<number>('list').push([1])
    await b.flush()             // the push carrying this edit is dropped by the partition
    sim.advance(10)
    sim.heal()
    b.state.rules.doc.getMap<string>('config').set('mode', 'strict')
    await b.flush()             // carries only the map entry, which depends on the lost edit
    sim.advance(6)              // delivered: a holds it as pending, 'config' as a placeholder
    expect(a.snapshot()['rules']).toEqual({})
    sim.advance(1_000)          // digests bring the lost edit; the pending entry integrates
    expect(b.snapshot()['rules']).toEqual({ config: { mode: 'strict' }, list: [1] })
    expect(a.snapshot()['rules']).toEqual({ config: { mode: 'strict' }, list: [1] })
  })
})
