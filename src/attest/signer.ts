/**
 * Who signs deletion attestations: the node's libp2p identity when it has one, else an
 * ephemeral Ed25519 identity made at start (a non-networked node: its proofs verify, but
 * the peer id lives only as long as the process).
 *
 * @example
 * import { ephemeralSigner } from './signer.js'
 * const signer = await ephemeralSigner()
 * const sig = await signer.sign(new TextEncoder().encode('hello'))
 */
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { IDENTITY_FILE } from '../net/constants.js'
import type { AttestationSigner } from '../../actors/attestor/index.js'
export type { AttestationSigner } from '../../actors/attestor/index.js'

function hex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

/**
 * A signer over a libp2p private key. Ed25519 keys sign through one cached native
 * `KeyObject` (about twice the rate of `privateKey.sign`, which rebuilds it per call);
 * other key types use `privateKey.sign`.
 */
export function signerFromPrivateKey (privateKey: PrivateKey, ephemeral = false): AttestationSigner {
  const nodeId = peerIdFromPrivateKey(privateKey).toString()
  const publicKey = hex(publicKeyToProtobuf(privateKey.publicKey))
  let native: KeyObject | undefined
  if (privateKey.type === 'Ed25519' && privateKey.raw.byteLength === 64) {
    const raw = Buffer.from(privateKey.raw)
    native = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: raw.subarray(0, 32).toString('base64url'), x: raw.subarray(32).toString('base64url') }, format: 'jwk' })
  }
  return {
    nodeId,
    publicKey,
    keyType: privateKey.type,
    ephemeral,
    sign: native !== undefined
      ? (bytes) => nodeSign(null, bytes, native)
      : (bytes) => privateKey.sign(bytes)
  }
}

/** A signer with a fresh Ed25519 identity (non-networked nodes, tests). */
export async function ephemeralSigner (): Promise<AttestationSigner> {
  return signerFromPrivateKey(await generateKeyPair('Ed25519'), true)
}

/**
 * The node's persistent identity from `<dataDir>/peer-key`, if that file exists and holds
 * the key of `expectedNodeId`. Never creates the file (the cluster layer owns it).
 */
export async function identitySigner (dataDir: string, expectedNodeId: string): Promise<AttestationSigner | undefined> {
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(await readFile(join(dataDir, IDENTITY_FILE)))
  } catch {
    return undefined
  }
  const signer = signerFromPrivateKey(key)
  return signer.nodeId === expectedNodeId ? signer : undefined
}
