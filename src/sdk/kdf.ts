/**
 * Passphrase key derivation for the envelope's passphrase mode: Argon2id
 * (RFC 9106, the default) or scrypt (RFC 7914), both from `@noble/hashes`,
 * with the parameters carried in the envelope header and bounded on open.
 *
 * @example
 * ```ts
 * import { DEFAULT_ARGON2ID_PARAMS, seal } from 'repram/sdk'
 * // default: Argon2id, 19 MiB, 2 passes (about 250–300 ms on 2 shared cores)
 * const blob = await seal('secret', { storageKey: 'k', passphrase: 'correct horse' })
 * ```
 */
import { argon2idAsync } from '@noble/hashes/argon2.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'

/** Argon2id parameters (RFC 9106, version 0x13, output 32 bytes). */
export interface Argon2idParams {
  /** Discriminant. */
  readonly algorithm: 'argon2id'
  /** Memory in KiB (`m`), 8·parallelism .. 2^32-1 on the wire. */
  readonly memoryKiB: number
  /** Passes over memory (`t`), 1..255 on the wire. */
  readonly iterations: number
  /** Lanes (`p`), 1..255 on the wire. */
  readonly parallelism: number
}

/** scrypt parameters (RFC 7914, output 32 bytes). */
export interface ScryptParams {
  /** Discriminant. */
  readonly algorithm: 'scrypt'
  /** log2 of the CPU/memory cost `N`, 1..63 on the wire. */
  readonly log2N: number
  /** Block size `r`, 1..255 on the wire. */
  readonly r: number
  /** Parallelisation `p`, 1..255 on the wire. */
  readonly p: number
}

/** Parameters of a passphrase KDF as stored in an envelope header. */
export type KdfParams = Argon2idParams | ScryptParams

/**
 * Default passphrase KDF: Argon2id, m = 19 MiB, t = 2, p = 1 (the first
 * OWASP recommendation). Measured with `@noble/hashes` on the project's 2-core
 * machine (Node 20, shared with other work): about 250–300 ms per derivation,
 * well above the 50 ms floor this project holds itself to. See
 * docs/encryption.md for the figures.
 */
export const DEFAULT_ARGON2ID_PARAMS: Argon2idParams = Object.freeze({
  algorithm: 'argon2id',
  memoryKiB: 19456,
  iterations: 2,
  parallelism: 1
})

/**
 * Default parameters when scrypt is chosen: N = 2^15, r = 8, p = 1 (32 MiB);
 * about 240 ms per derivation on the same machine.
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({
  algorithm: 'scrypt',
  log2N: 15,
  r: 8,
  p: 1
})

/**
 * Upper bounds that `open` enforces on the KDF parameters of a header before
 * doing any work, so a hostile header cannot make a reader spend gigabytes or
 * minutes. Raise them only for records you know were written with heavier
 * parameters.
 */
export interface KdfLimits {
  /** Argon2id: largest `m` in KiB. @default 262144 (256 MiB) */
  readonly argon2idMaxMemoryKiB: number
  /** Argon2id: largest `m · t · p` (KiB processed). @default 1048576 (≈ 27× the default cost) */
  readonly argon2idMaxWork: number
  /** Argon2id: largest `p`. @default 4 */
  readonly argon2idMaxParallelism: number
  /** scrypt: largest memory `128 · N · r` in bytes. @default 268435456 (256 MiB) */
  readonly scryptMaxMemoryBytes: number
  /** scrypt: largest `N · r · p`. @default 4194304 (16× the default scrypt cost) */
  readonly scryptMaxWork: number
}

/** The {@link KdfLimits} used when the caller gives none. */
export const DEFAULT_KDF_LIMITS: KdfLimits = Object.freeze({
  argon2idMaxMemoryKiB: 262144,
  argon2idMaxWork: 1048576,
  argon2idMaxParallelism: 4,
  scryptMaxMemoryBytes: 256 * 1024 * 1024,
  scryptMaxWork: 4194304
})

