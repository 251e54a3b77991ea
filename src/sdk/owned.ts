/**
 * Signers for owned keys (docs/owned-keys.md): a write under `~ed25519:<public key>/…` or
 * `~eth:0x<address>/…` is stored only with its owner's signature. A {@link WriteSigner}
 * signs the write's bytes (`writeSigningBytes`, src/wire/owner.ts) and
 * `RepramClient.put(key, value, { signer })` sends the proof in headers. Signers:
 * - {@link ed25519Signer}: an Ed25519 key (`generateSigningKey`, or `repram keygen --sign`);
 * - {@link eip1193Signer}: a wallet (EIP-1193 provider), one `personal_sign` per write;
 * - {@link signInWithEthereum}: one wallet prompt, a Sign-In with Ethereum message that
 *   delegates a key prefix and a time window to a fresh Ed25519 session key, which then
 *   signs every write with no further prompt.
 * Browser-safe: WebCrypto for randomness, `@noble/*` for the rest.
 *
 * @example
 * ```ts
 * import { RepramClient, signInWithEthereum } from 'repram/sdk'
 * const signer = await signInWithEthereum(window.ethereum, { domain: location.host, uri: location.origin, prefix: 'chat/', expiresInSeconds: 3600 })
 * await new RepramClient('https://node.example').put(`${signer.namespace}chat/hello`, 'hi', { signer, ttl: 600 })
 * ```
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { OwnerProof } from '../record.js'
import { fromHex, hex, recoverPersonalSign } from '../wire/eth.js'
import { base64url, ed25519Namespace, ethNamespace, PREFIX_RESOURCE, SESSION_RESOURCE, verifyDelegation, writeSigningBytes, type SignedWriteFields } from '../wire/owner.js'
import { serializeSiwe, toChecksumAddress, type SiweMessage } from '../wire/siwe.js'
import { InvalidRequestError, RepramSdkError } from './errors.js'

export type { OwnerProof } from '../record.js'

/** Signs owned writes for one namespace. */
export interface WriteSigner {
  /** The owner's namespace, with its `/`: keys this signer may write start with it. */
  readonly namespace: string
  /** For a delegated session key: the key prefix it may write (namespace included). */
  readonly prefix?: string
  /** For a delegated session key: writes must expire by this (ms since epoch); `put` shortens the TTL to fit. */
  readonly notAfter?: number
  /** Signs the bytes of one write (`writeSigningBytes`). */
  sign: (bytes: Uint8Array) => Promise<OwnerProof>
}

/** A wallet as EIP-1193 defines it (`window.ethereum`). */
export interface Eip1193Provider {
  request: (args: { method: string, params?: unknown[] }) => Promise<unknown>
}

/** The wallet refused or failed to sign, or answered something that is not the signature asked for. */
export class SignerError extends RepramSdkError {
  constructor (message: string, options?: { cause?: unknown }) { super(message, 'signer_error', options); this.name = 'SignerError' }
}

/** A new Ed25519 signing key: 32-byte secret and public keys and the namespace it owns. */
export function generateSigningKey (): { secretKey: Uint8Array, publicKey: Uint8Array, namespace: string } {
  const secretKey = crypto.getRandomValues(new Uint8Array(32))
  const publicKey = ed25519.getPublicKey(secretKey)
  return { secretKey, publicKey, namespace: ed25519Namespace(publicKey) }
}

/** A signer for the `~ed25519:` namespace of a 32-byte Ed25519 secret key. */
export function ed25519Signer (secretKey: Uint8Array): WriteSigner {
  if (!(secretKey instanceof Uint8Array) || secretKey.byteLength !== 32) throw new InvalidRequestError('an Ed25519 secret key is 32 bytes')
  const key = secretKey.slice()
  const namespace = ed25519Namespace(ed25519.getPublicKey(key))
  return { namespace, sign: async (bytes) => ({ sig: ed25519.sign(bytes, key) }) }
}

const utf8 = new TextEncoder()

