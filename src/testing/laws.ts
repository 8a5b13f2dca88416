/**
 * `checkLaws`: the contract of a custom type (see `CustomTypeDefinition`), checked on random
 * reachable states. The states come from random histories of the type's writes at a few
 * replicas that exchange contributions through the encoding (law-history.ts).
 */
import fc from 'fast-check'
import { Reader } from '../../crdts/codec.js'
import { encodeState } from '../../crdts/custom-codec.js'
import type { CustomWriteArgs } from '../custom-handle.js'
import type { CustomSpec, CustomWrites } from '../custom-spec.js'
import { DecodeError } from '../errors.js'
import { plainView } from '../plain-view.js'
import { deepEqual, firstDifference } from '../sim/deep-equal.js'
import { type AnyDefinition, type LawHistory, LawSystem, LawViolation, describeError, lawHistory } from './law-history.js'
import { type KitProperty, type RunOptions, kitProperty, runParameters } from './property.js'
import { cloneStructure, render } from './structure.js'

/**
 * Options of `checkLaws`.
 * @typeParam W - the type's writes.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import type { LawsOptions } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * type Writes = { add(context: unknown, port: number): void }
 * const options: LawsOptions<Writes> = {
 *   writes: { add: fc.tuple(fc.integer({ min: 0, max: 65_535 })) },
 *   numRuns: 200,
 *   maxSteps: 40,
 * }
 * assert.equal(options.numRuns, 200)
 * ```
 */
export interface LawsOptions<W> extends RunOptions {
  /**
   * For each write to exercise, an arbitrary of its arguments as a tuple
   * (`fc.tuple(fc.nat())`; `fc.constant([])` for a write without arguments). Invalid arguments
   * are fine when the write rejects them with a `RangeError` before changing anything.
   */
  writes?: { [K in keyof W]?: fc.Arbitrary<CustomWriteArgs<W[K]>> }
  /** Most replicas in a history (at least 2). Default 3. */
  maxReplicas?: number
  /** Most steps in a history. Default 30. */
  maxSteps?: number
}

/**
 * One generated case: a history, bytes for the decoder, and damage to a real encoding (of the
 * state at `mutation.state` of the pool): its byte at `mutation.at` set to `mutation.byte`; the
 * encoding cut to `mutation.cut` bytes; and that cut followed by the garbage bytes.
 */
interface LawCase {
  readonly history: LawHistory
  readonly garbage: Uint8Array
  readonly mutation: { readonly state: number; readonly at: number; readonly byte: number; readonly cut: number }
}

interface Labelled<S> {
  readonly label: string
  readonly state: S
}

/**
 * A property that checks the contract of a custom type on the states random histories reach
 * (the empty state, and every replica's contribution and merged state; the join laws on every
 * pair and triple of them):
 *
 * 1. every write validates before changing anything, inflates the contribution, and returns
 *    `false` only when it changed nothing;
 * 2. `decode(encode(s))` equals `s`, and `decode` consumes every byte;
 * 3. `join` leaves its arguments unchanged, and is idempotent (also on every state a write
 *    made), commutative and associative, with `empty()` as identity;
 * 4. replicas that exchanged everything hold equal merged states (the join of every
 *    contribution) and show equal snapshots;
 * 5. `decode` of arbitrary bytes (some made of bytes the real encodings use), of real
 *    encodings with a byte changed or cut short, of a real prefix followed by arbitrary bytes,
 *    and of every prefix of those, returns a state or throws `DecodeError`, never another
 *    error; whatever it returns, `join`, the views and `encode` accept.
 *
 * States are compared with the type's `equals`, or structurally (Maps and Sets regardless of
 * order). On failure, `assert()` throws a `PropertyFailure` naming the law, the states and the
 * shrunk history (writes as `r0.add(7)`, exchanges as `r0 → r1`).
 * @param type - what `custom(...)` returned.
 * @throws RangeError for options without any write arbitrary, or naming a write the type lacks.
 * @example
 * ```ts
 * import fc from 'fast-check'
 * import { custom } from 'elastic-state'
 * import { checkLaws } from 'elastic-state/testing'
 * import assert from 'node:assert/strict'
 *
 * const ports = custom({
 *   name: 'ports',
 *   empty: () => new Set<number>(),
 *   join: (a, b) => new Set([...a, ...b]),
 *   writes: {
 *     add({ own }, port: number) {
 *       if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`not a port: ${port}`)
 *       if (own.has(port)) return false
 *       own.add(port)
 *     },
 *   },
 *   global: (all) => [...all].sort((a, b) => a - b),
 *   encode(writer, all) { writer.varUint(all.size); for (const port of all) writer.varUint(port) },
 *   decode(reader) {
 *     const all = new Set<number>()
 *     const count = reader.count(reader.remaining, 'port count')
 *     for (let i = 0; i < count; i++) all.add(reader.varUint('port'))
 *     return all
 *   },
 * })
 * const laws = checkLaws(ports, { writes: { add: fc.tuple(fc.integer({ min: -1, max: 70_000 })) }, numRuns: 50 })
 * laws.assert()   // throws a PropertyFailure if a law does not hold
 * assert.equal(laws.parameters.numRuns, 50)
 * ```
 */
