/**
 * The rate limiter's replicated state. Requests are counted per client and per fixed window of
 * time in a flow table keyed `client@window`: a counter per entry, summed over every instance by
 * its global view, so the rate a client is held to is its rate across the whole deployment, not
 * at one instance. Windows expire on their own once idle for two windows, which keeps the table
 * to the clients active now. The limit per window is a register any instance may change.
 */
import { counter, defineState, flowTable, register, type Replica, type StateHandles } from 'elastic-state'

/** Length of a counting window. */
export const WINDOW_MS = 1000

export const RateLimiter = defineState({
  windows: flowTable({ fields: { requests: counter() }, idleTimeoutMs: 2 * WINDOW_MS }),
  limit: register<number>(100),
  allowed: counter(),
  rejected: counter(),
})

export type RateLimiterState = StateHandles<typeof RateLimiter.fields>
export type RateLimiterReplica = Replica<typeof RateLimiter.fields>
