/**
 * Typed errors of elastic-state. Every error the library raises on purpose is an
 * `ElasticStateError` (or a `RangeError` for out-of-range arguments to a write), so callers can
 * tell a bad frame from a bug.
 */

/**
 * Base class of every error raised by elastic-state on purpose.
 * @example
 * ```ts
 * import { counter, defineState, ElasticStateError, SchemaError } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * try {
 *   defineState({ packets: counter as never })   // the builder itself, not its result
 *   assert.fail('defineState should refuse it')
 * } catch (error) {
 *   assert.ok(error instanceof ElasticStateError)   // every deliberate error of the library
 *   assert.ok(error instanceof SchemaError)
 * }
 * ```
 */
export class ElasticStateError extends Error {
  override name = 'ElasticStateError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * A frame (or a persisted record) could not be decoded: truncated, oversized or malformed.
 * @example
 * ```ts
 * import { counter, defineState, DecodeError } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 1 })
 * const replica = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * const errors: Error[] = []
 * replica.on('error', (error) => errors.push(error))
 * sim.inject('a', new Uint8Array([0xe5, 1, 2, 3]))   // garbage from the network
 * assert.ok(errors[0] instanceof DecodeError)
 * assert.equal(replica.stats().framesRejected, 1)
 * ```
 */
export class DecodeError extends ElasticStateError {
  override name = 'DecodeError'
}

/**
 * A frame's authentication tag is missing or wrong, or a secret is required and absent.
 * @example
 * ```ts
 * import { counter, defineState, AuthError } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const State = defineState({ packets: counter() })
 * const sim = createSimulation({ seed: 2 })
 * const a = sim.spawn(State, { id: 'a', secret: 'cluster-key' })
 * sim.spawn(State, { id: 'b' })                         // no secret: its frames are refused
 * const errors: Error[] = []
 * a.on('error', (error) => errors.push(error))
 * sim.advance(500)
 * assert.ok(errors.some((error) => error instanceof AuthError))
 * ```
 */
export class AuthError extends ElasticStateError {
  override name = 'AuthError'
}

/**
 * A peer declared different state (its schema fingerprint differs from ours).
 * @example
 * ```ts
 * import { counter, defineState, SchemaMismatchError } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 3 })
 * const a = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * sim.spawn(defineState({ bytes: counter() }), { id: 'b' })   // declares other state
 * const errors: Error[] = []
 * a.on('error', (error) => errors.push(error))
 * sim.advance(500)
 * const mismatch = errors.find((error) => error instanceof SchemaMismatchError)
 * assert.ok(mismatch instanceof SchemaMismatchError)
 * assert.notEqual(mismatch.expected, mismatch.received)
 * ```
 */
export class SchemaMismatchError extends ElasticStateError {
  override name = 'SchemaMismatchError'
  constructor(
    message: string,
    /** Fingerprint we expect. */
    readonly expected: number,
    /** Fingerprint the peer sent. */
    readonly received: number,
  ) {
    super(message)
  }
}

/**
 * The frame was written by a newer or older protocol version than this replica speaks.
 * @example
 * ```ts
 * import { counter, defineState, ProtocolVersionError } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 4 })
 * const replica = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * const errors: Error[] = []
 * replica.on('error', (error) => errors.push(error))
 * sim.inject('a', new Uint8Array([0xe5, 99, 0, 0, 0, 0, 0, 0]))   // magic, then a protocol version from the future
 * assert.ok(errors[0] instanceof ProtocolVersionError)
 * ```
 */
export class ProtocolVersionError extends ElasticStateError {
  override name = 'ProtocolVersionError'
}

/**
 * A declared schema is invalid (unknown type, bad option). Thrown by `defineState`.
 * @example
 * ```ts
 * import { flowTable, set, SchemaError } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * assert.throws(() => flowTable({ fields: { members: set() as never } }), SchemaError)
 * assert.throws(() => flowTable({ fields: {} }), /at least one field/)
 * ```
 */
export class SchemaError extends ElasticStateError {
  override name = 'SchemaError'
}

/**
 * An operation was called in a lifecycle state that does not allow it (e.g. `start()` twice).
 * @example
 * ```ts
 * import { counter, defineState, createReplica, LifecycleError } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const replica = createReplica(defineState({ packets: counter() }), { id: 'solo' })
 * await replica.start()
 * await assert.rejects(replica.start(), LifecycleError)
 * await replica.stop()
 * ```
 */
export class LifecycleError extends ElasticStateError {
  override name = 'LifecycleError'
}
