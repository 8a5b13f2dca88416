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
  it('a join that is not commutative (a register keeping its first argument on ties)', () => expectNonCommutativeReport(randomSeed()))

  // Seeds where the shrinker stopped at a longer tie (see expectNonCommutativeReport): 4 steps;
  // 3 steps with an advance; 6 steps; 8 steps; a tie of r0 and r2.
  it.each([958973377, 592604953, 1198955360, 1426334866, 1748060915])('a join that is not commutative, seed %i: a longer tie', (seed) => expectNonCommutativeReport(seed))

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

  it('a write that does not mark its slot dirty, in a replica group: peers never see the change', () => expectUnmarkedConvergenceReport(randomSeed()))

  // Seeds where the shrinker stopped at 7 and 8 steps (see expectUnmarkedConvergenceReport).
  it.each([381192484, 1213820785, 1538358731])('a write that does not mark its slot dirty, in a replica group, seed %i: a longer story', (seed) => expectUnmarkedConvergenceReport(seed))

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
    // Guessed arguments are strings in only some runs, and the two replicas must tie in time:
    // about 1 run in 20 finds it, and 100 runs missed it for 3 seeds in 700 (one is 1608753944, below).
    const failure = await expectFailure(() => checkLaws(nonCommutativeRegister, { seed, numRuns: 500 }).assert(), seed)
    expect(failure.failure, `seed ${seed}:\n${failure.message}`).toMatch(/^join is not commutative/)
  })

  it('guesses arguments and catches a join that is not commutative, seed 1608753944 (100 runs were not enough)', async () => {
    const seed = 1608753944
    const failure = await expectFailure(() => checkLaws(nonCommutativeRegister, { seed, numRuns: 500 }).assert(), seed)
    expect(failure.failure, `seed ${seed}:\n${failure.message}`).toMatch(/^join is not commutative/)
    expect(failure.runs, `seed ${seed}`).toBeGreaterThan(100)
  })
})

/**
 * The shrinker usually ends at two writes of the same value at r0 and r1, both stamped 1000 ms
 * (95 % of 8,000 seeds). Otherwise it stops at a longer tie that it cannot leave by removing or
 * changing one step at a time, since any single change breaks the tie: each replica writes twice,
 * both second writes stamped 1001 (4.7 %), or one replica writes a few times and the other writes
 * after an advance that brings it level (`r0.set("allow"); r0.set("allow"); advance 1 ms;
 * r1.set("allow")`), now and then at r2 rather than r1 (0.1 %; 8 steps once, seed 1426334866).
 * Those read the same way: two contributions tied in time, two winners. So the report must show
 * such a tie, and a history of writes of that one value and advances only, at most 10 steps;
 * exactly two writes when the tie is at 1000 ms.
 */
async function expectNonCommutativeReport(seed: number): Promise<void> {
  const failure = await expectFailure(() => checkLaws(nonCommutativeRegister, {
    writes: { set: fc.tuple(fc.constantFrom('allow', 'deny')) }, seed,
  }).assert(), seed)
  expectReadableReport(failure, 'checkLaws(broken/non-commutative-register)', seed)
  const context = `seed ${seed}:\n${failure.message}`
  expect(failure.failure, context).toMatch(new RegExp([
    '^join is not commutative: join\\(a, b\\) differs from join\\(b, a\\) at \\$\\.origin: "r0" vs "(r[12])"',
    '  a = the contribution of r0 = \\{"timestampMs":(1\\d{3}),"origin":"r0","value":"(allow|deny)"\\}',
    '  b = the contribution of \\1 = \\{"timestampMs":\\2,"origin":"\\1","value":"\\3"\\}',
    '  join\\(a, b\\) = \\{"timestampMs":\\2,"origin":"r0","value":"\\3"\\}',
    '  join\\(b, a\\) = \\{"timestampMs":\\2,"origin":"\\1","value":"\\3"\\}$',
  ].join('\n')))
  expect(printed(failure), context).toMatch(/^\d replicas: r\d\.set\("(allow|deny)"\)(; (r\d\.set\("\1"\)|advance \d+ ms))+ \| decode inputs: \[\]; /)
  expect(stepCount(failure), context).toBeLessThanOrEqual(10)
  if (failure.failure.includes('"timestampMs":1000,')) expect(stepCount(failure), context).toBe(2)
}

/**
 * The story: a replica increments again after its first increment was sent, and peers keep its
 * first total. The shrinker usually ends at `r1: hit(1); advance 20 ms; r1: hit(1)` or a step
 * more (9 seeds in 10), but it removes one step at a time and cannot merge advances, and steps
 * name replicas by position modulo the live count, so removing a spawn or a leave moves a write
 * to another replica. About 1 seed in 10 stops at 5 to 8 steps, such as `r2: hit(1); advance
 * 5 ms; advance 4 ms; advance 4 ms; advance 7 ms; r2: hit(1); advance 1 ms`: still that story, one
 * replica writing twice, and readable. Of 2,500 seeds, 3 steps: 49 %, 4: 40 %, 5: 9 %, 6: 1.4 %,
 * 7: 0.24 %, 8: once; 10 steps leaves room above that, still far below unshrunk schedules (up to
 * 30 steps).
 */
async function expectUnmarkedConvergenceReport(seed: number): Promise<void> {
  const State = defineState({ hits: unmarkedCounter })
  const failure = await expectFailure(() => checkConvergence(State, [op('hit', fc.integer({ min: 1, max: 9 }), (state, n) => state.hits.increment(n))], { seed, maxConvergeMs: 2000, numRuns: 300 }).assert(), seed)
  expectReadableReport(failure, 'checkConvergence(hits)', seed)
  const context = `seed ${seed}:\n${failure.message}`
  expect(failure.failure, context).toMatch(/^the replicas did not converge after healing: Simulation did not converge within 2000 virtual ms .*: 2 different snapshots among \d live replicas; \[r\d+(, r\d+)*\] vs \[r\d+(, r\d+)*\]: \$\.hits: \d vs \d\n {2}after: /)
  const after = failure.failure.split('\n  after: ')[1]!
  // One replica writes twice, and every write shrank to hit(1).
  expect(after, context).toMatch(/\b(r\d+): hit\(1\);.*\b\1: hit\(1\)/)
  expect(after.match(/hit\(\d+\)/g), context).toEqual(after.match(/hit\(1\)/g))
  expect(stepCount(failure), context).toBeLessThanOrEqual(10)
}

