/**
 * Time enters the runtime only through a `Scheduler`, so a simulation can run replicas on
 * virtual time and replay every run from its seed.
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
