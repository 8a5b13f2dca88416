/**
 * Grouping of replicas by equal snapshots, and the explanation printed when a simulation does
 * not converge: which replicas agree with which, and where their snapshots first differ.
 */

import { firstDifference } from './deep-equal.js'

/** What grouping needs of a replica. */
export interface SnapshotSource {
  readonly id: string
  snapshot(): unknown
}

/** Replicas whose snapshots are deep-equal, with that snapshot. */
export interface SnapshotGroup {
  readonly ids: string[]
  readonly snapshot: unknown
}

/** Groups listed in a disagreement message before the rest is summarised. */
const MAX_GROUPS_DESCRIBED = 4

/**
 * Partition replicas into groups of deep-equal snapshots, taking each snapshot once. Groups
 * are ordered by their first member, members keep the input order. Converged means at most
 * one group.
 */
export function groupBySnapshot(replicas: readonly SnapshotSource[]): SnapshotGroup[] {
  const groups: SnapshotGroup[] = []
  for (const replica of replicas) {
    const snapshot = replica.snapshot()
    const group = groups.find((candidate) => firstDifference(candidate.snapshot, snapshot) === undefined)
    if (group === undefined) groups.push({ ids: [replica.id], snapshot })
    else group.ids.push(replica.id)
  }
  return groups
}

/**
 * One line per group after the first: its members and the first difference between its
 * snapshot and the first group's, e.g.
 * `2 different snapshots among 3 live replicas; [r1, r3] vs [r2]: $.packets: 10 vs 12`.
 */
export function describeDisagreement(groups: readonly SnapshotGroup[]): string {
  const replicaCount = groups.reduce((count, group) => count + group.ids.length, 0)
  const [reference, ...others] = groups
  if (reference === undefined || others.length === 0) return `all ${replicaCount} live replicas agree`
  const lines = others
    .slice(0, MAX_GROUPS_DESCRIBED - 1)
    .map(
      (group) =>
        `[${reference.ids.join(', ')}] vs [${group.ids.join(', ')}]: ${firstDifference(reference.snapshot, group.snapshot)}`,
    )
  const unlisted = others.length - lines.length
  if (unlisted > 0) lines.push(`and ${unlisted} more group(s) of replicas`)
  return `${groups.length} different snapshots among ${replicaCount} live replicas; ${lines.join('; ')}`
}
