/**
 * Private clusters: the `@libp2p/pnet` pre-shared key is derived from
 * `REPRAM_CLUSTER_SECRET`, so every node given the same secret gets the same key and a
 * node without it cannot complete a connection.
 */
import { createHash } from 'node:crypto'
import { PSK_DOMAIN } from './constants.js'

/** The PSK file contents (`/key/swarm/psk/1.0.0/`, base16, 32 bytes) for a secret. */
export function pskFromSecret (secret: string): Uint8Array {
  const hex = createHash('sha256').update(PSK_DOMAIN).update(secret, 'utf8').digest('hex')
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`)
}