export function checkLaws<S, W extends CustomWrites<S>, G, L>(type: CustomSpec<S, W, G, L>, options: LawsOptions<W> = {}): KitProperty<unknown> {
  if (type?.kind !== 'custom') throw new RangeError('checkLaws takes a custom type: what custom(...) returns')
  const definition = type.definition as AnyDefinition
  // Without arbitraries, every write gets guessed arguments (numbers, strings, booleans, as many
  // as it declares); a write may reject them with any error that changes nothing.
  const lenient = options?.writes === undefined
  const writes = (options?.writes ?? guessedWrites(definition)) as Record<string, fc.Arbitrary<readonly unknown[]> | undefined>
  const exercised = Object.entries(writes ?? {}).filter((entry): entry is [string, fc.Arbitrary<readonly unknown[]>] => entry[1] !== undefined)
  if (exercised.length === 0) throw new RangeError(`checkLaws(${type.name}): options.writes needs an argument arbitrary for at least one write`)
  for (const [name] of exercised) {
    if (!Object.prototype.hasOwnProperty.call(definition.writes, name)) throw new RangeError(`checkLaws(${type.name}): the type has no write named ${JSON.stringify(name)}`)
  }
  const maxReplicas = options.maxReplicas ?? 3
  const maxSteps = options.maxSteps ?? 30
  if (!Number.isSafeInteger(maxReplicas) || maxReplicas < 2) throw new RangeError(`maxReplicas must be an integer of at least 2, got ${String(maxReplicas)}`)
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 0) throw new RangeError(`maxSteps must be a non-negative integer, got ${String(maxSteps)}`)
  const parameters = runParameters<[unknown]>(options, 100)

  const cases: fc.Arbitrary<LawCase> = fc.record({
    history: lawHistory(Object.fromEntries(exercised), maxReplicas, maxSteps),
    garbage: fc.uint8Array({ maxLength: 40 }),
    mutation: fc.record({ state: fc.nat(2 * maxReplicas), at: fc.nat(64), byte: fc.integer({ min: 0, max: 255 }), cut: fc.nat(64) }),
  }).map((lawCase) => Object.assign(lawCase, { [fc.toStringMethod]: () => describeCase(lawCase) }))
  const property = fc.property(cases, (lawCase) => checkCase(definition, lawCase, lenient))
  return kitProperty(`checkLaws(${type.name})`, property as fc.IPropertyWithHooks<[unknown]>, parameters)
}

/** Label of the state at `index` of the pool `checkCase` builds. */
function poolLabel(index: number): string {
  if (index === 0) return 'empty()'
  const replica = `r${Math.floor((index - 1) / 2)}`
  return index % 2 === 1 ? `the contribution of ${replica}` : `the merged state of ${replica}`
}

function describeCase(lawCase: LawCase): string {
  const { mutation } = lawCase
  const source = poolLabel(mutation.state % (1 + 2 * lawCase.history.replicas))
  return `${fc.stringify(lawCase.history)} | decode inputs: [${Array.from(lawCase.garbage).join(', ')}]; `
    + `the encoding of ${source} with byte ${mutation.at} set to ${mutation.byte}; the same cut at ${mutation.cut}, alone and followed by those bytes (positions modulo its length); those bytes with the ones from 128 up replaced by bytes of the encodings`
}

/** Argument arbitraries for every write of a type, from each write's declared arity. */
function guessedWrites(definition: AnyDefinition): Record<string, fc.Arbitrary<readonly unknown[]>> {
  const value = fc.oneof(fc.nat(1000), fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 12 }), fc.boolean(), fc.double({ noNaN: true, min: -1e6, max: 1e6 }))
  const guessed: Record<string, fc.Arbitrary<readonly unknown[]>> = {}
  for (const [name, write] of Object.entries(definition.writes)) {
    // The first parameter is the write context; rest parameters count as none.
    const arity = Math.max(0, (write as (...args: unknown[]) => unknown).length - 1)
    guessed[name] = arity > 0 ? fc.array(value, { minLength: arity, maxLength: arity }) : fc.array(value, { maxLength: 2 })
  }
  return guessed
}

