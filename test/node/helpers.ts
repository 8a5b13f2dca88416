/** Helpers for tests on real sockets in this process. */
import { counter, createReplica, defineState, flowTable, perInstance, type Replica, type ReplicaOptions } from 'elastic-state'
import { webSocketTransport, type WebSocketTransport, type WebSocketTransportOptions } from 'elastic-state/node'

export const NetState = defineState({
  packets: counter(),
  load: perInstance<number>({ reduce: 'sum' }),
  flows: flowTable({ fields: { packets: counter() } }),
})

export type NetReplica = Replica<typeof NetState.fields> & { transport: WebSocketTransport }

export async function startNode(id: string, peers: string[], options: Partial<ReplicaOptions> & { ws?: WebSocketTransportOptions } = {}): Promise<NetReplica> {
  const transport = webSocketTransport({ port: 0, peers, backoffMinMs: 20, backoffMaxMs: 200, ...options.ws })
  const replica = createReplica(NetState, { id, gossip: { intervalMs: 30, failureTimeoutMs: 600 }, ...options, transport })
  await replica.start()
  return Object.assign(replica, { transport })
}

export function address(node: NetReplica): string {
  return node.transport.address!
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `condition` until it holds or `timeoutMs` passes; throws with `describe()` on time-out. */
export async function until(condition: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms ${describe()}`)
    await sleep(10)
  }
}
