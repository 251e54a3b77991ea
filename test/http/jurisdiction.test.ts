/**
 * `X-Jurisdiction` over HTTP (issue 19 §3), black-box through `app.request()` plus one real
 * socket (the direct data path): a write names where it may live, a node outside those
 * jurisdictions stores nothing and says where to go (421) or that nobody may store it
 * (422), a malformed list is a 400, GET and HEAD return the set, browsers may send and
 * read the header, and the SDK client moves on to its next node on a 421.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import { createHttpApp } from '../../src/http/app.js'
import { startHttpServer } from '../../src/http/server.js'
import type { RepramNode, Replicator } from '../../src/node/index.js'
import type { RepramConfigInput } from '../../src/config.js'
import { RepramClient, ed25519Signer, generateSigningKey, type FetchLike } from '../../src/sdk/index.js'

const nodes: RepramNode[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

/** A local node; `members` stands for how many healthy members the cluster layer knows in a set. */
async function start (config: RepramConfigInput, members?: number): Promise<{ node: RepramNode, req: (path: string, init?: RequestInit) => Promise<Response> }> {
  const replicator: Replicator | undefined = members === undefined
    ? undefined
    : { async start () {}, async replicate () { return { replicas: 1, quorum: true } }, info: () => ({ nodeId: 'fake', addresses: [], peers: members }), topology: () => [], jurisdictionMembers: () => members, async stop () {} }
  const node = await createRepramNode({ config: { profile: 'test', ...config }, replicator })
  nodes.push(node)
  const { app } = createHttpApp(node)
  return { node, req: async (path, init) => await app.request(path, init) }
}

