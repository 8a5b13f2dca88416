/**
 * A sliding-window rate limiter over the replicated window counts. The rate of a client at time
 * `t` is estimated as the count of the current window plus the count of the previous window
 * weighted by how much of it the sliding window still covers (the approximation of Cloudflare's
 * "How we built rate limiting capable of scaling to millions of domains", 2017). Counts are
 * global views: requests admitted at other instances count too, as soon as gossip brings them.
 *
 * Reading and writing are local, so a decision never waits for the network. The price is the
 * gossip lag: requests admitted elsewhere in the last round are not seen yet, so a client
 * spreading a burst over N instances can exceed its limit by up to what N instances admit in one
 * round before the counts meet.
 */
import { WINDOW_MS, type RateLimiterState } from './state.js'

function windowKey(client: string, window: number): string {
  return `${client}@${window}`
}

/** The client's estimated requests in the sliding window ending at `nowMs`, at every instance. */
export function rate(state: RateLimiterState, client: string, nowMs: number): number {
  const window = Math.floor(nowMs / WINDOW_MS)
  const current = state.windows.get(windowKey(client, window))?.requests.global ?? 0
  const previous = state.windows.get(windowKey(client, window - 1))?.requests.global ?? 0
  const covered = 1 - (nowMs - window * WINDOW_MS) / WINDOW_MS
  return current + previous * covered
}

/** Admits a request of `client` at `nowMs` if its rate is below the limit; counts it either way. */
export function admit(state: RateLimiterState, client: string, nowMs: number): boolean {
  if (rate(state, client, nowMs) >= state.limit.global) {
    state.rejected.increment()
    return false
  }
  state.windows.entry(windowKey(client, Math.floor(nowMs / WINDOW_MS))).requests.increment()
  state.allowed.increment()
  return true
}
