/**
 * Owned keys on a 3-node cluster (issue 20; docs/owned-keys.md), real libp2p nodes on
 * 127.0.0.1 with their HTTP servers: an owner's write reaches every node with its proof;
 * a stranger's overwrite is refused on every path (HTTP on each node; direct replication,
 * gossip and an anti-entropy push from an outsider peer, which pays for it in reputation);
 * a Sign-In with Ethereum session key writes until its window ends, then is refused. The
 * nodes share a clock that the test moves (wall time plus an offset), so no test sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Clock } from '../../src/clock.js'
import { profileDefaults, validateConfig } from '../../src/config.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { REPLICATE_PROTOCOL, SYNC_PROTOCOL } from '../../src/net/constants.js'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { topicFor } from '../../src/net/topic.js'
import { SYNC_BUCKETS } from '../../actors/anti-entropy/digest.js'
import { GossipMessage, ReplicateRequest, ReplicateResponse, SyncRequest, SyncResponse, WriteResult, type Write } from '../../src/wire/pb/repram.js'
import { fromHex, hex, personalSign } from '../../src/wire/eth.js'
import { base64url, writeSigningBytes } from '../../src/wire/owner.js'
import { ed25519Signer, eip1193Signer, signInWithEthereum, type Eip1193Provider, type WriteSigner } from '../../src/sdk/owned.js'
import { RepramClient } from '../../src/sdk/client.js'
import { createCluster, createNode, dec, enc, listenAddr, metric, stopAll, until, type TestNode } from './fixture.js'

/** Wall time plus an offset the test moves: the nodes' timers stay real. */
let offset = 0
const clock: Clock = {
  now: () => Date.now() + offset,
  setTimeout: (fn, ms) => { const t = setTimeout(fn, Math.max(0, ms)); t.unref(); return t },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
}

/** An EIP-1193 provider backed by a fixed secp256k1 key, as a wallet answers. */
function testWallet (privateKey: Uint8Array, address: string): Eip1193Provider {
  return {
    request: async ({ method, params }) => {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [address]
      if (method === 'eth_chainId') return '0x1'
      if (method === 'personal_sign') return '0x' + hex(personalSign(fromHex((params as string[])[0]), privateKey))
      throw new Error(`unsupported ${method}`)
    }
  }
}

