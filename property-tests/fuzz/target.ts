/**
 * The replica under attack, `target`, and an honest peer, `honest`, gossiping on a simulated
 * network. Hostile frames go into the target's real receive path one at a time; after each the
 * target is checked:
 *
 * - nothing is thrown out of the receive path (a throw there would crash a transport);
 * - a refused frame raises exactly one 'error' event, a `DecodeError`, `AuthError`,
 *   `SchemaMismatchError` or `ProtocolVersionError` (the one the generator expects, when it
 *   knows), and changes nothing: the state digest (snapshot, members, origin table and version
 *   vector) is the same, and the frame caused no frame to be sent and no change or member event;
 * - an accepted frame (a mutation can still be valid) leaves the target running, and at the end
 *   the target and the honest peer converge (same snapshot, same members) within a bound. It
 *   may make the replica report something it was told (an 'error' event that is neither a
 *   refusal nor a failure to apply, e.g. that peers folded this incarnation): that is counted.
 *
 * Between bursts of hostile frames the two gossip; an error or a thrown callback there is a
 * failure too (e.g. state an accepted frame put in that the target cannot encode, or that the
 * honest peer then refuses).
 */
import fc from 'fast-check'
import { AuthError, DecodeError, ElasticStateError, ProtocolVersionError, SchemaMismatchError } from '../../src/index.js'
import { createSimulation, type Simulation } from '../../src/sim/index.js'
import { applyFuzzWrite, fuzzWrite } from './fuzz-state.js'
import type { FuzzFrame, RejectionClass } from './sealing.js'
import { type SimNode, fuzzGossip, startSimNode } from './sim-node.js'

export type ViolationKind =
  | 'crash' | 'untyped-error' | 'apply-failure' | 'several-errors' | 'wrong-error' | 'state-change' | 'side-effect'
  | 'stopped' | 'gossip-error' | 'callback-threw' | 'divergence' | 'uncaught'

export interface Violation {
  kind: ViolationKind
  message: string
  frame?: FuzzFrame
}

export type Outcome =
  /** `report`: an 'error' event the replica raised about what an accepted frame told it (not a refusal). */
  | { accepted: true; report?: string }
  | { accepted: false; label: string }
  | { violation: Violation }

const REJECTIONS: Record<RejectionClass, new (...args: never[]) => Error> = {
  DecodeError, AuthError, SchemaMismatchError, ProtocolVersionError,
}

/** The error class name, and for a `DecodeError` that wraps an unexpected throw, what it wraps. */
export function rejectionLabel(error: Error): string {
  const cause = (error as { cause?: unknown }).cause
  if (error instanceof DecodeError && /^malformed frame: /.test(error.message) && cause instanceof Error && !(cause instanceof ElasticStateError)) {
    return `DecodeError(wrapped ${cause.name})`
  }
  return error.name
}

export interface TargetOptions {
  seed: number
  secret: string | undefined
  /** Local writes on each replica before the attack. */
  warmupWrites?: number
}

export class FuzzTarget {
  readonly sim: Simulation
  readonly target: SimNode
  readonly honest: SimNode
  private readonly errors: Error[] = []
  private readonly honestErrors: Error[] = []
  private changes = 0
  private memberEvents = 0
  private digestCache: string | null = null
  /** Frames the target refused, by the harness's count. */
  rejected = 0

  constructor(private readonly options: TargetOptions) {
    this.sim = createSimulation({ seed: options.seed, latencyMs: [1, 10] })
    const secret = options.secret === undefined ? {} : { secret: options.secret }
    this.target = startSimNode(this.sim, 'target', options.seed * 2 + 1, secret)
    this.honest = startSimNode(this.sim, 'honest', options.seed * 2 + 2, secret)
    const target = this.target.replica
    target.on('error', (error) => this.errors.push(error))
    target.on('change', () => this.changes++)
    target.on('member-join', () => this.memberEvents++)
    target.on('member-leave', () => this.memberEvents++)
    this.honest.replica.on('error', (error) => this.honestErrors.push(error))
  }

  /** Both replicas write, then converge; returns a failure message or null. */
  warmUp(): string | null {
    const writes = fc.sample(fc.tuple(fc.boolean(), fuzzWrite), { seed: this.options.seed, numRuns: this.options.warmupWrites ?? 40 })
    for (const [onTarget, op] of writes) applyFuzzWrite((onTarget ? this.target : this.honest).replica, op)
    return this.converge(5_000)
  }

