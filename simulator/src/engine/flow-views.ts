/** Reading an instance's flow table against the true per-flow counts, for the page. */
import type { FlowRow } from '../protocol.js'
import type { MonitorReplica } from './monitor.js'

/** Flow numbers of the `limit` largest counts, largest first (ties: lower flow number first). */
export function busiestFlows(counts: readonly (number | undefined)[], limit: number): number[] {
  const top: number[] = []
  for (let flow = 0; flow < counts.length; flow++) {
    const count = counts[flow] ?? 0
    if (count === 0) continue
    if (top.length === limit) {
      if (count <= counts[top[limit - 1]!]!) continue
      top.pop()
    }
    let position = top.length
    while (position > 0 && counts[top[position - 1]!]! < count) position--
    top.splice(position, 0, flow)
  }
  return top
}

/** The busiest flows as `replica` sees them: its local and global views of each. */
export function flowRows(replica: MonitorReplica, counts: readonly (number | undefined)[], keys: readonly string[], limit: number): FlowRow[] {
  const flows = replica.state.flows
  return busiestFlows(counts, limit).map((flow) => {
    const key = keys[flow]!
    const entry = flows.get(key)
    return {
      key,
      truePackets: counts[flow]!,
      localPackets: entry?.packets.local ?? 0,
      globalPackets: entry?.packets.global ?? 0,
      globalBytes: entry?.bytes.global ?? 0,
      globalMatches: entry?.matches.global ?? 0,
    }
  })
}

/** Flows with packets that `replica` counted itself: the size of its local view of the table. */
export function localFlowCount(replica: MonitorReplica, counts: readonly (number | undefined)[], keys: readonly string[]): number {
  const flows = replica.state.flows
  let count = 0
  for (let flow = 0; flow < counts.length; flow++) {
    if ((counts[flow] ?? 0) > 0 && (flows.get(keys[flow]!)?.packets.local ?? 0) > 0) count++
  }
  return count
}
