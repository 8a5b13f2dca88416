/**
 * Time enters the runtime only through a `Scheduler`, so a simulation can run replicas on
 * virtual time and replay every run from its seed.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, type Scheduler } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * // A manual clock: rounds run when the test says so.
 * let nowMs = 0
 * const timers: { atMs: number; callback: () => void; handle: object }[] = []
 * const scheduler: Scheduler = {
 *   now: () => nowMs,
 *   schedule(delayMs, callback) {
 *     const handle = {}
 *     timers.push({ atMs: nowMs + delayMs, callback, handle })
 *     return handle
 *   },
 *   cancel(handle) {
 *     const index = timers.findIndex((timer) => timer.handle === handle)
 *     if (index >= 0) timers.splice(index, 1)
 *   },
 * }
 * const replica = createReplica(defineState({ packets: counter() }), { id: 'solo', scheduler })
 * await replica.start()
 * nowMs = 100
 * for (const timer of timers.splice(0)) if (timer.atMs <= nowMs) timer.callback()
 * assert.equal(replica.stats().rounds, 1)
 * await replica.stop()
 * ```
 */
export interface Scheduler {
  /** Current time in milliseconds. */
  now(): number
  /** Run `callback` once after `delayMs`; returns a handle for `cancel`. */
  schedule(delayMs: number, callback: () => void): unknown
  cancel(handle: unknown): void
}

/** Wall-clock scheduler on `setTimeout`, with an injectable clock for `now()`. */
export function realScheduler(clock: () => number = Date.now): Scheduler {
  return {
    now: clock,
    schedule(delayMs, callback) {
      const handle = setTimeout(callback, delayMs)
      // Timers of a replica never keep a Node process alive on their own.
      ;(handle as { unref?: () => void }).unref?.()
      return handle
    },
    cancel(handle) {
      clearTimeout(handle as ReturnType<typeof setTimeout>)
    },
  }
}
