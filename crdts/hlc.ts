/**
 * Hybrid logical clock (Kulkarni et al., 2014): timestamps that follow wall-clock time but never
 * go backwards and always move past every timestamp the replica has seen, so "last writer wins"
 * agrees with causality even when clocks drift. Compared as (wallMs, logical), then by instance id.
 */
export interface HybridClock {
  wallMs: number
  logical: number
}

export function createHybridClock(): HybridClock {
  return { wallMs: 0, logical: 0 }
}

/** Timestamp for a local event at physical time `nowMs`; advances the clock. */
export function tick(clock: HybridClock, nowMs: number): HybridClock {
  // Timestamps travel as varuints (whole ms): a fractional clock reading (performance.now(), a
  // virtual clock) kept here would order the writer's own copy differently from its peers' copies.
  const wholeMs = Math.floor(nowMs)
  if (wholeMs > clock.wallMs) {
    clock.wallMs = wholeMs
    clock.logical = 0
  } else {
    clock.logical += 1
  }
  return { wallMs: clock.wallMs, logical: clock.logical }
}

/** Moves the clock past a remote timestamp so later local writes order after it. */
export function observe(clock: HybridClock, wallMs: number, logical: number): void {
  if (wallMs > clock.wallMs || (wallMs === clock.wallMs && logical > clock.logical)) {
    clock.wallMs = wallMs
    clock.logical = logical
  }
}

/** Total order of timestamps: negative when a is older than b. Ties by origin rank (instance id, then incarnation). */
export function compareTimestamps(
  aWallMs: number, aLogical: number, aId: string,
  bWallMs: number, bLogical: number, bId: string,
): number {
  if (aWallMs !== bWallMs) return aWallMs - bWallMs
  if (aLogical !== bLogical) return aLogical - bLogical
  return aId < bId ? -1 : aId > bId ? 1 : 0
}
