/**
 * A deterministic `TypeContext` for tests: one shared fake time source (a `World`), a hybrid
 * logical clock per replica over it (crdts/hlc.ts), instance ids and liveness the test controls.
 */
import { type HybridClock, createHybridClock, observe, tick } from '../../crdts/hlc.js'
import type { TypeContext } from '../../crdts/slot-type.js'

/** What every replica of one test shares: fake time, instance ids, liveness. */
export interface World {
  /** Shared fake time in ms; tests move it forward with `advance`. */
  nowMs: number
  /** Instance id of each origin (the order of ids need not follow origin numbers). */
  readonly ids: readonly string[]
  /** Whether each origin is a live member (read by `perInstance`). */
  readonly live: boolean[]
  /** Per-origin clock offset in ms (a replica's `now()` is `nowMs + skewMs[origin]`). */
  readonly skewMs: readonly number[]
}

export interface WorldOptions {
  ids?: readonly string[]
  skewMs?: readonly number[]
  startMs?: number
}

export function createWorld(originCount: number, options: WorldOptions = {}): World {
  const ids = options.ids ?? Array.from({ length: originCount }, (_, origin) => `node-${origin}`)
  if (ids.length !== originCount || new Set(ids).size !== originCount) throw new RangeError('createWorld needs one distinct id per origin')
  return {
    nowMs: options.startMs ?? 1_000,
    ids,
    live: Array.from({ length: originCount }, () => true),
    skewMs: options.skewMs ?? Array.from({ length: originCount }, () => 0),
  }
}

export function advance(world: World, ms: number): void {
  if (!(ms >= 0)) throw new RangeError(`advance takes a non-negative duration, got ${ms}`)
  world.nowMs += ms
}

export interface TestContext extends TypeContext {
  /** The replica's hybrid logical clock (inspectable by tests). */
  readonly clock: HybridClock
}

/**
 * The context of a replica of `origin` (its clock may be skewed), or with `origin` null an
 * observer's: unskewed time, for states that only receive joins.
 */
export function createTestContext(world: World, origin: number | null = null): TestContext {
  const clock = createHybridClock()
  const skew = origin === null ? 0 : world.skewMs[origin] ?? 0
  const now = (): number => world.nowMs + skew
  return {
    clock,
    originId: (o) => world.ids[o] ?? `unknown-${o}`,
    originRank: (o) => world.ids[o] ?? `unknown-${o}`,
    now,
    isLive: (o) => world.live[o] ?? false,
    observeTimestamp: (wallMs, logical) => observe(clock, wallMs, logical),
    nextTimestamp: () => tick(clock, now()),
  }
}