  /** Delivers one hostile frame to the target and checks what it did. */
  deliver(frame: FuzzFrame): Outcome {
    const target = this.target.replica
    const before = this.digestCache ?? stateDigest(this.target)
    this.errors.length = 0
    this.changes = 0
    this.memberEvents = 0
    const sentBefore = this.target.sentCount
    try {
      this.target.deliver(frame.bytes)
    } catch (error) {
      return { violation: { kind: 'crash', message: `receive threw ${describeError(error)}`, frame } }
    }
    if (target.status !== 'running') return { violation: { kind: 'stopped', message: `target is ${target.status}`, frame } }
    if (this.errors.length === 0) {
      this.digestCache = null
      return { accepted: true }
    }
    if (this.errors.length > 1) return { violation: { kind: 'several-errors', message: this.errors.map(describeError).join('; '), frame } }
    const error = this.errors[0]!
    const typed = Object.values(REJECTIONS).some((type) => error instanceof type)
    if (!typed) {
      if (!(error instanceof ElasticStateError)) return { violation: { kind: 'untyped-error', message: describeError(error), frame } }
      // The replica reports a validated frame it failed to apply: the frame was half applied.
      if (/^applying a frame/.test(error.message)) return { violation: { kind: 'apply-failure', message: describeError(error), frame } }
      this.digestCache = null
      return { accepted: true, report: error.message }
    }
    if (frame.expect && !(error instanceof REJECTIONS[frame.expect])) {
      return { violation: { kind: 'wrong-error', message: `expected ${frame.expect}, got ${describeError(error)}`, frame } }
    }
    this.rejected++
    const after = stateDigest(this.target)
    this.digestCache = after
    if (after !== before) return { violation: { kind: 'state-change', message: `refused with ${describeError(error)}, yet the state changed`, frame } }
    if (this.target.sentCount !== sentBefore || this.changes > 0 || this.memberEvents > 0) {
      return { violation: { kind: 'side-effect', message: `refused with ${describeError(error)}, yet ${this.target.sentCount - sentBefore} frames sent, ${this.changes} change and ${this.memberEvents} member events`, frame } }
    }
    return { accepted: false, label: rejectionLabel(error) }
  }

  /** Lets the two gossip for `ms` virtual ms; returns a failure or null. */
  gossip(ms: number): Violation | null {
    this.errors.length = 0
    const callbackErrors = this.callbackErrors()
    this.sim.advance(ms)
    this.digestCache = null
    return this.gossipProblem(callbackErrors)
  }

  /**
   * New writes on both sides, then gossip until both hold the same snapshot and members, at
   * most `maxMs` virtual ms. Returns a failure message or null.
   */
  converge(maxMs: number): string | null {
    this.target.replica.state.packets.increment(1)
    this.honest.replica.state.packets.increment(2)
    for (let elapsed = 0; elapsed <= maxMs; elapsed += fuzzGossip.intervalMs) {
      const problem = this.gossip(fuzzGossip.intervalMs)
      if (problem) return problem.message
      if (this.agree()) return null
    }
    const [target, honest] = [this.target.replica, this.honest.replica]
    return `target and honest peer still differ after ${maxMs} virtual ms:\n  target members ${JSON.stringify(target.members())}: ${canonical(target.snapshot()).slice(0, 600)}\n  honest members ${JSON.stringify(honest.members())}: ${canonical(honest.snapshot()).slice(0, 600)}`
  }

  /** Whether the two hold the same snapshot (but for `UNCOMPARED_VIEWS`) and the same members. */
  agree(): boolean {
    const [target, honest] = [this.target.replica, this.honest.replica]
    return canonical(comparedViews(target.snapshot())) === canonical(comparedViews(honest.snapshot())) && canonical(target.members()) === canonical(honest.members())
  }

  stop(): void {
    void this.target.replica.stop()
    void this.honest.replica.stop()
  }

  private callbackErrors(): number {
    const stats = this.sim.network.stats()
    return stats.handlerErrors + stats.timerErrors
  }

  private gossipProblem(callbackErrorsBefore: number): Violation | null {
    if (this.callbackErrors() !== callbackErrorsBefore) {
      return { kind: 'callback-threw', message: `a handler or timer threw during gossip: ${describeError(this.sim.network.lastError?.error)}` }
    }
    const errors = [...this.errors.map((error) => `target: ${describeError(error)}`), ...this.honestErrors.map((error) => `honest: ${describeError(error)}`)]
    this.honestErrors.length = 0
    if (errors.length > 0) return { kind: 'gossip-error', message: errors.join('; ') }
    for (const node of [this.target, this.honest]) {
      if (node.replica.status !== 'running') return { kind: 'stopped', message: `${node.replica.id} is ${node.replica.status} after gossip` }
    }
    return null
  }
}

/**
 * Views left out of the convergence check. A custom type's merged state is the join of the
 * contributions, joined in as they change, which assumes that a newer version of a contribution
 * is an inflation of the older one, as every honest write makes it; a forged frame can carry a
 * newer, smaller one, and a replica that had joined the older one keeps it in its merged state
 * (docs/fuzzing.md, "Findings"). Its decoding is still fuzzed, and a refused frame still must not
 * change it.
 */
export const UNCOMPARED_VIEWS: readonly string[] = ['note']

function comparedViews(snapshot: Record<string, unknown>): Record<string, unknown> {
  const compared = { ...snapshot }
  for (const name of UNCOMPARED_VIEWS) delete compared[name]
  return compared
}

/**
 * What a refused frame must not change: the snapshot, the live members, and the origin table
 * with its version vector (read from the replica's internals when they are there, so the
 * digest keeps working while they evolve).
 */
export function stateDigest(node: SimNode): string {
  const replica = node.replica
  const origins = (replica as unknown as { origins?: { ids?: unknown; incarnations?: unknown; known?: unknown } }).origins
  return canonical([replica.snapshot(), replica.members(), origins?.ids, origins?.incarnations, origins?.known, replica.stats().version])
}

/** A deterministic text for plain data, bigints, byte arrays and non-finite numbers included. */
export function canonical(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Uint8Array) return `bytes(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')})`
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`
  }
  return String(value)
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: unknown }).cause
  return `${error.name}: ${error.message}${cause instanceof Error ? ` (cause ${cause.name}: ${cause.message})` : ''}`
}