/** Wire id of Argon2id in the passphrase-mode header. */
export const KDF_ID_ARGON2ID = 0x01
/** Wire id of scrypt in the passphrase-mode header. */
export const KDF_ID_SCRYPT = 0x02

/**
 * Why a set of KDF parameters is not acceptable, or undefined when it is.
 * Checks both wire ranges and the library's own preconditions, so that a
 * writer fails early and a reader never hands nonsense to the KDF.
 */
export function kdfParamsProblem (params: KdfParams): string | undefined {
  const isU8 = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 255
  switch (params.algorithm) {
    case 'argon2id':
      if (!isU8(params.iterations)) return 'argon2id iterations must be an integer in 1..255'
      if (!isU8(params.parallelism)) return 'argon2id parallelism must be an integer in 1..255'
      if (!Number.isInteger(params.memoryKiB) || params.memoryKiB < 8 * params.parallelism || params.memoryKiB > 0xffffffff) {
        return 'argon2id memoryKiB must be an integer ≥ 8 × parallelism'
      }
      return undefined
    case 'scrypt':
      if (!Number.isInteger(params.log2N) || params.log2N < 1 || params.log2N > 63) return 'scrypt log2N must be an integer in 1..63'
      if (!isU8(params.r)) return 'scrypt r must be an integer in 1..255'
      if (!isU8(params.p)) return 'scrypt p must be an integer in 1..255'
      return undefined
    default:
      return 'unknown KDF algorithm'
  }
}

/**
 * Why `params` exceed `limits`, or undefined when they are within them.
 */
export function kdfLimitsProblem (params: KdfParams, limits: KdfLimits): string | undefined {
  switch (params.algorithm) {
    case 'argon2id': {
      if (params.memoryKiB > limits.argon2idMaxMemoryKiB) return `argon2id memory ${params.memoryKiB} KiB exceeds the limit of ${limits.argon2idMaxMemoryKiB} KiB`
      if (params.parallelism > limits.argon2idMaxParallelism) return `argon2id parallelism ${params.parallelism} exceeds the limit of ${limits.argon2idMaxParallelism}`
      const work = params.memoryKiB * params.iterations * params.parallelism
      if (work > limits.argon2idMaxWork) return `argon2id work m·t·p = ${work} exceeds the limit of ${limits.argon2idMaxWork}`
      return undefined
    }
    case 'scrypt': {
      const n = 2 ** params.log2N
      const memory = 128 * n * params.r
      if (memory > limits.scryptMaxMemoryBytes) return `scrypt memory ${memory} bytes exceeds the limit of ${limits.scryptMaxMemoryBytes} bytes`
      const work = n * params.r * params.p
      if (work > limits.scryptMaxWork) return `scrypt work N·r·p = ${work} exceeds the limit of ${limits.scryptMaxWork}`
      return undefined
    }
  }
}

/**
 * Derive the 32-byte AES-256-GCM key of a passphrase envelope.
 *
 * @param passphrase - UTF-8 bytes of the passphrase (strings are NFC-normalised by the caller)
 * @param salt - the record's 16-byte salt
 * @param params - the KDF and its parameters (already validated)
 */
export async function deriveKeyFromPassphrase (passphrase: Uint8Array, salt: Uint8Array, params: KdfParams): Promise<Uint8Array> {
  switch (params.algorithm) {
    case 'argon2id':
      return await argon2idAsync(passphrase, salt, {
        t: params.iterations,
        m: params.memoryKiB,
        p: params.parallelism,
        dkLen: 32,
        // noble's own default cap is 1 GiB; ours is enforced before we get here
        maxmem: Math.min(params.memoryKiB * 1024 + 4096 * params.parallelism + 1024 * 1024, 0xffffffff)
      })
    case 'scrypt':
      return await scryptAsync(passphrase, salt, {
        N: 2 ** params.log2N,
        r: params.r,
        p: params.p,
        dkLen: 32,
        maxmem: 128 * (2 ** params.log2N) * params.r + 128 * params.r * params.p + 1024 * 1024
      })
  }
}
