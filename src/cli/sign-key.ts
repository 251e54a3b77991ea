/**
 * Signing keys for owned keys on the command line (docs/owned-keys.md): the file
 * `repram keygen --sign` writes, and the signature headers `repram put --sign-key FILE`
 * sends. A file is JSON, mode 0600:
 *
 * ```json
 * {"type":"repram-signing-key","algorithm":"ed25519","namespace":"~ed25519:<pub>/","publicKey":"<base64url>","secretKey":"<base64url>"}
 * ```
 *
 * `"algorithm":"secp256k1"` with `"secretKey"` (hex, 32 bytes) signs as an Ethereum
 * address with personal_sign (a local key instead of a wallet).
 *
 * @example
 * ```sh
 * repram keygen --sign --out me.key      # prints the namespace: ~ed25519:…/
 * repram put '~ed25519:…/status' online --ttl 600 --sign-key me.key
 * ```
 */
import { readFile } from 'node:fs/promises'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { DEFAULT_SIGNED_TTL } from '../sdk/client.js'
import { ed25519Signer, generateSigningKey, signWrite, type WriteSigner } from '../sdk/owned.js'
import { addressOfPublicKey, fromHex, personalSign } from '../wire/eth.js'
import { base64url, ethNamespace, fromBase64url } from '../wire/owner.js'
import { newWriteId } from '../record.js'
import { CliError, EXIT } from './errors.js'

/** What `repram keygen --sign` writes. */
export interface SigningKeyFile {
  type: 'repram-signing-key'
  algorithm: 'ed25519' | 'secp256k1'
  /** The owned namespace, `~ed25519:<public key>/` or `~eth:0x<address>/`: keys under it are this key's. */
  namespace: string
  publicKey?: string
  /** base64url (Ed25519) or hex (secp256k1): keep it secret. */
  secretKey: string
}

/** A new Ed25519 signing key file. */
export function newSigningKeyFile (): SigningKeyFile {
  const k = generateSigningKey()
  return { type: 'repram-signing-key', algorithm: 'ed25519', namespace: k.namespace, publicKey: base64url(k.publicKey), secretKey: base64url(k.secretKey) }
}

/** The signer of a signing key file; a one-line CliError when it cannot be read or is not one. */
export async function readSigningKeyFile (path: string): Promise<WriteSigner> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(`cannot read signing key ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`, EXIT.usage)
  }
  const bad = (why: string): CliError => new CliError(`${path} is not a signing key (repram keygen --sign): ${why}`, EXIT.usage)
  let f: Partial<SigningKeyFile>
  try { f = JSON.parse(text) } catch { throw bad('not JSON') }
  if (f === null || typeof f !== 'object' || f.type !== 'repram-signing-key' || typeof f.secretKey !== 'string') throw bad('no "type":"repram-signing-key" and "secretKey"')
  if (f.algorithm === 'ed25519') {
    let secret: Uint8Array
    try { secret = fromBase64url(f.secretKey) } catch { throw bad('secretKey is not base64url') }
    if (secret.byteLength !== 32) throw bad('an Ed25519 secretKey is 32 bytes')
    const signer = ed25519Signer(secret)
    if (f.namespace !== undefined && f.namespace !== signer.namespace) throw bad('its namespace does not match its key')
    return signer
  }
  if (f.algorithm === 'secp256k1') {
    let secret: Uint8Array
    try { secret = fromHex(f.secretKey) } catch { throw bad('secretKey is not hex') }
    if (secret.byteLength !== 32 || !secp256k1.utils.isValidSecretKey(secret)) throw bad('a secp256k1 secretKey is 32 bytes in the curve\'s range')
    const namespace = ethNamespace(addressOfPublicKey(secp256k1.getPublicKey(secret, false)))
    if (f.namespace !== undefined && f.namespace !== namespace) throw bad('its namespace does not match its key')
    return { namespace, sign: async (bytes) => ({ sig: personalSign(bytes, secret) }) }
  }
  throw bad('algorithm is neither ed25519 nor secp256k1')
}

/**
 * The headers of a signed PUT of `value` under `key` (`--sign-key`), and the TTL it
 * signed (`ttl`, default 3600: the node's default cannot be known before signing).
 */
export async function signForCli (path: string, key: string, value: Uint8Array, ttl: string | undefined, now = Date.now()): Promise<{ headers: Record<string, string>, ttl: string }> {
  const seconds = ttl === undefined ? DEFAULT_SIGNED_TTL : Number(ttl)
  if (!/^\d{1,9}$/.test(ttl ?? '1') || !Number.isSafeInteger(seconds) || seconds <= 0) throw new CliError('--ttl must be a whole number of seconds with --sign-key (the node cannot clamp a signed TTL)', EXIT.usage)
  const signer = await readSigningKeyFile(path)
  if (!key.startsWith(signer.namespace)) throw new CliError(`--sign-key signs keys under ${signer.namespace} only`, EXIT.usage)
  const { headers } = await signWrite({ key, createdAt: now, expiresAt: now + seconds * 1000, writeId: newWriteId() }, value, signer)
  return { headers, ttl: String(seconds) }
}
