/**
 * The soak's random schedule: when the next event comes and what it is, drawn from a seeded
 * PRNG against the deployment as it stands. Pure (no processes, no clock), so a seed replays
 * the same sequence of decisions.
 *
 * Events, one at a time:
 * - kill: SIGKILL a serving instance; it is restarted on its state directory 2–10 s later;
 * - scale-in: a serving instance leaves gracefully, for good;
 * - scale-out: a new instance with an id never used before joins;
 * - partition: the running instances split in two sides that cannot gossip across for 5–30 s
 *   (traffic still reaches both), then heal.
 *
 * The deployment (serving plus killed awaiting restart) stays within [min, max] and is drawn
 * back towards the target count. Two rules keep the faults within what the library promises to
 * survive (failure-model.md): at most one instance is down at a time, and inside a partition an
 * instance is killed or leaves only if its side keeps at least two other serving instances. A
 * leave hands its writes to one live peer only, and peers keep what they received in memory
 * until their next snapshot: taking that peer down before gossip spread them further (MIN_GAP_MS
 * gives it time) could lose writes that were acknowledged.
 */
import type { Random } from '../bench/workload.js'

export type SoakAction =
  | { kind: 'kill'; id: string; restartAfterMs: number }
  | { kind: 'scale-in'; id: string }
  | { kind: 'scale-out'; id: string; side: 0 | 1 | null }
  | { kind: 'partition'; sides: [string[], string[]]; healAfterMs: number }

/** The deployment as the schedule sees it. */
export interface World {
  /** Instances the balancer routes to, sorted. */
  serving: readonly string[]
  /** Killed instances awaiting their restart. */
  down: readonly string[]
  /** The side of every instance while a partition lasts, else null. */
  partition: ReadonlyMap<string, 0 | 1> | null
  /** Number of the next new instance id (`i<n>`). */
  nextInstance: number
}

export interface ScheduleLimits {
  target: number
  min: number
  max: number
}

export const RESTART_AFTER_MS: [number, number] = [2_000, 10_000]
export const PARTITION_MS: [number, number] = [5_000, 30_000]
/** No event follows the previous one's end sooner than this: time for gossip to spread it. */
export const MIN_GAP_MS = 3_000

const uniform = (random: Random, [low, high]: [number, number]) => low + random.next() * (high - low)

/** Milliseconds until the next event: exponential with mean `meanS` seconds, at least MIN_GAP_MS. */
export function nextGapMs(random: Random, meanS: number): number {
  return Math.max(MIN_GAP_MS, -Math.log(1 - random.next()) * meanS * 1000)
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random.next() * items.length)]!
}

/** Serving instances that may be taken down (killed or retired) without breaking the rules above. */
function removable(world: World): string[] {
  if (world.serving.length < 3) return []
  const partition = world.partition
  if (!partition) return [...world.serving]
  return world.serving.filter((id) => {
    const side = partition.get(id)
    return world.serving.filter((other) => other !== id && partition.get(other) === side).length >= 2
  })
}

/** Draws the next action, or null when nothing is allowed right now (the slot is skipped). */
export function chooseAction(world: World, limits: ScheduleLimits, random: Random): SoakAction | null {
  const size = world.serving.length + world.down.length
  const candidates = removable(world)
  const weights = {
    kill: world.down.length === 0 && candidates.length > 0 ? 3 : 0,
    'scale-in': size > limits.min && candidates.length > 0 ? (size > limits.target ? 3 : size === limits.target ? 1.5 : 0.5) : 0,
    'scale-out': size < limits.max ? (size < limits.target ? 3 : size === limits.target ? 1.5 : 0.5) : 0,
    partition: world.partition === null && world.serving.length >= 4 ? 2 : 0,
  }
  const total = weights.kill + weights['scale-in'] + weights['scale-out'] + weights.partition
  if (total === 0) return null
  let draw = random.next() * total
  let kind: keyof typeof weights = 'partition'
  for (const name of Object.keys(weights) as (keyof typeof weights)[]) {
    if (draw < weights[name]) {
      kind = name
      break
    }
    draw -= weights[name]
  }
  switch (kind) {
    case 'kill':
      return { kind, id: pick(random, candidates), restartAfterMs: Math.round(uniform(random, RESTART_AFTER_MS)) }
    case 'scale-in':
      return { kind, id: pick(random, candidates) }
    case 'scale-out':
      return { kind, id: `i${world.nextInstance}`, side: world.partition ? (random.next() < 0.5 ? 0 : 1) : null }
    case 'partition':
      return { kind, sides: split(world.serving, random), healAfterMs: Math.round(uniform(random, PARTITION_MS)) }
  }
}

/** Two sides of at least 3 instances each when there are 6 or more, else at least 2, in random order. */
function split(serving: readonly string[], random: Random): [string[], string[]] {
  const shuffled = [...serving]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1))
    ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
  }
  const smallest = shuffled.length >= 6 ? 3 : 2
  const first = smallest + Math.floor(random.next() * (shuffled.length - 2 * smallest + 1))
  const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })
  return [shuffled.slice(0, first).sort(byNumber), shuffled.slice(first).sort(byNumber)]
}