function checkCase(definition: AnyDefinition, lawCase: LawCase, lenient: boolean): void {
  const system = new LawSystem<unknown>(definition, lawCase.history.replicas, lenient)
  system.run(lawCase.history)
  const pool: Labelled<unknown>[] = [{ label: poolLabel(0), state: definition.empty() }]
  for (const replica of system.replicas) {
    pool.push({ label: poolLabel(pool.length), state: replica.own })
    pool.push({ label: poolLabel(pool.length), state: replica.merged })
  }
  for (const { label, state } of pool) roundTrip(system, state, label)
  joinLaws(system, pool)
  convergence(system)
  garbageDecodes(system, lawCase, pool)
}

/** One line of a failure report: a state by name, with its place in the history when it has one. */
type Shown = readonly [name: string, state: Labelled<unknown>] | readonly [name: string, label: null, value: unknown]

function describeStates(...shown: Shown[]): string {
  return shown.map((entry) => {
    const text = entry.length === 2 ? `${entry[1].label} = ${render(entry[1].state)}` : render(entry[2])
    return `\n  ${entry[0]} = ${text}`
  }).join('')
}

function roundTrip(system: LawSystem<unknown>, state: unknown, label: string): void {
  const copy = system.transmit(state, label)
  const difference = system.difference(copy, state)
  if (difference !== undefined) {
    throw new LawViolation(`decode(encode(s)) differs from s at ${difference}${describeStates(['s', { label, state }], ['decode(encode(s))', null, copy])}`)
  }
}

/**
 * The join laws on every pair and triple of the pool (a handful of states), in pool order, so
 * the first violation reported is the same whatever the shrinker tried before.
 */
function joinLaws(system: LawSystem<unknown>, pool: readonly Labelled<unknown>[]): void {
  const join = (x: unknown, y: unknown) => system.join(x, y, 'states of the history')
  const same = (x: unknown, y: unknown) => system.difference(x, y)
  for (const a of pool) {
    for (const b of pool) {
      const copies = [a, b].map((labelled) => cloneStructure(labelled.state))
      const ab = join(a.state, b.state)
      for (const [index, labelled] of [a, b].entries()) {
        const changed = same(copies[index], labelled.state)
        if (changed !== undefined) throw new LawViolation(`join modified its ${index === 0 ? 'first' : 'second'} argument: ${changed}${describeStates(['a', a], ['b', b])}`)
      }
      const ba = join(b.state, a.state)
      const commutes = same(ab, ba)
      if (commutes !== undefined) {
        throw new LawViolation(`join is not commutative: join(a, b) differs from join(b, a) at ${commutes}${describeStates(['a', a], ['b', b], ['join(a, b)', null, ab], ['join(b, a)', null, ba])}`)
      }
    }
  }
  for (const a of pool) {
    const aa = join(a.state, a.state)
    const idempotent = same(aa, a.state)
    if (idempotent !== undefined) {
      throw new LawViolation(`join is not idempotent: join(a, a) differs from a at ${idempotent}${describeStates(['a', a], ['join(a, a)', null, aa])}`)
    }
    const withEmpty = join(system.type.empty(), a.state)
    const identity = same(withEmpty, a.state)
    if (identity !== undefined) {
      throw new LawViolation(`empty() is not the identity of join: join(empty(), a) differs from a at ${identity}${describeStates(['a', a], ['join(empty(), a)', null, withEmpty])}`)
    }
  }
  for (const a of pool) {
    for (const b of pool) {
      const ab = join(a.state, b.state)
      for (const c of pool) {
        const left = join(ab, c.state)
        const right = join(a.state, join(b.state, c.state))
        const associates = same(left, right)
        if (associates !== undefined) {
          throw new LawViolation(`join is not associative: join(join(a, b), c) differs from join(a, join(b, c)) at ${associates}${describeStates(['a', a], ['b', b], ['c', c], ['join(join(a, b), c)', null, left], ['join(a, join(b, c))', null, right])}`)
        }
      }
    }
  }
}

/** The snapshot a replica would show of this state. */
function snapshotOf(system: LawSystem<unknown>, merged: unknown): unknown {
  const type = system.type
  try {
    return type.snapshot ? type.snapshot(merged) : plainView(type.global ? type.global(merged) : merged)
  } catch (error) {
    throw new LawViolation(`the snapshot view threw ${describeError(error)} for ${render(merged)}`, { cause: error })
  }
}

