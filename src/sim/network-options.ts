/** Options of the simulated network, and their eager validation. */

/**
 * Options of a `SimNetwork`. All but `seed` can also be changed during a run, with
 * `SimNetwork.configure` (or `Simulation.configure`): a change applies to frames sent from then
 * on, never to frames already in flight.
 * @example
 * ```ts
 * import { createSimulation, type SimNetworkOptions } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const options: SimNetworkOptions = { seed: 12, latencyMs: [2, 30], loss: 0.05, duplicate: 0.01, reorder: false }
 * assert.equal(createSimulation(options).now(), 0)
 * assert.throws(() => createSimulation({ ...options, loss: 2 }), /loss must be a probability/)
 * ```
 */
export interface SimNetworkOptions {
  /**
   * Seed of every random choice the network makes (latency, loss, duplication). Any safe
   * integer. The same seed and the same calls give the same run, message for message. Fixed
   * when the network is created.
   */
  seed: number
  /**
   * Inclusive range `[min, max]` of one frame's latency in virtual milliseconds, drawn
   * uniformly as an integer per frame (and per duplicate). Non-negative integers,
   * `min <= max`. Default `[1, 10]`.
   */
  latencyMs?: readonly [number, number]
  /** Probability in `[0, 1]` that a sent frame is lost. Default 0. */
  loss?: number
  /**
   * Probability in `[0, 1]` that a frame that was not lost is delivered twice; the copy gets
   * its own latency. Default 0.
   */
  duplicate?: number
  /**
   * When `true` (default), frames on one link may overtake each other (each has its own
   * latency). When `false`, every directed link is FIFO: a frame is never delivered before a
   * frame sent earlier from the same sender to the same receiver; switched to `false` during a
   * run, this holds for frames sent before the switch too.
   */
  reorder?: boolean
}

/**
 * `SimNetworkOptions` with defaults applied; produced only by `resolveSimNetworkOptions` and
 * `updateSimNetworkOptions`.
 */
export interface ResolvedSimNetworkOptions {
  readonly seed: number
  readonly minLatencyMs: number
  readonly maxLatencyMs: number
  readonly loss: number
  readonly duplicate: number
  readonly reorder: boolean
}

/** A short, readable rendering of an arbitrary value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`
  if (typeof value === 'bigint') return `${value}n`
  if (value !== null && typeof value === 'object') return Object.prototype.toString.call(value)
  return String(value)
}

function isProbability(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= 1
}

function isLatency(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

/** What a network uses when an option is not given at creation. */
const DEFAULTS: Omit<ResolvedSimNetworkOptions, 'seed'> = {
  minLatencyMs: 1,
  maxLatencyMs: 10,
  loss: 0,
  duplicate: 0,
  reorder: true,
}

function requireObject(options: unknown, what: string): void {
  if (options === null || typeof options !== 'object') {
    throw new RangeError(`${what}, got ${describeValue(options)}`)
  }
}

/**
 * Apply defaults and validate every option before anything is built.
 * @throws RangeError naming the option and the bad value.
 */
export function resolveSimNetworkOptions(options: SimNetworkOptions): ResolvedSimNetworkOptions {
  requireObject(options, 'SimNetworkOptions must be an object with a seed')
  const { seed } = options
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`SimNetworkOptions.seed must be a safe integer, got ${describeValue(seed)}`)
  }
  return updateSimNetworkOptions({ seed, ...DEFAULTS }, options)
}

/**
 * `current` with the options given in `changes` replacing its own; an option that is absent or
 * `undefined` keeps its current value. Every given option is validated as at creation before
 * the result is built, so an invalid one leaves nothing half-applied. The seed is fixed when
 * the network is created: `changes.seed` may only repeat it.
 * @throws RangeError naming the first invalid option and its value.
 */
export function updateSimNetworkOptions(
  current: ResolvedSimNetworkOptions,
  changes: Partial<SimNetworkOptions>,
): ResolvedSimNetworkOptions {
  requireObject(changes, 'SimNetworkOptions must be an object')
  const {
    seed = current.seed,
    latencyMs = [current.minLatencyMs, current.maxLatencyMs],
    loss = current.loss,
    duplicate = current.duplicate,
    reorder = current.reorder,
  } = changes
  if (seed !== current.seed) {
    throw new RangeError(
      `SimNetworkOptions.seed is fixed when the network is created (${current.seed}), got ${describeValue(seed)}`,
    )
  }
  if (
    !Array.isArray(latencyMs) ||
    latencyMs.length !== 2 ||
    !isLatency(latencyMs[0]) ||
    !isLatency(latencyMs[1]) ||
    latencyMs[0] > latencyMs[1]
  ) {
    throw new RangeError(
      `SimNetworkOptions.latencyMs must be [min, max] with non-negative integers and min <= max, got ${describeValue(latencyMs)}`,
    )
  }
  if (!isProbability(loss)) {
    throw new RangeError(`SimNetworkOptions.loss must be a probability in [0, 1], got ${describeValue(loss)}`)
  }
  if (!isProbability(duplicate)) {
    throw new RangeError(
      `SimNetworkOptions.duplicate must be a probability in [0, 1], got ${describeValue(duplicate)}`,
    )
  }
  if (typeof reorder !== 'boolean') {
    throw new RangeError(`SimNetworkOptions.reorder must be a boolean, got ${describeValue(reorder)}`)
  }
  return { seed, minLatencyMs: latencyMs[0], maxLatencyMs: latencyMs[1], loss, duplicate, reorder }
}
