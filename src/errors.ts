/**
 * Typed errors of the library. Each has a stable `name` (match on `err.name`) and a
 * `code` that the HTTP layer turns into `{error: code, message}` with `status`.
 */
export class RepramError extends Error {
  /** Machine-readable code, used as the `error` field of HTTP error bodies. */
  readonly code: string
  /** The HTTP status this error maps to. */
  readonly status: number

  constructor (message: string, code: string, status: number) {
    super(message)
    this.name = 'RepramError'
    this.code = code
    this.status = status
  }
}

/** The key is empty, too long, or not valid UTF-8. */
export class InvalidKeyError extends RepramError {
  constructor (message: string) { super(message, 'invalid_key', 400); this.name = 'InvalidKeyError' }
}

/** A percent-escape in the key is malformed. */
export class InvalidEncodingError extends RepramError {
  constructor (message: string) { super(message, 'invalid_encoding', 400); this.name = 'InvalidEncodingError' }
}

/** The TTL is not a decimal number of seconds, or is out of range under `ttlPolicy: 'reject'`. */
export class InvalidTtlError extends RepramError {
  constructor (message: string) { super(message, 'invalid_ttl', 400); this.name = 'InvalidTtlError' }
}

/** A query parameter or other request field is malformed. */
export class BadRequestError extends RepramError {
  constructor (message: string, code = 'bad_request') { super(message, code, 400); this.name = 'BadRequestError' }
}

/** The value exceeds `maxValueBytes`. */
export class ValueTooLargeError extends RepramError {
  constructor (message: string) { super(message, 'value_too_large', 413); this.name = 'ValueTooLargeError' }
}

/** Storing the record would exceed the node's capacity. */
export class CapacityExceededError extends RepramError {
  constructor (message: string) { super(message, 'capacity_exceeded', 507); this.name = 'CapacityExceededError' }
}

/** `X-Jurisdiction` (or the `jurisdictions` option) is not a list of jurisdiction codes. */
export class InvalidJurisdictionError extends RepramError {
  constructor (message: string) { super(message, 'invalid_jurisdiction', 400); this.name = 'InvalidJurisdictionError' }
}

/**
 * The write names jurisdictions this node is not in, while members in them are known:
 * this node must not hold it, so it stores nothing. Send the write to a node in one of
 * them (`/v1/topology` shows each peer's jurisdiction). 421 Misdirected Request.
 */
export class NotInJurisdictionError extends RepramError {
  constructor (message: string) { super(message, 'not_in_jurisdiction', 421); this.name = 'NotInJurisdictionError' }
}

/** The write names jurisdictions that neither this node nor any healthy, verified member is in: nobody may store it. */
export class NoJurisdictionMemberError extends RepramError {
  constructor (message: string) { super(message, 'no_jurisdiction_member', 422); this.name = 'NoJurisdictionMemberError' }
}

/** The node is stopping or stopped. */
export class NodeStoppedError extends RepramError {
  constructor (message = 'the node is shutting down') { super(message, 'shutting_down', 503); this.name = 'NodeStoppedError' }
}

/** An actor did not answer in time. */
export class TimeoutError extends RepramError {
  constructor (message: string) { super(message, 'timeout', 503); this.name = 'TimeoutError' }
}

/**
 * An actor threw while handling the message this request waited on. The actor's own
 * `onCrash` policy decides what happens to it; the asker is failed at once with this.
 */
export class ActorCrashedError extends RepramError {
  /** The actor's name (a small enum: `shard-0`, `quorum-coordinator`, …). */
  readonly actor: string
  constructor (actor: string) { super(`internal error in ${actor}`, 'internal', 500); this.name = 'ActorCrashedError'; this.actor = actor }
}

/** The configuration is invalid; `field` names the offending field. */
export class ConfigError extends RepramError {
  readonly field: string
  constructor (field: string, message: string) {
    super(`invalid config ${field}: ${message}`, 'invalid_config', 500)
    this.name = 'ConfigError'
    this.field = field
  }
}

/**
 * A write to an owned key (docs/owned-keys.md) without its owner's valid signature:
 * `code` is `unsigned`, `bad_signature` or `bad_delegation`. HTTP 403.
 */
export class OwnerSignatureError extends RepramError {
  constructor (code: 'unsigned' | 'bad_signature' | 'bad_delegation', message: string) { super(message, code, 403); this.name = 'OwnerSignatureError' }
}

/** A signed write's client-chosen createdAt is too far from this node's clock (`signedWriteSkewMs`). HTTP 400. */
export class ClockSkewError extends RepramError {
  constructor (message: string) { super(message, 'clock_skew', 400); this.name = 'ClockSkewError' }
}

/** A signed write loses to the write this node holds for the key (last-writer-wins on its client-chosen createdAt). HTTP 409. */
export class StaleWriteError extends RepramError {
  constructor (message: string) { super(message, 'stale_write', 409); this.name = 'StaleWriteError' }
}
