/**
 * Typed errors of elastic-state. Every error the library raises on purpose is an
 * `ElasticStateError` (or a `RangeError` for out-of-range arguments to a write), so callers can
 * tell a bad frame from a bug.
 */

/** Base class of every error raised by elastic-state on purpose. */
export class ElasticStateError extends Error {
  override name = 'ElasticStateError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** A frame (or a persisted record) could not be decoded: truncated, oversized or malformed. */
export class DecodeError extends ElasticStateError {
  override name = 'DecodeError'
}

/** A frame's authentication tag is missing or wrong, or a secret is required and absent. */
export class AuthError extends ElasticStateError {
  override name = 'AuthError'
}

/** A peer declared different state (its schema fingerprint differs from ours). */
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

/** The frame was written by a newer or older protocol version than this replica speaks. */
export class ProtocolVersionError extends ElasticStateError {
  override name = 'ProtocolVersionError'
}

/** A declared schema is invalid (unknown type, bad option). Thrown by `defineState`. */
export class SchemaError extends ElasticStateError {
  override name = 'SchemaError'
}

/** An operation was called in a lifecycle state that does not allow it (e.g. `start()` twice). */
export class LifecycleError extends ElasticStateError {
  override name = 'LifecycleError'
}
