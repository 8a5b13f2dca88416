/**
 * The kit finds bugs: each deliberately broken custom type is caught, and the report shows the
 * law that fails, the states involved and a shrunk, readable history.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defineState } from '../../src/index.js'
import { checkConvergence, checkLaws, op } from '../../src/testing/index.js'
import { lossyStats } from './broken/lossy-encoding.js'
import { nonCommutativeRegister } from './broken/non-commutative-join.js'
import { nonIdempotentCounter } from './broken/non-idempotent-join.js'
import { unmarkedCounter } from './broken/unmarked-write.js'
import { expectFailure, expectReadableReport, printed, randomSeed, stepCount } from './support.js'

const amount = fc.tuple(fc.integer({ min: 1, max: 9 }))

describe('the kit catches broken custom types', () => {
  it('a join that is not commutative (a register keeping its first argument on ties)', async () => {
    const seed = randomSeed()
    const failure = await expectFailure(() => checkLaws(nonCommutativeRegister, {
      writes: { set: fc.tuple(fc.constantFrom('allow', 'deny')) }, seed,
    }).assert(), seed)
    expectReadableReport(failure, 'checkLaws(broken/non-commutative-register)', seed)
    const context = `seed ${seed}:\n${failure.message}`
    expect(failure.failure, context).toMatch(new RegExp([
      '^join is not commutative: join\\(a, b\\) differs from join\\(b, a\\) at \\$\\.origin: "r0" vs "r1"',
      '  a = the contribution of r0 = \\{"timestampMs":1000,"origin":"r0","value":"(allow|deny)"\\}',
      '  b = the contribution of r1 = \\{"timestampMs":1000,"origin":"r1","value":"\\1"\\}',
      '  join\\(a, b\\) = \\{"timestampMs":1000,"origin":"r0","value":"\\1"\\}',
      '  join\\(b, a\\) = \\{"timestampMs":1000,"origin":"r1","value":"\\1"\\}$',
    ].join('\n')))
    // Two writes of the same value at two replicas at the same time, nothing else.
    expect(stepCount(failure), context).toBe(2)
    expect(printed(failure), context).toMatch(/^\d replicas: r(0|1)\.set\("(allow|deny)"\); r(0|1)\.set\("\2"\) \| decode inputs: \[\]; /)
  })

  it('a join that is not idempotent (a counter adding totals)', async () => {
    const seed = randomSeed()
    const failure = await expectFailure(() => checkLaws(nonIdempotentCounter, { writes: { increment: amount }, seed }).assert(), seed)
    expectReadableReport(failure, 'checkLaws(broken/non-idempotent-counter)', seed)
    const context = `seed ${seed}:\n${failure.message}`
    expect(failure.failure, context).toBe([
      'join is not idempotent: join(a, a) differs from a at $.get("r0"): 2 vs 1',
      '  a = the contribution of r0 after r0.increment(1) = new Map([["r0",1]])',
      '  join(a, a) = new Map([["r0",2]])',
    ].join('\n'))
    expect(stepCount(failure), context).toBe(1)
  })

  it('a write that does not mark its slot dirty (returns false after changing the state)', async () => {
    const seed = randomSeed()
    const failure = await expectFailure(() => checkLaws(unmarkedCounter, { writes: { increment: amount }, seed }).assert(), seed)
    expectReadableReport(failure, 'checkLaws(broken/unmarked-counter)', seed)
    const context = `seed ${seed}:\n${failure.message}`
    // The replica that writes twice may be any of them: the shrinker does not rename replicas.
    expect(failure.failure, context).toMatch(new RegExp([
      '^write (r\\d)\\.increment\\(1\\) returned false \\(nothing changed, so nothing is sent to peers\\) but changed the state: \\$\\.get\\("\\1"\\): 1 vs 2',
      '  before: new Map\\(\\[\\["\\1",1\\]\\]\\)',
      '  after: {2}new Map\\(\\[\\["\\1",2\\]\\]\\)$',
    ].join('\n')))
    expect(stepCount(failure), context).toBe(2)
  })

  it('a write that does not mark its slot dirty, in a replica group: peers never see the change', async () => {
    const seed = randomSeed()
    const State = defineState({ hits: unmarkedCounter })
    const failure = await expectFailure(() => checkConvergence(State, [op('hit', fc.integer({ min: 1, max: 9 }), (state, n) => state.hits.increment(n))], { seed, maxConvergeMs: 2000, numRuns: 300 }).assert(), seed)
    expectReadableReport(failure, 'checkConvergence(hits)', seed)
    const context = `seed ${seed}:\n${failure.message}`
    expect(failure.failure, context).toMatch(/^the replicas did not converge after healing: Simulation did not converge within 2000 virtual ms .*: 2 different snapshots among \d live replicas; \[r\d(, r\d)*\] vs \[r\d(, r\d)*\]: \$\.hits: \d vs \d\n {2}after: /)
    // The story: a replica increments again after its first increment was sent; the shrinker
    // usually ends at `r1: hit(1); advance 20 ms; r1: hit(1)`, now and then with a step more.
    expect(failure.failure.split('\n  after: ')[1]!.match(/hit\(1\)/g)?.length, context).toBeGreaterThanOrEqual(2)
    expect(stepCount(failure), context).toBeLessThanOrEqual(6)
  })

  it('an encoding that loses a field', async () => {
    const seed = randomSeed()
    const failure = await expectFailure(() => checkLaws(lossyStats, { writes: { packet: fc.tuple(fc.integer({ min: 1, max: 1500 })) }, seed }).assert(), seed)
    expectReadableReport(failure, 'checkLaws(broken/lossy-stats)', seed)
    const context = `seed ${seed}:\n${failure.message}`
    expect(failure.failure, context).toBe([
      'decode(encode(s)) differs from s at $.largestBytes: 0 vs 1',
      '  s = the contribution of r0 = {"packets":new Map([["r0",1]]),"largestBytes":1}',
      '  decode(encode(s)) = {"packets":new Map([["r0",1]]),"largestBytes":0}',
    ].join('\n'))
    expect(stepCount(failure), context).toBe(1)
  })

  it('an encoding that loses a field, in a replica group: peers show another value', async () => {
    const seed = randomSeed()
    const State = defineState({ stats: lossyStats })
    const failure = await expectFailure(() => checkConvergence(State, [op('packet', fc.integer({ min: 1, max: 1500 }), (state, size) => state.stats.packet(size))], { seed, maxConvergeMs: 2000 }).assert(), seed)
    expectReadableReport(failure, 'checkConvergence(stats)', seed)
    const context = `seed ${seed}:\n${failure.message}`
    expect(failure.failure, context).toMatch(/^the replicas did not converge after healing: .*: \$\.stats\.largestBytes: (1 vs 0|0 vs 1)\n {2}after: .*r\d: packet\(1\)/)
    expect(stepCount(failure), context).toBeLessThanOrEqual(3)
  })
})

describe('checkLaws(type) with no options, as API.md writes it', () => {
  it('guesses arguments for the writes and still catches a join that is not idempotent', async () => {
    const seed = randomSeed()
    const failure = await expectFailure(() => checkLaws(nonIdempotentCounter, { seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}:\n${failure.message}`).toMatch(/^join is not idempotent/)
  })

  it('guesses arguments and catches a join that is not commutative', async () => {
    const seed = randomSeed()
    const failure = await expectFailure(() => checkLaws(nonCommutativeRegister, { seed }).assert(), seed)
    expect(failure.failure, `seed ${seed}:\n${failure.message}`).toMatch(/^join is not commutative/)
  })
})