describe('X-Jurisdiction', () => {
  it('stores a write for this node\'s jurisdiction and returns its set on PUT, GET and HEAD', async () => {
    const { req } = await start({ jurisdiction: 'eu' })
    const put = await req('/v1/data/app/a?ttl=60', { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': 'EU, ch' } })
    expect(put.status).toBe(201)
    expect(put.headers.get('x-jurisdiction')).toBe('ch,eu')
    expect(await put.json()).toMatchObject({ key: 'app/a', jurisdictions: ['ch', 'eu'] })
    for (const method of ['GET', 'HEAD']) {
      const r = await req('/v1/data/app/a', { method })
      expect(r.status).toBe(200)
      expect(r.headers.get('x-jurisdiction')).toBe('ch,eu')
    }
    // Unrestricted records carry no such header.
    await req('/v1/data/app/b?ttl=60', { method: 'PUT', body: 'v' })
    expect((await req('/v1/data/app/b')).headers.get('x-jurisdiction')).toBeNull()
  })

  it('answers 422 no_jurisdiction_member when neither this node nor any member is in the set, 421 not_in_jurisdiction when members are; stores nothing', async () => {
    const alone = await start({ jurisdiction: 'eu' })
    const r422 = await alone.req('/v1/data/app/x?ttl=60', { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': 'ap' } })
    expect(r422.status).toBe(422)
    expect(await r422.json()).toMatchObject({ error: 'no_jurisdiction_member' })
    const none = await start({})
    expect((await none.req('/v1/data/app/x?ttl=60', { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': 'eu' } })).status).toBe(422)
    const outside = await start({ jurisdiction: 'us' }, 2)
    const r421 = await outside.req('/v1/data/app/x?ttl=60', { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': 'eu' } })
    expect(r421.status).toBe(421)
    const body = await r421.json() as { error: string, message: string }
    expect(body.error).toBe('not_in_jurisdiction')
    expect(body.message).toContain('send it to a node in eu')
    for (const n of [alone, none, outside]) expect((await n.node.keys()).keys).toEqual([])
    expect(await outside.node.registry.getSingleMetric('repram_jurisdiction_refused_total')?.get()).toMatchObject({ values: [{ labels: { path: 'http' }, value: 1 }] })
  })

  it.each(['', ' ', 'e', 'eu;us', 'eu,,us', 'éu', 'x'.repeat(17), 'a1,a2,a3,a4,a5,a6,a7,a8,a9'])('answers 400 invalid_jurisdiction to %j and stores nothing', async (value) => {
    const { node, req } = await start({ jurisdiction: 'eu' })
    const r = await req('/v1/data/app/x?ttl=60', { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': value } })
    expect(r.status).toBe(400)
    expect(await r.json()).toMatchObject({ error: 'invalid_jurisdiction' })
    expect((await node.keys()).keys).toEqual([])
  })

  it('lets browsers send it and read it (CORS)', async () => {
    const { req } = await start({ jurisdiction: 'eu' })
    const pre = await req('/v1/data/app/a', { method: 'OPTIONS', headers: { Origin: 'http://x', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-jurisdiction' } })
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-jurisdiction')
    const get = await req('/v1/health')
    expect(get.headers.get('access-control-expose-headers')).toContain('X-Jurisdiction')
  })

  it('shows the node\'s jurisdiction in status (null when it declares none)', async () => {
    expect(await (await (await start({ jurisdiction: 'eu' })).req('/v1/status')).json()).toMatchObject({ jurisdiction: 'eu' })
    expect(await (await (await start({})).req('/v1/status')).json()).toMatchObject({ jurisdiction: null })
  })

  it('works the same on a real socket (the direct data path)', async () => {
    const { node } = await start({ jurisdiction: 'eu' })
    const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
    try {
      const put = await fetch(`${server.url}/v1/data/app/s?ttl=60`, { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': 'eu' } })
      expect(put.status).toBe(201)
      expect(put.headers.get('x-jurisdiction')).toBe('eu')
      expect((await fetch(`${server.url}/v1/data/app/s`)).headers.get('x-jurisdiction')).toBe('eu')
      const bad = await fetch(`${server.url}/v1/data/app/t?ttl=60`, { method: 'PUT', body: 'v', headers: { 'X-Jurisdiction': 'ap' } })
      expect(bad.status).toBe(422)
      expect(await bad.json()).toMatchObject({ error: 'no_jurisdiction_member' })
    } finally {
      await server.close()
    }
  })
})

describe('RepramClient with jurisdictions', () => {
  it('sends the set, moves on to its next node on a 421, and reads the set back', async () => {
    const us = await start({ jurisdiction: 'us' }, 1)
    const eu = await start({ jurisdiction: 'eu' })
    const apps: Record<string, (path: string, init?: RequestInit) => Promise<Response>> = { us: us.req, eu: eu.req }
    const fetch: FetchLike = async (input, init) => {
      const u = new URL(input)
      return await apps[u.host](u.pathname + u.search, init as RequestInit)
    }
    const client = new RepramClient(['http://us', 'http://eu'], { fetch })
    const put = await client.put('app/k', 'hello', { ttl: 60, jurisdictions: ['EU'] })
    expect(put).toMatchObject({ status: 201, jurisdictions: ['eu'] })
    expect(await us.node.get('app/k', { local: true })).toBeUndefined()
    expect((await client.get('app/k'))?.jurisdictions).toEqual(['eu'])
    await expect(client.put('app/k', 'x', { jurisdictions: 'e u' })).rejects.toMatchObject({ name: 'InvalidRequestError' })
  })

  it('restricts an owned key\'s signed write too (the set is the node\'s to apply, not part of the owner\'s signature)', async () => {
    const eu = await start({ jurisdiction: 'eu' })
    const fetch: FetchLike = async (input, init) => { const u = new URL(input); return await eu.req(u.pathname + u.search, init as RequestInit) }
    const client = new RepramClient('http://eu', { fetch })
    const { secretKey, namespace } = generateSigningKey()
    expect(await client.put(`${namespace}status`, 'online', { ttl: 600, signer: ed25519Signer(secretKey), jurisdictions: ['eu'] })).toMatchObject({ status: 201, jurisdictions: ['eu'] })
    expect((await eu.node.get(`${namespace}status`))?.jurisdictions).toEqual(['eu'])
    await expect(client.put(`${namespace}other`, 'x', { ttl: 600, signer: ed25519Signer(secretKey), jurisdictions: ['ap'] })).rejects.toMatchObject({ status: 422 })
  })
})