function convergence(system: LawSystem<unknown>): void {
  system.syncAll()
  const [first, ...others] = system.replicas
  let everything = system.type.empty()
  for (const replica of system.replicas) everything = system.join(everything, replica.own, 'every contribution')
  const expectedDifference = system.difference(first!.merged, everything)
  if (expectedDifference !== undefined) {
    throw new LawViolation(`after exchanging everything, the merged state of ${first!.origin} differs from the join of every contribution at ${expectedDifference}${describeStates(['merged', null, first!.merged], ['join of all', null, everything])}`)
  }
  const reference = snapshotOf(system, first!.merged)
  for (const replica of others) {
    const difference = system.difference(replica.merged, first!.merged)
    if (difference !== undefined) {
      throw new LawViolation(`after exchanging everything, ${first!.origin} and ${replica.origin} hold different merged states at ${difference}${describeStates([first!.origin, null, first!.merged], [replica.origin, null, replica.merged])}`)
    }
    const snapshot = snapshotOf(system, replica.merged)
    if (!deepEqual(snapshot, reference)) {
      throw new LawViolation(`${first!.origin} and ${replica.origin} hold equal merged states but show different snapshots (make the views independent of insertion order): ${firstDifference(reference, snapshot)}`)
    }
  }
}

function garbageDecodes(system: LawSystem<unknown>, lawCase: LawCase, pool: readonly Labelled<unknown>[]): void {
  const real = system.replicas.map((replica) => replica.merged)
  const source = pool[lawCase.mutation.state % pool.length]!
  // The round-trip law already ran on every state of the pool, so encoding it succeeds.
  const encoding = encodeState(system.type, source.state)
  const mutated = encoding.slice()
  if (mutated.length > 0) mutated[lawCase.mutation.at % mutated.length] = lawCase.mutation.byte
  const cut = encoding.subarray(0, encoding.length === 0 ? 0 : lawCase.mutation.cut % encoding.length)
  // Garbage with bytes the encodings use (tags, lengths), so the decoder meets plausible
  // structure: a garbage byte from 128 up picks a byte of the encodings, smaller ones stay.
  const dictionary = concat(...real.map((state) => encodeState(system.type, state)), encoding)
  const plausible = lawCase.garbage.map((byte) => (byte >= 128 && dictionary.length > 0 ? dictionary[(byte - 128) % dictionary.length]! : byte))
  // A real prefix then garbage: the decoder gets past its first checks before meeting nonsense.
  const inputs = [lawCase.garbage, plausible, mutated, cut, concat(cut, lawCase.garbage), concat(cut, plausible)]
  // Every prefix of a short input too: a decoder must consume its input exactly, and one of the
  // prefixes is often exactly what it accepts.
  const candidates = inputs.flatMap((input) => input.length > 128 ? [input] : Array.from({ length: input.length + 1 }, (_, length) => input.subarray(0, length)))
  for (const bytes of candidates) {
    const decoded = decodeUntrusted(system, bytes)
    if (decoded === rejected) continue
    const what = `the state decoded from bytes [${Array.from(bytes).join(', ')}] (${render(decoded)})`
    try {
      system.join(decoded, real[0], what)
      system.join(real[0], decoded, what)
      snapshotOf(system, decoded)
      if (system.type.local) system.type.local(decoded)
      system.transmit(decoded, what)
    } catch (error) {
      if (error instanceof LawViolation) throw new LawViolation(`${error.message} (decode accepted those bytes: validate in decode and throw a DecodeError)`, { cause: error })
      throw new LawViolation(`a view threw ${describeError(error)} for ${what}: validate in decode and throw a DecodeError`, { cause: error })
    }
  }
}

const rejected = Symbol('rejected')

function concat(...parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((length, part) => length + part.length, 0))
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.length
  }
  return bytes
}

function decodeUntrusted(system: LawSystem<unknown>, bytes: Uint8Array): unknown {
  const reader = new Reader(bytes)
  let decoded: unknown
  try {
    decoded = system.type.decode(reader)
  } catch (error) {
    if (error instanceof DecodeError) return rejected
    throw new LawViolation(`decode threw ${describeError(error)} for bytes [${Array.from(bytes).join(', ')}]: throw DecodeError for bytes you reject`, { cause: error })
  }
  // Bytes left unread are rejected by the runtime, so the state is never used.
  return reader.remaining === 0 ? decoded : rejected
}