/** `personal_sign` through the provider, checked: the signature must recover to `address`. */
async function personalSign (provider: Eip1193Provider, message: Uint8Array, address: string): Promise<Uint8Array> {
  let answer: unknown
  try {
    answer = await provider.request({ method: 'personal_sign', params: ['0x' + hex(message), address] })
  } catch (err) {
    throw new SignerError(`the wallet did not sign: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  if (typeof answer !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(answer)) throw new SignerError('the wallet answered personal_sign with something other than a 65-byte signature')
  const sig = fromHex(answer)
  if (recoverPersonalSign(message, sig) !== address.toLowerCase()) throw new SignerError('the wallet\'s signature is not by the chosen address')
  return sig
}

/** The wallet's account: `address` when given (it must be one of the wallet's), else its first. */
async function accountOf (provider: Eip1193Provider, address?: string): Promise<string> {
  let accounts: unknown
  try {
    accounts = await provider.request({ method: 'eth_requestAccounts' })
  } catch (err) {
    throw new SignerError(`the wallet gave no account: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  if (!Array.isArray(accounts) || accounts.length === 0 || !accounts.every(a => typeof a === 'string' && /^0x[0-9a-fA-F]{40}$/.test(a))) throw new SignerError('the wallet gave no account')
  const list = (accounts as string[]).map(a => a.toLowerCase())
  const chosen = address === undefined ? list[0] : address.toLowerCase()
  if (!list.includes(chosen)) throw new SignerError('the address is not one of the wallet\'s accounts')
  return chosen
}

/** A signer for `~eth:<address>/` that asks the wallet to `personal_sign` every write. */
export async function eip1193Signer (provider: Eip1193Provider, options: { address?: string } = {}): Promise<WriteSigner> {
  const address = await accountOf(provider, options.address)
  return { namespace: ethNamespace(address), sign: async (bytes) => ({ sig: await personalSign(provider, bytes, address) }) }
}

/** Options of {@link signInWithEthereum}. */
export interface SignInOptions {
  /** The RFC 3986 authority asking (a wallet checks it against the page's origin): `location.host`. */
  domain: string
  /** The RFC 3986 URI the sign-in is about: `location.origin`. */
  uri: string
  /** Scheme of the origin when not https (EIP-4361 `scheme`). */
  scheme?: string
  /** Key prefix inside the namespace the session key may write (`chat/` → `~eth:0x…/chat/…`). @default '' (the whole namespace) */
  prefix?: string
  /** Window length from now, seconds. @default 3600 */
  expiresInSeconds?: number
  /** EIP-155 chain id. @default the wallet's (`eth_chainId`), else 1 */
  chainId?: number
  /** Human-readable line shown by the wallet. @default a sentence naming REPRAM, the prefix's scope and the window */
  statement?: string
  /** The address to sign in with. @default the wallet's first account */
  address?: string
  /** ms since epoch. @default Date.now() */
  now?: number
}

/** A delegated signer: also carries the SIWE message the wallet signed. */
export interface SessionSigner extends WriteSigner {
  readonly prefix: string
  readonly notAfter: number
  /** The signed Sign-In with Ethereum message. */
  readonly message: string
}

/**
 * Signs in with Ethereum once and returns a signer whose fresh Ed25519 session key signs
 * each write, under `prefix` and until the window ends (docs/owned-keys.md "Delegation").
 */
export async function signInWithEthereum (provider: Eip1193Provider, options: SignInOptions): Promise<SessionSigner> {
  const address = await accountOf(provider, options.address)
  let chainId = options.chainId
  if (chainId === undefined) {
    try {
      const id = await provider.request({ method: 'eth_chainId' })
      chainId = typeof id === 'string' && /^0x[0-9a-fA-F]+$/.test(id) ? Number.parseInt(id, 16) : 1
    } catch { chainId = 1 }
  }
  const now = options.now ?? Date.now()
  const seconds = options.expiresInSeconds ?? 3600
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new InvalidRequestError('expiresInSeconds is a positive integer')
  const session = crypto.getRandomValues(new Uint8Array(32))
  const sessionPublic = ed25519.getPublicKey(session)
  const prefix = options.prefix ?? ''
  const iso = (ms: number): string => new Date(ms).toISOString()
  const nonce = hex(crypto.getRandomValues(new Uint8Array(8)))
  const m: SiweMessage = {
    domain: options.domain,
    address: toChecksumAddress(address),
    statement: options.statement ?? `Allow a session key to write REPRAM owned keys under ${prefix === '' ? 'your whole namespace' : 'one prefix of your namespace'} for ${seconds} seconds.`,
    uri: options.uri,
    version: '1',
    chainId,
    nonce,
    issuedAt: iso(now),
    expirationTime: iso(now + seconds * 1000),
    resources: [SESSION_RESOURCE + base64url(sessionPublic), PREFIX_RESOURCE + encodeURIComponent(prefix)]
  }
  if (options.scheme !== undefined) m.scheme = options.scheme
  let message: string
  try { message = serializeSiwe(m) } catch (err) { throw new InvalidRequestError(`cannot build the sign-in message: ${(err as Error).message}`) }
  const delegationSig = await personalSign(provider, utf8.encode(message), address)
  const d = verifyDelegation(message, delegationSig)
  if (typeof d === 'string') throw new SignerError(d)
  return {
    namespace: ethNamespace(address),
    prefix: d.prefix,
    notAfter: d.notAfter,
    message,
    sign: async (bytes) => ({ sig: ed25519.sign(bytes, session), delegation: message, delegationSig })
  }
}

/** The proof and headers of one owned write (what `RepramClient.put` sends with `{ signer }`). */
export async function signWrite (fields: SignedWriteFields, value: Uint8Array, signer: WriteSigner): Promise<{ proof: OwnerProof, headers: Record<string, string> }> {
  if (!fields.key.startsWith(signer.prefix ?? signer.namespace)) throw new InvalidRequestError(`this signer writes keys under ${signer.prefix ?? signer.namespace} only`)
  const proof = await signer.sign(writeSigningBytes(fields, sha256(value)))
  const headers: Record<string, string> = {
    'X-Repram-Created-At': String(fields.createdAt),
    'X-Repram-Write-Id': fields.writeId,
    'X-Repram-Signature': base64url(proof.sig)
  }
  if (proof.delegation !== undefined && proof.delegationSig !== undefined) {
    headers['X-Repram-Delegation'] = base64url(utf8.encode(proof.delegation))
    headers['X-Repram-Delegation-Signature'] = base64url(proof.delegationSig)
  }
  return { proof, headers }
}
