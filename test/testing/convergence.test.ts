import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecodeError, counter, custom, defineState, perInstance, set, type StateHandles } from '../../src/index.js'
import { checkConvergence, op } from '../../src/testing/index.js'
import { gCounter } from './types/g-counter.js'
import { lwwRegister } from './types/lww-register.js'
import { expectFailure, expectReadableReport, randomSeed } from './support.js'

const Mixed = defineState({
  hits: gCounter,
  mode: lwwRegister,
  packets: counter(),
  blocked: set<string>(),
  load: perInstance<number>({ reduce: 'sum' }),
})
type Mixed = typeof Mixed.fields

interface Model {
  hits: number
  packets: number
  load: Map<string, number>
}

const mixedOps = [
  op('hit', fc.integer({ min: 1, max: 5 }), (state: StateHandles<Mixed>, n) => state.hits.increment(n), (model: Model, n) => { model.hits += n }),
  op('count', fc.integer({ min: 1, max: 5 }), (state: StateHandles<Mixed>, n) => state.packets.increment(n), (model: Model, n) => { model.packets += n }),
  op('mode', fc.constantFrom('allow', 'deny'), (state: StateHandles<Mixed>, mode) => state.mode.set(mode), () => {}),
  op('block', fc.constantFrom('a', 'b'), (state: StateHandles<Mixed>, ip) => state.blocked.add(ip), () => {}),
  op('load', fc.integer({ min: 0, max: 9 }), (state: StateHandles<Mixed>, load) => state.load.set(load), (model: Model, load, id) => { model.load.set(id, load) }),
]

const mixedModel = {
  initial: (): Model => ({ hits: 0, packets: 0, load: new Map() }),
  expected: (model: Model, live: readonly string[]) => ({
    hits: model.hits,
    packets: model.packets,
    load: live.reduce((sum, id) => sum + (model.load.get(id) ?? 0), 0),
  }),
  departed: (model: Model, id: string) => { model.load.delete(id) },
}

describe('checkConvergence passes correct declarations', () => {
  it('custom and built-in fields under every fault, against a reference model', async () => {
    const seed = randomSeed()
    await expect(checkConvergence(Mixed, mixedOps, { seed, model: mixedModel }).assert(), `seed ${seed}`).resolves.toBeUndefined()
  })

  it('takes plain functions over replica.state, as arbitraries (no model)', async () => {
    const seed = randomSeed()
    const State = defineState({ hits: counter() })
    const increments = fc.integer({ min: 1, max: 3 }).map((n) => (state: StateHandles<typeof State.fields>) => state.hits.increment(n))
    await expect(checkConvergence(State, increments, { seed, numRuns: 10 }).assert(), `seed ${seed}`).resolves.toBeUndefined()
  })
})

describe('checkConvergence with a record of operations by name', () => {
  it('runs them, and fast-check can check the property directly', async () => {
    const State = defineState({ hits: counter(), blocked: set<string>() })
    type Fields = typeof State.fields
    const ops = {
      hit: fc.integer({ min: 1, max: 3 }).map((n) => (state: StateHandles<Fields>) => state.hits.increment(n)),
      block: fc.constantFrom('a', 'b').map((ip) => (state: StateHandles<Fields>) => state.blocked.add(ip)),
    }
    await fc.assert(checkConvergence(State, ops, { numRuns: 5, seed: randomSeed() }))
  })
})

describe('checkConvergence finds what does not hold', () => {
  it('a snapshot that differs from the reference model', async () => {
    const seed = randomSeed()
    const forgetful = { ...mixedModel, expected: (model: Model) => ({ packets: model.packets + model.hits }) }
    const failure = await expectFailure(() => checkConvergence(Mixed, mixedOps, { seed, model: forgetful }).assert(), seed)
    expectReadableReport(failure, 'checkConvergence(blocked, hits, load, mode, packets)', seed)
    // Usually `packets: 0 vs 1` after a single `hit(1)`; the shrinker may stop at a step more.
    expect(failure.failure, `seed ${seed}`).toMatch(/^r\d differs from the reference model at snapshot\(\)\.packets: \d vs \d \(replica vs model\)\n {2}after: .*r\d: hit\(1\)/)
  })

  it('an operation without a model update when a model is given', async () => {
    const seed = randomSeed()
    const unmodelled = [fc.constant((state: StateHandles<Mixed>) => state.packets.increment())]
    const failure = await expectFailure(() => checkConvergence(Mixed, unmodelled, { seed, model: mixedModel }).assert(), seed)
    expect(failure.failure).toMatch(/^operation .* has no model update, but a reference model was given: make it with op\(name, args, run, model\)$/)
  })

  it('a type whose decode rejects its own encoding: peers reject the frames', async () => {
    const seed = randomSeed()
    const picky = custom({
      ...gCounter.definition,
      name: 'test/picky',
      decode(reader) {
        const totals = gCounter.definition.decode(reader)
        for (const total of totals.values()) if (total > 3) throw new DecodeError(`total ${total} is too large`)
        return totals
      },
    })
    const State = defineState({ hits: picky })
    const failure = await expectFailure(() => checkConvergence(State, [op('hit', fc.integer({ min: 1, max: 5 }), (state, n) => state.hits.increment(n))], { seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/^a replica rejected a frame: r\d: DecodeError: custom type "test\/picky": total 4 is too large\n {2}after: /)
  })

  it('replays a failure from its seed and path', async () => {
    const seed = randomSeed()
    const wrong = { ...mixedModel, expected: (model: Model) => ({ hits: model.hits + 1 }) }
    const first = await expectFailure(() => checkConvergence(Mixed, mixedOps, { seed, model: wrong }).assert(), seed)
    const again = await expectFailure(() => checkConvergence(Mixed, mixedOps, { seed: first.seed, path: first.path, model: wrong }).assert(), seed)
    expect(again.failure).toBe(first.failure)
    expect(fc.stringify(again.counterexample)).toBe(fc.stringify(first.counterexample))
  })
})

describe('checkConvergence options', () => {
  const ops = [op('count', fc.nat(3), (state: StateHandles<Mixed>, n) => state.packets.increment(n))]
  it('rejects what cannot be run, naming it', () => {
    expect(() => checkConvergence(Mixed, [])).toThrow('checkConvergence needs operations')
    expect(() => checkConvergence(Mixed, [(() => {}) as never])).toThrow('checkConvergence needs operations')
    expect(() => checkConvergence({} as never, ops)).toThrow('checkConvergence takes a declaration')
    expect(() => checkConvergence(Mixed, ops, { replicas: 1 })).toThrow('replicas must be an integer of at least 2, got 1')
    expect(() => checkConvergence(Mixed, ops, { replicas: 4, maxReplicas: 3 })).toThrow('maxReplicas must be an integer of at least 4, got 3')
    expect(() => checkConvergence(Mixed, ops, { faults: { loss: 1 } })).toThrow('faults.loss must be a probability below 1, got 1')
    expect(() => checkConvergence(Mixed, ops, { numRuns: 1.5 })).toThrow('numRuns must be a positive integer, got 1.5')
  })
})
