/**
 * Reachable states of a custom type, without the runtime: a few replicas that each build their
 * own contribution with the type's writes, exchange contributions through the type's encoding,
 * and keep the join of what they hold, exactly as replicas do (crdts/custom.ts). A history is a
 * random sequence of writes, exchanges and clock advances; the laws only have to hold on the
 * states it reaches. Every write is checked as it happens: it must validate before changing
 * anything, inflate the contribution, and return `false` only when it changed nothing.
 */
import fc from 'fast-check'
import { decodeState, encodeState } from '../../crdts/custom-codec.js'
import type { WriteContext } from '../../crdts/custom.js'
import type { CustomTypeDefinition, CustomWrites } from '../custom-spec.js'
import { cloneStructure, render, structuralDifference } from './structure.js'

/** A law does not hold; the message says which and for what. */
export class LawViolation extends Error {
  override name = 'LawViolation'
}

export type LawStep =
  | { readonly kind: 'write'; readonly at: number; readonly name: string; readonly args: readonly unknown[] }
  | { readonly kind: 'sync'; readonly from: number; readonly to: number }
  | { readonly kind: 'advance'; readonly ms: number }

export interface LawHistory {
  readonly replicas: number
  readonly steps: readonly LawStep[]
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the kit takes any user type */
export type AnyDefinition = CustomTypeDefinition<any, CustomWrites<any>, any, any>

export function describeStep(step: LawStep): string {
  switch (step.kind) {
    case 'write': return `r${step.at}.${step.name}(${step.args.map((arg) => render(arg)).join(', ')})`
    case 'sync': return `r${step.from} → r${step.to}`
    case 'advance': return `advance ${step.ms} ms`
  }
}

function withText<T extends object>(value: T, text: () => string): T {
  return Object.assign(value, { [fc.toStringMethod]: text })
}

/** Random histories over `writes` (an argument-tuple arbitrary per write name). */
export function lawHistory(writes: Readonly<Record<string, fc.Arbitrary<readonly unknown[]>>>, maxReplicas: number, maxSteps: number): fc.Arbitrary<LawHistory> {
  const names = Object.keys(writes)
  return fc.integer({ min: 2, max: maxReplicas }).chain((replicas) => {
    const at = fc.nat(replicas - 1)
    const write = fc.oneof(...names.map((name) => fc.record({ kind: fc.constant('write' as const), at, name: fc.constant(name), args: writes[name]! })))
    const step: fc.Arbitrary<LawStep> = fc.oneof(
      { weight: 6, arbitrary: write },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: at, to: at }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 50 }) }) },
    )
    return fc.array(step, { maxLength: maxSteps }).map((steps) => withText({ replicas, steps }, () =>
      `${replicas} replicas: ${steps.length === 0 ? '(no steps)' : steps.map(describeStep).join('; ')}`))
  })
}

/** What a replica holds of one origin: its contribution at a version. */
interface Held<S> {
  version: number
  state: S
}

export interface LawReplica<S> {
  readonly origin: string
  own: S
  version: number
  readonly held: Map<string, Held<S>>
  merged: S
}

/** The type under test with its equality, and the replicas of one history. */
export class LawSystem<S> {
  readonly replicas: LawReplica<S>[]
  nowMs = 1_000

  /**
   * `lenient`: the writes' arguments were guessed (no arbitraries given), so a write may reject
   * them with any error, as long as it changed nothing.
   */
  constructor(readonly type: AnyDefinition, replicaCount: number, readonly lenient = false) {
    this.replicas = Array.from({ length: replicaCount }, (_, index) => ({
      origin: `r${index}`, own: type.empty(), version: 0, held: new Map(), merged: type.empty(),
    }))
  }

  /** Where `a` and `b` differ, by the type's `equals` or structurally; `undefined` when equal. */
  difference(a: S, b: S): string | undefined {
    if (this.type.equals) return this.type.equals(a, b) ? undefined : 'equals() is false'
    return structuralDifference(a, b)
  }

  join(a: S, b: S, what: string): S {
    try {
      return this.type.join(a, b)
    } catch (error) {
      throw new LawViolation(`join threw ${describeError(error)} for ${what}`, { cause: error })
    }
  }

