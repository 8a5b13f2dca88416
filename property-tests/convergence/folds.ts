/**
 * What a schedule can expect of folding (docs/compaction.md) once quiescent: the origins a live
 * replica still lists that it should have dropped by now.
 */
import type { Replica } from '../../src/index.js'

interface Internals {
  origins: { listed: number[]; ids: string[]; incarnations: number[] }
  membership: { self: { heir?: string; heirIncarnation?: number } }
}

/** `id#incarnation` of a replica. */
export const tagOf = (replica: Replica): string => `${replica.id}#${replica.incarnation}`

/** `id#incarnation` of every origin a replica lists in its frames (heir origins under their instance's id). */
export function listedOrigins(replica: Replica): string[] {
  const { origins } = replica as unknown as Internals
  return origins.listed.map((origin) => `${origins.ids[origin]!.replace('\u0000heir', '')}#${origins.incarnations[origin]!}`)
}

/** The heir a replica named when it left (`id#incarnation`), if any. */
export function heirOf(replica: Replica): string | null {
  const self = (replica as unknown as Internals).membership.self
  return self.heir ? `${self.heir}#${self.heirIncarnation}` : null
}

/** Graceful leaves, and ids whose latest incarnation left, as a schedule records them. */
export interface FoldLedger {
  leaves: { departed: string; heir: string }[]
  lastLeft: Set<string>
}

/**
 * Origins still listed that folding must drop: graceful leaves whose heir is live, and, when
 * replicas restart from a store (`restartsFold`), former incarnations of live instances that
 * did not leave (unless an instance crashed for good, which a restart's fold waits for). Empty
 * once every fold that can happen has happened everywhere.
 */
export function pendingFolds(live: readonly Replica[], ids: readonly string[], ledger: FoldLedger, restartsFold = false): string[] {
  const liveTags = new Set(live.map(tagOf))
  const liveIds = new Set(live.map((replica) => replica.id))
  const crashedForGood = ids.some((id) => !liveIds.has(id) && !ledger.lastLeft.has(id))
  const pending: string[] = []
  for (const replica of live) {
    const listed = listedOrigins(replica)
    for (const leave of ledger.leaves) {
      if (liveTags.has(leave.heir) && listed.includes(leave.departed)) pending.push(`${leave.departed} at ${replica.id} (heir ${leave.heir})`)
    }
    if (crashedForGood || !restartsFold) continue
    const departedGracefully = new Set(ledger.leaves.map((leave) => leave.departed))
    for (const other of live) {
      for (const origin of listed) {
        if (origin.startsWith(`${other.id}#`) && origin !== tagOf(other) && !departedGracefully.has(origin)) pending.push(`${origin} at ${replica.id} (restarted as ${tagOf(other)})`)
      }
    }
  }
  return pending
}
