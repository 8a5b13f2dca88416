import { describe, expect, it } from 'vitest'
import { type CustomTypeDefinition, SchemaError, counter, createReplica, custom, defineState, memoryPersistence } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { gCounter } from '../testing/types/g-counter.js'
import { lwwRegister } from '../testing/types/lww-register.js'

const gossip = { intervalMs: 20, failureTimeoutMs: 200 }

describe('custom fields in replicas', () => {
  it('replicate like built-in fields: local and global views, snapshot, change events', () => {
    const State = defineState({ hits: gCounter, mode: lwwRegister, packets: counter() })
    const sim = createSimulation({ seed: 5, loss: 0.2, duplicate: 0.1 })
    const [a, b, c] = ['a', 'b', 'c'].map((id) => sim.spawn(State, { id, gossip }))
    const changes: string[][] = []
    c!.on('change', (event) => { if (event.source === 'remote') changes.push(event.fields) })
    a!.state.hits.increment(2)
    b!.state.hits.increment(5)
    sim.advance(30)
    b!.state.mode.set('deny')
    sim.runUntilConverged()
    for (const replica of [a!, b!, c!]) {
      expect(replica.state.hits.global).toBe(7)
      expect(replica.state.mode.global).toBe('deny')
      expect(replica.snapshot()).toEqual({ hits: 7, mode: 'deny', packets: 0 })
    }
    expect(a!.state.hits.local).toBe(2)
    expect(c!.state.hits.local).toBe(0)
    expect(changes.flat()).toContain('hits')
  })

  it('keep a crashed incarnation\'s contribution: a restart writes under a new origin', () => {
    const State = defineState({ hits: gCounter })
    const sim = createSimulation({ seed: 6 })
    const a = sim.spawn(State, { id: 'a', gossip })
    const b = sim.spawn(State, { id: 'b', gossip })
    b.state.hits.increment(4)
    sim.runUntilConverged()
    sim.crash('b')
    const restarted = sim.restart('b') as typeof b
    restarted.state.hits.increment(1)
    sim.runUntilConverged()
    expect(a.state.hits.global).toBe(5)
    expect(restarted.state.hits.local).toBe(1)
  })

  it('show a Map-valued global view in snapshot() as sorted [key, value] pairs, or through the type\'s snapshot', () => {
    const perWriter = custom({ ...gCounter.definition, name: 'test/per-writer', global: (totals) => totals })
    const summed = custom({ ...gCounter.definition, name: 'test/summed', snapshot: (totals) => ({ writers: totals.size }) })
    const sim = createSimulation({ seed: 7 })
    const State = defineState({ perWriter, summed })
    const b = sim.spawn(State, { id: 'b', gossip })
    const a = sim.spawn(State, { id: 'a', gossip })
    b.state.perWriter.increment(1)
    a.state.perWriter.increment(2)
    a.state.summed.increment(1)
    sim.runUntilConverged()
    expect(b.snapshot()).toEqual({ perWriter: [['a#1', 2], ['b#1', 1]], summed: { writers: 1 } })
  })

  it('report a peer whose encode throws as a DecodeError event, and keep running', () => {
    const definition = gCounter.definition as unknown as CustomTypeDefinition<Map<string, number>>
    const unencodable = custom({ ...definition, encode: () => { throw new Error('no encoding for this state') } })
    const State = defineState({ hits: unencodable })
    const sim = createSimulation({ seed: 8 })
    const a = sim.spawn(State, { id: 'a', gossip })
    const b = sim.spawn(State, { id: 'b', gossip })
    const errors: Error[] = []
    b.on('error', (error) => errors.push(error))
    sim.advance(200)
    a.state.hits.increment(1)
    sim.advance(200)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]!.name).toBe('DecodeError')
    expect(errors[0]!.message).toContain('custom type "test/g-counter": the sender could not encode its state (Error: no encoding for this state)')
    expect(b.status).toBe('running')
    expect(b.stats().framesRejected).toBeGreaterThan(0)
  })

  it('persist through the same slot encoding: a restart on the store keeps every flushed write', async () => {
    const State = defineState({ hits: gCounter, mode: lwwRegister })
    const store = memoryPersistence()
    const first = createReplica(State, { id: 'vnf-1', persistence: store, incarnation: 1 })
    await first.start()
    first.state.hits.increment(3)
    first.state.mode.set('deny')
    await first.flush()
    await first.stop()
    const restarted = createReplica(State, { id: 'vnf-1', persistence: store, incarnation: 2 })
    await restarted.start()
    expect(restarted.snapshot()).toEqual({ hits: 3, mode: 'deny' })
    restarted.state.hits.increment(1)
    expect(restarted.state.hits.global).toBe(4)
    expect(restarted.state.hits.local).toBe(1)
    await restarted.stop()
  })

  it('put the type name in the schema fingerprint', () => {
    const renamed = custom({ ...gCounter.definition, name: 'test/g-counter/2' })
    expect(defineState({ hits: gCounter }).canonical).toBe('"hits":custom("test/g-counter")')
    expect(defineState({ hits: gCounter }).fingerprint).not.toBe(defineState({ hits: renamed }).fingerprint)
  })
})

describe('custom(definition) validation', () => {
  const valid = gCounter.definition as unknown as CustomTypeDefinition<unknown, Record<string, () => void>>
  const cases: [string, unknown, string][] = [
    ['no definition', undefined, 'custom takes a definition object'],
    ['an empty name', { ...valid, name: '' }, 'name must be a non-empty string'],
    ['join not a function', { ...valid, join: 1 }, '"test/g-counter".join must be a function, got number'],
    ['decode missing', { ...valid, decode: undefined }, '"test/g-counter".decode must be a function, got undefined'],
    ['global not a function', { ...valid, global: 'sum' }, '"test/g-counter".global must be a function, got string'],
    ['no writes', { ...valid, writes: {} }, 'needs at least one write'],
    ['a write named global', { ...valid, writes: { global: () => {} } }, 'a write cannot be named "global"'],
    ['a write that is not a function', { ...valid, writes: { add: null } }, '"test/g-counter".writes.add must be a function, got null'],
  ]
  it.each(cases)('rejects %s with a SchemaError', (_name, definition, message) => {
    expect(() => custom(definition as CustomTypeDefinition<unknown>)).toThrow(SchemaError)
    expect(() => custom(definition as CustomTypeDefinition<unknown>)).toThrow(message)
  })
})