const OWNER = new Uint8Array(32).fill(0x11)
const STRANGER = new Uint8Array(32).fill(0x22)
// Hardhat/Anvil account 0 (a published test key).
const ETH_KEY = fromHex('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const ETH_ADDRESS = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

let nodes: TestNode[] = []
let servers: RepramHttpServer[] = []
let outsider: RepramLibp2p | undefined
const owner = ed25519Signer(OWNER)
const key = `${owner.namespace}app/profile`

/** The value every node holds under `k`. */
async function values (k: string): Promise<Array<string | undefined>> {
  return await Promise.all(nodes.map(async t => dec((await t.node.get(k, { local: true }))?.value)))
}

/** A wire write of `k`, signed by `secret` (undefined: unsigned). */
function forged (k: string, value: string, secret: Uint8Array | undefined, createdAt = clock.now(), ttlMs = 60_000): Write {
  const w = { key: k, createdAt, expiresAt: createdAt + ttlMs, writeId: `forged-${Math.random().toString(36).slice(2)}` }
  const v = enc(value)
  const owned = secret === undefined ? undefined : { sig: ed25519.sign(writeSigningBytes(w, sha256(v)), secret) as Uint8Array<ArrayBuffer> }
  return { ...w, value: v as Uint8Array<ArrayBuffer>, origin: new Uint8Array(0), owner: owned }
}

beforeAll(async () => {
  const config = { replication: 3, maxClockSkewMs: 30_000, signedWriteSkewMs: 30_000 }
  const seed = await createNode('tcp', config, { clock })
  const rest = await Promise.all([1, 2].map(async () => await createNode('tcp', { ...config, peers: seed.addrs }, { clock })))
  nodes = [seed, ...rest]
  await until(() => nodes.every(t => t.node.topology().length === 2), { timeoutMs: 10_000, what: '3 nodes to see each other' })
  servers = await Promise.all(nodes.map(async t => await startHttpServer(t.node, { port: 0, host: '127.0.0.1' })))
}, 30_000)

afterAll(async () => {
  await outsider?.stop()
  await Promise.all(servers.map(async s => { await s.close() }))
  await stopAll()
})

describe('owned keys on a 3-node cluster', () => {
  it('stores an owner\'s write (Ed25519, HTTP PUT through the SDK) on every node, with its proof', async () => {
    const res = await new RepramClient(servers[0].url).put(key, 'v1', { signer: owner, ttl: 120, createdAt: clock.now() })
    expect(res.status).toBe(201)
    expect(res.replicas).toBeGreaterThanOrEqual(2)
    await until(async () => (await values(key)).every(v => v === 'v1'), { what: 'the owned write on every node' })
    // The proof is stored with the record on the replicas, so they can pass it on (anti-entropy, read-through).
    for (const t of nodes.slice(1)) {
      const rec = await (t.replicator as any).state.store.lookup(key)
      expect(rec.owner.sig.byteLength).toBe(64)
    }
  })

  it('stores an Ethereum owner\'s personal_sign write (an EIP-1193 wallet) on every node', async () => {
    const wallet = await eip1193Signer(testWallet(ETH_KEY, ETH_ADDRESS))
    expect(wallet.namespace).toBe(`~eth:${ETH_ADDRESS}/`)
    const res = await new RepramClient(servers[1].url).put(`${wallet.namespace}direct`, 'from a wallet', { signer: wallet, ttl: 120, createdAt: clock.now() })
    expect(res.status).toBe(201)
    await until(async () => (await values(`${wallet.namespace}direct`)).every(v => v === 'from a wallet'), { what: 'the eth write on every node' })
  })

  it('hands the owned record, proof included, to a node that joins later (anti-entropy)', async () => {
    const late = await createNode('tcp', { replication: 3, peers: nodes[0].addrs }, { clock })
    try {
      await until(async () => dec((await late.node.get(key, { local: true }))?.value) === 'v1', { timeoutMs: 10_000, what: 'anti-entropy to bring the owned record' })
      const rec = await (late.replicator as any).state.store.lookup(key)
      expect(rec.owner.sig.byteLength).toBe(64)
    } finally {
      await late.node.stop()
    }
  })

  it('reads an owned record through from a peer with its proof, and refuses (and penalises) a peer\'s forged one', async () => {
    const [a, b] = await createCluster(2, { transport: 'memory', config: { readThroughPeers: 1, syncIntervalMs: 0 } })
    try {
      await until(async () => await metric(a.node, 'repram_sync_rounds_total') >= 1 && await metric(b.node, 'repram_sync_rounds_total') >= 1, { what: 'join rounds' })
      const now = Date.now()
      // Planted on b alone (merge bypasses the checks a peer's write gets): one signed, one forged.
      const good = forged(`${owner.namespace}rt/good`, 'signed', OWNER, now)
      const bad = forged(`${owner.namespace}rt/bad`, 'forged', STRANGER, now)
      for (const w of [good, bad]) await b.node.merge({ key: w.key, value: w.value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId, owner: w.owner })
      expect(dec((await a.node.get(good.key))?.value)).toBe('signed')
      expect((await a.node.get(good.key, { local: true }))?.owner?.sig.byteLength).toBe(64)
      const before = await metric(a.node, 'repram_peer_penalties_total', { reason: 'invalid_write' })
      expect(await a.node.get(bad.key)).toBeUndefined()
      expect(await a.node.get(bad.key, { local: true })).toBeUndefined()
      expect(await metric(a.node, 'repram_peer_penalties_total', { reason: 'invalid_write' })).toBe(before + 1)
    } finally {
      await a.node.stop()
      await b.node.stop()
    }
  })

  it('refuses a stranger\'s overwrite over HTTP on every node with 403 {error, message}, and changes nothing', async () => {
    const stranger = ed25519Signer(STRANGER)
    for (const s of servers) {
      const createdAt = clock.now()
      const unsigned = await fetch(`${s.url}/v1/data/${encodeURIComponent(key)}?ttl=60`, { method: 'PUT', body: 'evil' })
      expect(unsigned.status).toBe(403)
      expect(await unsigned.json()).toMatchObject({ error: 'unsigned', message: expect.stringMatching(/owner/) })
      // Signed by a stranger (the SDK refuses to send it: its key is not the owner's; sent by hand here).
      const w = { key, createdAt, expiresAt: createdAt + 60_000, writeId: 'stranger-1' }
      const sig = (await stranger.sign(writeSigningBytes(w, sha256(enc('evil'))))).sig
      const headers = { 'X-Repram-Created-At': String(createdAt), 'X-Repram-Write-Id': 'stranger-1', 'X-Repram-Signature': base64url(sig) }
      const signed = await fetch(`${s.url}/v1/data/${encodeURIComponent(key)}?ttl=60`, { method: 'PUT', body: 'evil', headers })
      expect(signed.status).toBe(403)
      expect(await signed.json()).toMatchObject({ error: 'bad_signature', message: expect.any(String) })
      // The owner's signature moved onto another value.
      const ownerSig = (await owner.sign(writeSigningBytes(w, sha256(enc('good'))))).sig
      const moved = await fetch(`${s.url}/v1/data/${encodeURIComponent(key)}?ttl=60`, { method: 'PUT', body: 'evil', headers: { ...headers, 'X-Repram-Signature': base64url(ownerSig) } })
      expect(moved.status).toBe(403)
      // A client clock beyond the allowance is told so.
      const skewed = await fetch(`${s.url}/v1/data/${encodeURIComponent(key)}?ttl=60`, { method: 'PUT', body: 'evil', headers: { ...headers, 'X-Repram-Created-At': String(createdAt + 31_000) } })
      expect(skewed.status).toBe(400)
      expect((await skewed.json()).error).toBe('clock_skew')
    }
    expect(await values(key)).toEqual(['v1', 'v1', 'v1'])
  })

  it('refuses a forged write from an outsider peer on direct replication, gossip and an anti-entropy push, and penalises the outsider', async () => {
    const target = nodes[1]
    const config = validateConfig({ ...profileDefaults('test'), listen: [listenAddr('tcp')] })
    outsider = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
    const topic = topicFor(config.network, config.enclave)
    await outsider.dial(target.node.networkInfo().addresses.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
    await until(() => outsider?.services.pubsub.getSubscribers(topic).some(p => p.toString() === target.node.nodeId), { what: 'the target subscription' })
    const peer = peerIdFromString(target.node.nodeId)
    const penalties = async (): Promise<number> => await metric(target.node, 'repram_peer_penalties_total', { reason: 'invalid_write' })
    const before = await penalties()

    // Direct replication: unsigned and stranger-signed, both newer than the owner's write.
    const rs = await outsider.dialProtocol(peer, REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const rlp = lpStream(rs)
    await rlp.write(ReplicateRequest.encode({ id: 1, network: 'private', enclave: 'default', writes: [forged(key, 'evil', undefined), forged(key, 'evil', STRANGER)] }))
    expect(ReplicateResponse.decode(await rlp.read())).toMatchObject({ id: 1, results: [WriteResult.INVALID, WriteResult.INVALID] })
    await rs.close()

    // Anti-entropy push.
    const ss = await outsider.dialProtocol(peer, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const slp = lpStream(ss)
    await slp.write(SyncRequest.encode({ network: 'private', enclave: 'default', buckets: SYNC_BUCKETS, groups: [], entries: [], records: [], fetch: [], push: [forged(key, 'evil', STRANGER)] }))
    expect(SyncResponse.decode(await slp.read()).results).toEqual([WriteResult.INVALID])
    await ss.close()
    await until(async () => await penalties() >= before + 2, { what: 'invalid_write penalties for the replicate frame and the push' })

    // Gossip: the forged write is rejected; the owner's own newer write, relayed by the same outsider, is taken.
    const rejectsBefore = await metric(target.node, 'repram_gossip_messages_total', { direction: 'in', result: 'reject' })
    expect((await outsider.services.pubsub.publish(topic, GossipMessage.encode({ network: 'private', enclave: 'default', writes: [forged(key, 'evil', STRANGER)] }))).recipients.length).toBe(1)
    expect((await outsider.services.pubsub.publish(topic, GossipMessage.encode({ network: 'private', enclave: 'default', writes: [forged(key, 'v2', OWNER)] }))).recipients.length).toBe(1)
    await until(async () => dec((await target.node.get(key, { local: true }))?.value) === 'v2', { what: 'the owner\'s relayed write' })
    expect(await metric(target.node, 'repram_gossip_messages_total', { direction: 'in', result: 'reject' })).toBe(rejectsBefore + 1)
    expect(await metric(target.node, 'repram_peer_penalties_total', { reason: 'invalid_gossip' })).toBeGreaterThanOrEqual(1)
    expect(target.replicator.libp2p?.services.pubsub.getScore(outsider.peerId.toString()) ?? 0).toBeLessThan(0)
    // Nothing of the forgeries anywhere: every node holds the owner's writes only.
    for (const t of nodes) expect(['v1', 'v2']).toContain(dec((await t.node.get(key, { local: true }))?.value))
  })

  it('lets a Sign-In with Ethereum session key write under its prefix until its window ends, then refuses it everywhere', async () => {
    const wallet = testWallet(ETH_KEY, ETH_ADDRESS)
    const session = await signInWithEthereum(wallet, { domain: 'app.example', uri: 'https://app.example', prefix: 'chat/', expiresInSeconds: 20, now: clock.now() })
    const start = clock.now()
    expect(session.prefix).toBe(`~eth:${ETH_ADDRESS}/chat/`)
    const client = new RepramClient(servers[2].url)
    // Inside the window: stored on every node (TTL shortened to end with the window).
    const first = await client.put(`${session.prefix}1`, 'hello', { signer: session, ttl: 600, createdAt: clock.now() })
    expect(first.status).toBe(201)
    expect(first.expiresAt).toBeLessThanOrEqual(session.notAfter)
    await until(async () => (await values(`${session.prefix}1`)).every(v => v === 'hello'), { what: 'the session write on every node' })
    // Outside its prefix: refused by the node (the SDK would refuse first; its check is lifted here).
    const anyPrefix: WriteSigner = { namespace: session.namespace, sign: session.sign }
    await expect(client.put(`${session.namespace}other`, 'x', { signer: anyPrefix, ttl: 5, createdAt: clock.now() })).rejects.toMatchObject({ status: 403, code: 'bad_delegation' })

    // The window ends.
    offset += 25_000
    await expect(client.put(`${session.prefix}2`, 'late', { signer: session, ttl: 5, createdAt: clock.now() })).rejects.toThrow(/delegation has ended/)
    const noEnd: WriteSigner = { namespace: session.namespace, prefix: session.prefix, sign: session.sign }
    for (const s of servers) {
      await expect(new RepramClient(s.url).put(`${session.prefix}2`, 'late', { signer: noEnd, ttl: 5, createdAt: clock.now() })).rejects.toMatchObject({ status: 403, code: 'bad_delegation' })
    }
    // A peer replicating a session write made inside the window but outliving it: refused too.
    const w = { key: `${session.prefix}3`, createdAt: start + 1000, expiresAt: clock.now() + 60_000, writeId: 'late-peer' }
    const proof = await session.sign(writeSigningBytes(w, sha256(enc('late'))))
    const rs = await outsider!.dialProtocol(peerIdFromString(nodes[1].node.nodeId), REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const rlp = lpStream(rs)
    await rlp.write(ReplicateRequest.encode({ id: 7, network: 'private', enclave: 'default', writes: [{ ...w, value: enc('late') as Uint8Array<ArrayBuffer>, origin: new Uint8Array(0), owner: proof as Write['owner'] }] }))
    expect(ReplicateResponse.decode(await rlp.read()).results).toEqual([WriteResult.INVALID])
    await rs.close()
    expect(await values(`${session.prefix}2`)).toEqual([undefined, undefined, undefined])
    expect(await values(`${session.prefix}3`)).toEqual([undefined, undefined, undefined])
  })
})