  /** The state that `state` becomes on a peer: encoded, then decoded. */
  transmit(state: S, what: string): S {
    let bytes: Uint8Array
    try {
      bytes = encodeState(this.type, state)
    } catch (error) {
      throw new LawViolation(`encode threw ${describeError(error)} for ${what} = ${render(state)}`, { cause: error })
    }
    try {
      return decodeState(this.type, bytes)
    } catch (error) {
      throw new LawViolation(`decode rejected the encoding of ${what} = ${render(state)}: ${describeError(error)}`, { cause: error })
    }
  }

  run(history: LawHistory): void {
    for (const step of history.steps) {
      if (step.kind === 'write') this.write(step)
      else if (step.kind === 'sync') this.sync(this.replicas[step.from]!, this.replicas[step.to]!)
      else this.nowMs += step.ms
    }
  }

  private write(step: Extract<LawStep, { kind: 'write' }>): void {
    const replica = this.replicas[step.at]!
    const name = `${replica.origin}.${step.name}(${step.args.map((arg) => render(arg)).join(', ')})`
    const context: WriteContext<S> = {
      own: replica.own,
      merged: replica.merged,
      origin: replica.origin,
      id: replica.origin,
      now: () => this.nowMs,
    }
    const before = cloneStructure(replica.own)
    let result: boolean | void
    try {
      result = (this.type.writes[step.name]! as (context: WriteContext<S>, ...args: unknown[]) => boolean | void)(context, ...step.args)
    } catch (error) {
      const changed = this.difference(before, replica.own)
      if (!(error instanceof RangeError) && !this.lenient) throw new LawViolation(`write ${name} threw ${describeError(error)}`, { cause: error })
      if (changed !== undefined) throw new LawViolation(`write ${name} threw ${describeError(error)} after changing the state (validate arguments before changing anything): ${changed}`)
      return
    }
    if (result === false) {
      const changed = this.difference(before, replica.own)
      if (changed !== undefined) {
        throw new LawViolation(`write ${name} returned false (nothing changed, so nothing is sent to peers) but changed the state: ${changed}\n  before: ${render(before)}\n  after:  ${render(replica.own)}`)
      }
      return
    }
    // The inflation law below presupposes idempotence: check it first on the state just written.
    const twice = this.join(replica.own, replica.own, `the state after ${name}`)
    const notIdempotent = this.difference(twice, replica.own)
    if (notIdempotent !== undefined) {
      throw new LawViolation(`join is not idempotent: join(a, a) differs from a at ${notIdempotent}\n  a = the contribution of ${replica.origin} after ${name} = ${render(replica.own)}\n  join(a, a) = ${render(twice)}`)
    }
    const inflated = this.join(before, replica.own, `the state before and after ${name}`)
    const lost = this.difference(inflated, replica.own)
    if (lost !== undefined) {
      throw new LawViolation(`write ${name} is not an inflation: join(before, after) differs from after at ${lost}\n  before: ${render(before)}\n  after:  ${render(replica.own)}`)
    }
    replica.version++
    replica.merged = this.join(replica.merged, replica.own, `the merged state of ${replica.origin} and its own contribution`)
  }

  /** `from` sends `to` every contribution it holds at a higher version than `to` does. */
  sync(from: LawReplica<S>, to: LawReplica<S>): number {
    if (from === to) return 0
    const offered: [string, Held<S>][] = [[from.origin, { version: from.version, state: from.own }], ...from.held]
    let received = 0
    for (const [origin, held] of offered) {
      if (origin === to.origin || held.version === 0 || held.version <= (to.held.get(origin)?.version ?? 0)) continue
      const copy = this.transmit(held.state, `the contribution of ${origin}`)
      to.held.set(origin, { version: held.version, state: copy })
      to.merged = this.join(to.merged, copy, `the merged state of ${to.origin} and the contribution of ${origin}`)
      received++
    }
    return received
  }

  /** Every pair exchanges until nothing moves; bounded, since a full exchange needs two rounds. */
  syncAll(): void {
    const rounds = this.replicas.length + 2
    for (let round = 0; round < rounds; round++) {
      let moved = 0
      for (const from of this.replicas) for (const to of this.replicas) moved += this.sync(from, to)
      if (moved === 0) return
    }
    throw new LawViolation(`contributions still moving after ${rounds} rounds of exchanges between every pair`)
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
