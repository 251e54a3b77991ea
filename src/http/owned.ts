/**
 * The headers of a signed PUT to an owned key (docs/owned-keys.md): the client chose
 * createdAt and writeId, signed them with the key, the value's sha256 and the expiry
 * (createdAt + TTL), and sends them with the signature:
 *
 * | header | form |
 * |---|---|
 * | `X-Repram-Created-At` | ms since epoch, decimal |
 * | `X-Repram-Write-Id` | 1..64 printable ASCII characters |
 * | `X-Repram-Signature` | base64url, unpadded |
 * | `X-Repram-Delegation` | base64url of the SIWE message's UTF-8 (delegated session keys only) |
 * | `X-Repram-Delegation-Signature` | base64url of the owner's 65-byte personal_sign of it |
 *
 * @example
 * ```ts
 * const signed = signedPutFrom(name => req.headers[name]) // undefined when unsigned; BadRequestError when malformed
 * ```
 */
import { BadRequestError } from '../errors.js'
import type { SignedPut } from '../node/node.js'
import { fromBase64url } from '../wire/owner.js'

/** Header names, lower case. */
export const SIGNED_PUT_HEADERS = ['x-repram-created-at', 'x-repram-write-id', 'x-repram-signature', 'x-repram-delegation', 'x-repram-delegation-signature'] as const

const bytes = (v: string, name: string): Uint8Array => {
  try { return fromBase64url(v.trim()) } catch { throw new BadRequestError(`${name} is not unpadded base64url`, 'invalid_signature_header') }
}

/** The signed fields of a PUT's headers; undefined when it carries no signature. */
export function signedPutFrom (header: (name: string) => string | undefined): SignedPut | undefined {
  const sig = header('x-repram-signature')
  if (sig === undefined) return undefined
  const created = header('x-repram-created-at')
  const writeId = header('x-repram-write-id')
  if (created === undefined || writeId === undefined) throw new BadRequestError('a signed PUT carries X-Repram-Created-At and X-Repram-Write-Id, the values it signed', 'invalid_signature_header')
  if (!/^\d{1,16}$/.test(created.trim())) throw new BadRequestError('X-Repram-Created-At is ms since the epoch, in decimal', 'invalid_signature_header')
  const delegation = header('x-repram-delegation')
  const delegationSig = header('x-repram-delegation-signature')
  if ((delegation === undefined) !== (delegationSig === undefined)) throw new BadRequestError('X-Repram-Delegation and X-Repram-Delegation-Signature come together', 'invalid_signature_header')
  const proof = delegation === undefined || delegationSig === undefined
    ? { sig: bytes(sig, 'X-Repram-Signature') }
    : { sig: bytes(sig, 'X-Repram-Signature'), delegation: new TextDecoder('utf-8', { fatal: true }).decode(bytes(delegation, 'X-Repram-Delegation')), delegationSig: bytes(delegationSig, 'X-Repram-Delegation-Signature') }
  return { createdAt: Number(created.trim()), writeId: writeId.trim(), proof }
}
