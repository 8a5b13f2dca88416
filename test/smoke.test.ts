import { expect, test } from 'vitest'
import { counter, defineState, flowTable, maxRegister, perInstance, pnCounter, register, set, doc } from '../src/index.js'
import { createSimulation } from '../src/sim/index.js'

const Monitor = defineState({
  packets: counter(), active: pnCounter(), blocked: set<string>(), threshold: register<number>(100),
  load: perInstance<number>({ reduce: 'avg' }),
  flows: flowTable({ fields: { packets: counter(), bytes: counter(), lastSeen: maxRegister() }, idleTimeoutMs: 30_000 }),
  rules: doc(),
})

test('smoke', async () => {
  const sim = createSimulation({ seed: 42, latencyMs: [1, 20], loss: 0.1, duplicate: 0.05, reorder: true })
  const a = sim.spawn(Monitor, { id: 'a' })
  const b = sim.spawn(Monitor, { id: 'b' })
  const c = sim.spawn(Monitor, { id: 'c' })
  a.state.packets.increment(5); b.state.packets.increment(7)
  a.state.flows.entry('f1').packets.increment(3)
  b.state.flows.entry('f1').packets.increment(4)
  c.state.blocked.add('1.2.3.4')
  a.state.threshold.set(7)
  a.state.load.set(10); b.state.load.set(20); c.state.load.set(30)
  a.state.rules.doc.getArray('r').push(['x'])
  const ms = sim.runUntilConverged({ maxMs: 60_000 })
  console.log('converged in', ms, JSON.stringify(a.snapshot()), a.members(), a.stats())
  expect(a.snapshot()).toEqual(c.snapshot())
  expect(c.state.packets.global).toBe(12)
  expect(c.state.flows.get('f1')!.packets.global).toBe(7)
  await b.leave()
  sim.crash('c')
  const d = sim.spawn(Monitor, { id: 'd' })
  sim.runUntilConverged({ maxMs: 60_000 })
  console.log(JSON.stringify(d.snapshot()), d.members(), a.members())
  expect(d.state.packets.global).toBe(12)
})
