import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecodeError, custom } from '../../src/index.js'
import { checkLaws } from '../../src/testing/index.js'
import { gCounter } from './types/g-counter.js'
import { lwwRegister } from './types/lww-register.js'
import { expectFailure, randomSeed } from './support.js'

const amount = fc.tuple(fc.integer({ min: 1, max: 9 }))

/** A grow-only set of ports, correct: the base of the broken variants below. */
const ports = custom({
  name: 'test/ports',
  empty: () => new Set<number>(),
  join: (a, b) => new Set([...a, ...b]),
  writes: {
    add({ own }, port: number) {
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`not a port: ${port}`)
      if (own.has(port)) return false
      own.add(port)
    },
  },
  global: (all) => [...all].sort((a, b) => a - b),
  encode(writer, all) {
    writer.varUint(all.size)
    for (const port of all) writer.varUint(port)
  },
  decode(reader) {
    const all = new Set<number>()
    const count = reader.count(reader.remaining, 'port count')
    for (let i = 0; i < count; i++) {
      const port = reader.varUint('port')
      if (port > 65_535) throw new DecodeError(`not a port: ${port}`)
      all.add(port)
    }
    return all
  },
})
const port = fc.tuple(fc.integer({ min: -2, max: 70_000 }))

describe('checkLaws passes correct types', () => {
  it.each([
    ['a grow-only counter keyed by origin', () => checkLaws(gCounter, { writes: { increment: fc.tuple(fc.integer({ min: -1, max: 20 })) }, seed: randomSeed() })],
    ['a last-writer-wins register reading the merged state', () => checkLaws(lwwRegister, { writes: { set: fc.tuple(fc.constantFrom('a', 'b', 'c')) }, seed: randomSeed() })],
    ['a grow-only set with rejected arguments', () => checkLaws(ports, { writes: { add: port }, seed: randomSeed() })],
    ['a grow-only counter, with guessed arguments (no options)', () => checkLaws(gCounter)],
    ['a last-writer-wins register, with guessed arguments', () => checkLaws(lwwRegister, { seed: randomSeed() })],
    ['a grow-only set, with guessed arguments', () => checkLaws(ports, { seed: randomSeed() })],
  ])('%s', (_name, laws) => {
    const property = laws()
    expect(() => property.assert(), `seed ${String(property.parameters.seed)}`).not.toThrow()
  })

  it('runs with fast-check directly too, with the parameters it carries', () => {
    const property = checkLaws(gCounter, { writes: { increment: amount }, numRuns: 7, seed: 42 })
    expect(property.parameters).toMatchObject({ numRuns: 7, seed: 42 })
    expect(fc.check(property, property.parameters).numRuns).toBe(7)
  })
})

