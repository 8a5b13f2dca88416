/**
 * The end-of-run check. Every surviving instance must hold the same global view, and for
 * packets (and likewise bytes and matches):
 *   acknowledged ≤ global ≤ sent
 * Acknowledged batches were durable on their instance before the source heard of them, so not
 * even a SIGKILL may lose them; a packet cannot be counted without having been sent. Without the
 * SIGKILL nothing is lost in flight, and the three are equal.
 */
import type { StateDigest } from './control.js'
import type { Totals } from './data-link.js'

export interface CheckInput {
  sent: Totals
  acked: Totals
  /** The digest of every instance expected to answer, by id (null: it did not answer). */
  digests: Map<string, StateDigest | null>
  /** Whether the run had no SIGKILL: then equality is required. */
  exact: boolean
  /** Problems found during the run (unexpected exits, a drain that timed out, ...). */
  runProblems: string[]
}

export interface CheckResult {
  ok: boolean
  line: string
  problems: string[]
}

const digestKeys = ['packets', 'matches', 'flows', 'flowPackets', 'flowBytes', 'flowMatches', 'flowHash'] as const

export function checkRun(input: CheckInput): CheckResult {
  const problems = [...input.runProblems]
  const answered = [...input.digests].filter((entry): entry is [string, StateDigest] => entry[1] !== null)
  for (const [id, digest] of input.digests) if (digest === null) problems.push(`${id} did not report its global view`)
  if (answered.length === 0) problems.push('no instance reported its global view')
  const [firstId, first] = answered[0] ?? ['', null]
  for (const [id, digest] of answered.slice(1)) {
    const differing = digestKeys.filter((key) => digest[key] !== first![key])
    if (differing.length > 0) problems.push(`${id} disagrees with ${firstId} on ${differing.join(', ')}`)
  }
  for (const [id, digest] of answered) {
    if (digest.flowPackets !== digest.packets) problems.push(`${id}: flows hold ${digest.flowPackets} packets, the packet counter ${digest.packets}`)
    if (digest.flowMatches !== digest.matches) problems.push(`${id}: flows hold ${digest.flowMatches} matches, the match counter ${digest.matches}`)
    const bounds: [string, number, number, number][] = [
      ['packets', input.acked.packets, digest.packets, input.sent.packets],
      ['bytes', input.acked.bytes, digest.flowBytes, input.sent.bytes],
      ['matches', input.acked.matches, digest.matches, input.sent.matches],
    ]
    for (const [what, acked, global, sent] of bounds) {
      if (input.exact ? !(acked === global && global === sent) : !(acked <= global && global <= sent)) {
        const relation = input.exact ? 'acknowledged = global = sent' : 'acknowledged <= global <= sent'
        problems.push(`${id}: ${what} break ${relation}: ${acked}, ${global}, ${sent}`)
      }
    }
  }
  const ok = problems.length === 0
  const globals = [...input.digests].map(([id, digest]) => `${id}=${digest ? digest.packets : 'none'}`).join(' ')
  const relation = input.exact ? 'sent = acknowledged = global' : 'acknowledged <= global <= sent'
  const line = `check: sent ${input.sent.packets}, acknowledged ${input.acked.packets}, global ${globals}`
    + ` -> ${ok ? `OK (all ${answered.length} instances agree; ${relation}; bytes and matches too)` : 'FAILED'}`
  return { ok, line, problems }
}
