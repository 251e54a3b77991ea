/**
 * Typed errors of the SDK. Every error the SDK throws on purpose is a
 * {@link RepramSdkError}; match on `err.name` (stable) or use `instanceof`.
 *
 * @example
 * ```ts
 * import { RepramClient, RateLimitedError, DecryptionError } from 'repram/sdk'
 * try {
 *   await client.put('k', 'v')
 * } catch (err) {
 *   if (err instanceof RateLimitedError) console.log('retry in', err.retryAfterMs, 'ms')
 *   else throw err
 * }
 * ```
 */

/** Base class of every error the SDK throws on purpose. */
export class RepramSdkError extends Error {
  /** Machine-readable code, stable across versions. */
  readonly code: string

  constructor (message: string, code: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RepramSdkError'
    this.code = code
  }
}

/**
 * A node answered with an HTTP error status. `code` and `message` come from the
 * node's JSON error body `{error, message}` when it has one.
 */
export class RepramHttpError extends RepramSdkError {
  /** The HTTP status code. */
  readonly status: number
  /** The node URL (base URL as given to the client) that answered. */
  readonly url: string

  constructor (status: number, code: string, message: string, url: string) {
    super(message, code)
    this.name = 'RepramHttpError'
    this.status = status
    this.url = url
  }
}

/** 400: bad key, bad percent-encoding, bad TTL or another malformed request. */
export class BadRequestError extends RepramHttpError {
  constructor (code: string, message: string, url: string) { super(400, code, message, url); this.name = 'BadRequestError' }
}

/** 404: no such record (or it has expired), or no such route. */
export class NotFoundError extends RepramHttpError {
  constructor (code: string, message: string, url: string) { super(404, code, message, url); this.name = 'NotFoundError' }
}

/** 405: the route does not allow this method. */
export class MethodNotAllowedError extends RepramHttpError {
  constructor (code: string, message: string, url: string) { super(405, code, message, url); this.name = 'MethodNotAllowedError' }
}

/** 413: the value exceeds the node's `maxValueBytes`. */
export class PayloadTooLargeError extends RepramHttpError {
  constructor (code: string, message: string, url: string) { super(413, code, message, url); this.name = 'PayloadTooLargeError' }
}

/**
 * 429: the node rate-limits this client. Thrown once the client's 429 retries
 * are used up, or when the node asks for a longer wait than `maxRetryAfterMs`.
 */
export class RateLimitedError extends RepramHttpError {
  /** The wait the node asked for (`Retry-After`), in ms; undefined when it sent none. */
  readonly retryAfterMs: number | undefined

  constructor (code: string, message: string, url: string, retryAfterMs: number | undefined) {
    super(429, code, message, url)
    this.name = 'RateLimitedError'
    this.retryAfterMs = retryAfterMs
  }
}

/** 503: the node is shutting down or otherwise unavailable. */
export class UnavailableError extends RepramHttpError {
  constructor (code: string, message: string, url: string) { super(503, code, message, url); this.name = 'UnavailableError' }
}

/** 507: storing the record would exceed the node's capacity. */
export class CapacityError extends RepramHttpError {
  constructor (code: string, message: string, url: string) { super(507, code, message, url); this.name = 'CapacityError' }
}

/**
 * The request never got an HTTP answer: connection refused, DNS failure,
 * reset, or the client's timeout. When several URLs were tried, `cause` is the
 * last failure and `attempts` lists one line per URL.
 */
export class NetworkError extends RepramSdkError {
  /** One `"<url>: <reason>"` line per failed attempt. */
  readonly attempts: readonly string[]

  constructor (message: string, attempts: readonly string[], cause?: unknown) {
    super(message, 'network_error', { cause })
    this.name = 'NetworkError'
    this.attempts = attempts
  }
}

/** A node answered 2xx with a body or headers that break the API contract. */
export class ProtocolError extends RepramSdkError {
  constructor (message: string) { super(message, 'protocol_error'); this.name = 'ProtocolError' }
}

/** The caller passed an invalid argument (empty key, non-integer TTL, bad option). */
export class InvalidRequestError extends RepramSdkError {
  constructor (message: string) { super(message, 'invalid_request'); this.name = 'InvalidRequestError' }
}

/** Key material could not be generated, parsed, imported or exported. */
export class KeyFormatError extends RepramSdkError {
  constructor (message: string, options?: { cause?: unknown }) { super(message, 'key_format', options); this.name = 'KeyFormatError' }
}

/** Sealing failed (invalid options, or the platform's cryptography failed). */
export class EncryptionError extends RepramSdkError {
  constructor (message: string, options?: { cause?: unknown }) { super(message, 'encryption_failed', options); this.name = 'EncryptionError' }
}

/**
 * Why an envelope could not be opened.
 * - `malformed`: too short, no magic, truncated header, reserved flag bits set;
 * - `unsupported`: an unknown version, mode or KDF;
 * - `kdf_limits`: the header asks for KDF work above the caller's limits;
 * - `key_mismatch`: the supplied key is of the wrong kind for the envelope's mode;
 * - `invalid_options`: no or several kinds of key material, a malformed key, an empty passphrase or storage key;
 * - `authentication`: the tag does not verify — wrong key, passphrase or
 *   recipient, a tampered or truncated blob, a changed header, or a blob moved
 *   to another storage key (these are cryptographically indistinguishable).
 */
export type DecryptionFailureReason = 'malformed' | 'unsupported' | 'kdf_limits' | 'key_mismatch' | 'invalid_options' | 'authentication'

/**
 * An envelope could not be opened. Every failure of `open` is this error: never
 * garbage plaintext, never a raw library error (the original is in `cause`).
 */
export class DecryptionError extends RepramSdkError {
  /** The class of failure. */
  readonly reason: DecryptionFailureReason

  constructor (reason: DecryptionFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, 'decryption_failed', options)
    this.name = 'DecryptionError'
    this.reason = reason
  }
}
