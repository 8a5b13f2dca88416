/** Fixes found while writing the docs: handoff before any contact, key and value limits, snapshot keys, doc change events. */
import { expect, test } from 'vitest'
import { counter, createReplica, defineState, flowTable, register, set, doc, type Transport } from 'elastic-state'
import { createSimulation } from 'elastic-state/sim'
const S = defineState({ packets: counter(), s: set<string>(), r: register<unknown>(), flows: flowTable({ fields: { packets: counter() } }), d: doc() })
test('leave before hearing from peers hands over', async () => {
  const sim = createSimulation({ seed: 3 })
  const a = sim.spawn(S, { id: 'a' }); const b = sim.spawn(S, { id: 'b' })
  b.state.packets.increment(5); await b.leave(); sim.advance(5000)
  expect(a.state.packets.global).toBe(5)
})
test('long keys and non-plain values are refused', () => {
  const sim = createSimulation({ seed: 3 })
  const a = sim.spawn(S, { id: 'a' })
  expect(() => a.state.s.add('x'.repeat(70_000))).toThrow(RangeError)
  expect(() => a.state.flows.entry('x'.repeat(70_000))).toThrow(RangeError)
  expect(() => a.state.r.set(new Date(0))).toThrow(RangeError)
  expect(() => a.state.r.set({ a: [1, { b: new Map() }] })).toThrow(/\$\.a\[1\]\.b/)
  a.state.r.set({ a: [1, 'x', null, 2n, new Uint8Array([1])] })
})
test('numeric and string keys stay apart in snapshots; remote doc edits raise change', () => {
  const sim = createSimulation({ seed: 3 })
  const a = sim.spawn(S, { id: 'a' }); const b = sim.spawn(S, { id: 'b' })
  a.state.flows.entry(7).packets.increment(1); a.state.flows.entry('7').packets.increment(2)
  const events: string[][] = []
  b.on('change', (e) => { if (e.source === 'remote') events.push(e.fields) })
  a.state.d.doc.getArray('x').push([1])
  sim.runUntilConverged()
  expect(b.snapshot().flows).toEqual({ '7 (number)': { packets: 1 }, '7': { packets: 2 } })
  expect(events.flat()).toContain('d')
})

test('an increment that would take a total past 2^53 - 1 is refused and changes nothing', () => {
  const sim = createSimulation({ seed: 4 })
  const a = sim.spawn(S, { id: 'a' })
  a.state.packets.increment(Number.MAX_SAFE_INTEGER - 1)
  expect(() => a.state.packets.increment(2)).toThrow(RangeError)
  expect(a.state.packets.local).toBe(Number.MAX_SAFE_INTEGER - 1)
  a.state.packets.increment(1)
  expect(a.state.packets.global).toBe(Number.MAX_SAFE_INTEGER)
  a.state.flows.entry('f').packets.increment(Number.MAX_SAFE_INTEGER)
  expect(() => a.state.flows.entry('f').packets.increment(1)).toThrow(RangeError)
  expect(a.state.flows.get('f')!.packets.global).toBe(Number.MAX_SAFE_INTEGER)
})

test('stop() during a pending leave() ends the leave instead of leaving it hanging', async () => {
  // A peer that never answers: the handoff cannot complete, and the leave time-out is far away.
  const silent: Transport = { open: () => 'a', seeds: () => ['b'], send: () => {}, close: async () => {} }
  const a = createReplica(S, { id: 'a', transport: silent, gossip: { intervalMs: 10, leaveTimeoutMs: 1e9 } })
  await a.start()
  a.state.packets.increment(1)
  const leaving = a.leave().then(() => 'left' as const)
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(a.status).toBe('leaving')
  await a.stop()
  const outcome = await Promise.race([leaving, new Promise((resolve) => setTimeout(() => resolve('still pending'), 1000))])
  expect(outcome).toBe('left')
  expect(a.status).toBe('stopped')
})