describe('checkLaws catches more broken contracts', () => {
  it('a write that is not an inflation (a counter reset)', async () => {
    const seed = randomSeed()
    const resettable = custom({
      ...gCounter.definition,
      name: 'test/resettable',
      writes: {
        ...gCounter.definition.writes,
        reset({ own, origin }) {
          if (!own.has(origin)) return false
          own.set(origin, 0)
        },
      },
    })
    const failure = await expectFailure(() => checkLaws(resettable, { writes: { increment: amount, reset: fc.constant([] as []) }, seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/^write (r\d)\.reset\(\) is not an inflation: join\(before, after\) differs from after at \$\.get\("\1"\): 1 vs 0\n {2}before: new Map\(\[\["\1",1\]\]\)\n {2}after: {2}new Map\(\[\["\1",0\]\]\)$/)
  })

  it('a join that modifies its argument', async () => {
    const seed = randomSeed()
    const mutating = custom({ ...ports.definition, name: 'test/mutating', join: (a, b) => { for (const item of b) a.add(item); return a } })
    const failure = await expectFailure(() => checkLaws(mutating, { writes: { add: port }, seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/^join modified its first argument: \$: not vs holds \d+\n {2}a = .*\n {2}b = /)
  })

  it('a write that throws after changing the state', async () => {
    const seed = randomSeed()
    const careless = custom({
      ...ports.definition,
      name: 'test/careless',
      writes: {
        add({ own }, value: number) {
          own.add(value)
          if (value < 0) throw new RangeError(`not a port: ${value}`)
        },
      },
    })
    const failure = await expectFailure(() => checkLaws(careless, { writes: { add: fc.tuple(fc.integer({ min: -2, max: 9 })) }, seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/^write r\d\.add\(-[12]\) threw RangeError: not a port: -[12] after changing the state \(validate arguments before changing anything\): \$: not vs holds -[12]$/)
  })

  it('a decode that throws something else than DecodeError (it trusts the shape of what it read)', async () => {
    const seed = randomSeed()
    const trusting = custom({
      ...gCounter.definition,
      name: 'test/trusting',
      encode(writer, totals) { writer.value([...totals]) },
      decode(reader) { return new Map(reader.value('totals') as [string, number][]) },
    })
    const failure = await expectFailure(() => checkLaws(trusting, { writes: { increment: amount }, seed, numRuns: 300 }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/^decode threw TypeError: .* for bytes \[[\d, ]+\]: throw DecodeError for bytes you reject$/)
  })

  it('a decode that accepts what the views then reject', async () => {
    const seed = randomSeed()
    const lenient = custom({
      name: 'test/lenient',
      empty: () => ({ names: [] as string[] }),
      join: (a, b) => ({ names: [...new Set([...a.names, ...b.names])].sort() }),
      writes: { add({ own }, name: string) { if (!own.names.includes(name)) own.names = [...own.names, name].sort() } },
      global: (state) => state.names.map((name) => name.toUpperCase()),
      encode(writer, state) { writer.value(state.names) },
      decode(reader) { return { names: reader.value('names') as string[] } },
    })
    const failure = await expectFailure(() => checkLaws(lenient, { writes: { add: fc.tuple(fc.constantFrom('a', 'b')) }, seed, numRuns: 300 }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/validate in decode and throw a DecodeError/)
  })

  it('a global view that depends on the order contributions arrived in', async () => {
    const seed = randomSeed()
    const unordered = custom({ ...ports.definition, name: 'test/unordered', global: (all) => [...all] })
    const failure = await expectFailure(() => checkLaws(unordered, { writes: { add: fc.tuple(fc.integer({ min: 1, max: 3 })) }, seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}`).toMatch(/^r0 and r\d hold equal merged states but show different snapshots \(make the views independent of insertion order\): \$\[0\]: \d vs \d$/)
  })
})

describe('checkLaws options', () => {
  it('rejects what cannot be checked, naming it', () => {
    expect(() => checkLaws(gCounter, { writes: {} })).toThrow('checkLaws(test/g-counter): options.writes needs an argument arbitrary for at least one write')
    expect(() => checkLaws(gCounter, { writes: { decrement: amount } as never })).toThrow('the type has no write named "decrement"')
    expect(() => checkLaws({ kind: 'counter' } as never, { writes: {} })).toThrow('checkLaws takes a custom type')
    expect(() => checkLaws(gCounter, { writes: { increment: amount }, numRuns: 0 })).toThrow('numRuns must be a positive integer, got 0')
    expect(() => checkLaws(gCounter, { writes: { increment: amount }, path: '1:2' })).toThrow('give seed too')
    expect(() => checkLaws(gCounter, { writes: { increment: amount }, maxReplicas: 1 })).toThrow('maxReplicas must be an integer of at least 2, got 1')
  })

  it('replays a failure from its seed and path', async () => {
    const seed = randomSeed()
    const broken = custom({ ...gCounter.definition, name: 'test/doubling', join: (a) => a })
    const first = await expectFailure(() => checkLaws(broken, { writes: { increment: amount }, seed }).assert(), seed)
    const again = await expectFailure(() => checkLaws(broken, { writes: { increment: amount }, seed: first.seed, path: first.path }).assert(), seed)
    expect(again.failure).toBe(first.failure)
    expect(fc.stringify(again.counterexample)).toBe(fc.stringify(first.counterexample))
  })
})
