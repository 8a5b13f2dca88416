/**
 * The load balancer's replicated state: its backend pool (an add-wins set any instance may
 * change), sticky sessions in a flow table (client -> backend, expiring after a minute idle), the
 * load each instance carries (`perInstance`, summed over the live instances) and a request count.
 */
import { counter, defineState, flowTable, perInstance, register, set, type Replica, type StateHandles } from 'elastic-state'

export const LoadBalancer = defineState({
  backends: set<string>(),
  sessions: flowTable({ fields: { backend: register<string>(''), requests: counter() }, idleTimeoutMs: 60_000 }),
  load: perInstance<number>({ reduce: 'sum' }),
  requests: counter(),
})

export type BalancerState = StateHandles<typeof LoadBalancer.fields>
export type BalancerReplica = Replica<typeof LoadBalancer.fields>
