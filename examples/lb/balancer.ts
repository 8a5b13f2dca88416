/**
 * Routing one request, with local reads and writes only. A client with a session keeps its
 * backend while that backend is in the pool, whichever instance the request reaches: sessions
 * are replicated, so a client moved to another instance by a scale event stays on its backend.
 * A new client, or one whose backend left the pool, gets a backend by rendezvous hashing over the
 * pool (examples/load-balancer.ts): instances that see the same pool pick the same backend, so
 * two instances opening a session for one client at once agree.
 */
import { pickInstance } from '../load-balancer.js'
import type { BalancerState } from './state.js'

/** The backend for `client`'s request, or `undefined` when the pool is empty. */
export function route(state: BalancerState, client: string): string | undefined {
  const session = state.sessions.get(client)
  const sticky = session?.backend.global
  let backend: string
  if (session !== undefined && sticky !== undefined && sticky !== '' && state.backends.has(sticky)) {
    backend = sticky
  } else {
    const pool = state.backends.values().sort()
    if (pool.length === 0) return undefined
    backend = pickInstance(client, pool)
    state.sessions.entry(client).backend.set(backend)
  }
  state.sessions.entry(client).requests.increment()
  state.requests.increment()
  return backend
}

/** Adds a backend to the pool (at every instance, once gossiped). */
export function addBackend(state: BalancerState, backend: string): void {
  state.backends.add(backend)
}

/** Takes a backend out of the pool: its clients move to other backends on their next request. */
export function removeBackend(state: BalancerState, backend: string): void {
  state.backends.delete(backend)
}
