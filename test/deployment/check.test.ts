/** The deployment's end-of-run check: it must hold exactly when the run lost nothing it promised. */
import { describe, expect, test } from 'vitest'
import { checkRun } from '../../examples/deployment/check.js'
import type { StateDigest } from '../../examples/deployment/control.js'

const totals = (packets: number) => ({ packets, bytes: packets * 64, matches: Math.floor(packets / 15) })

function digest(packets: number, change: Partial<StateDigest> = {}): StateDigest {
  const { bytes, matches } = totals(packets)
  return {
    type: 'digest', packets, matches, flows: 10, flowPackets: packets, flowBytes: bytes, flowMatches: matches, flowHash: 7,
    ...change,
  }
}

const run = (sent: number, acked: number, globals: (StateDigest | null)[], exact = false) => checkRun({
  sent: totals(sent), acked: totals(acked), exact, runProblems: [],
  digests: new Map(globals.map((global, index) => [`i${index + 1}`, global])),
})

describe('checkRun', () => {
  test('holds when every instance agrees and acknowledged <= global <= sent', () => {
    const result = run(1000, 900, [digest(950), digest(950)])
    expect(result.ok).toBe(true)
    expect(result.line).toBe('check: sent 1000, acknowledged 900, global i1=950 i2=950 -> OK'
      + ' (all 2 instances agree; acknowledged <= global <= sent; bytes and matches too)')
  })

  test('fails when an acknowledged packet is missing from the global count', () => {
    const result = run(1000, 900, [digest(899), digest(899)])
    expect(result.ok).toBe(false)
    expect(result.line).toMatch(/-> FAILED$/)
  })

  test('fails when the global count exceeds what was sent', () => {
    expect(run(1000, 900, [digest(1001), digest(1001)]).ok).toBe(false)
  })

  test('fails when instances disagree, even within the bounds', () => {
    const result = run(1000, 900, [digest(950), digest(950, { flowHash: 8 })])
    expect(result.ok).toBe(false)
    expect(result.problems).toContain('i2 disagrees with i1 on flowHash')
  })

  test('fails when an instance did not answer', () => {
    expect(run(1000, 900, [digest(950), null]).ok).toBe(false)
  })

  test('fails when the flow table and the counter of one instance disagree', () => {
    expect(run(1000, 900, [digest(950, { flowPackets: 949 })]).ok).toBe(false)
  })

  test('without the SIGKILL it demands equality', () => {
    expect(run(1000, 1000, [digest(1000), digest(1000)], true).ok).toBe(true)
    expect(run(1000, 990, [digest(1000), digest(1000)], true).ok).toBe(false)
  })

  test('problems noted during the run make it fail', () => {
    const result = checkRun({
      sent: totals(10), acked: totals(10), exact: true, runProblems: ['i3 exited unexpectedly (code 1)'],
      digests: new Map([['i1', digest(10)]]),
    })
    expect(result.ok).toBe(false)
  })
})
