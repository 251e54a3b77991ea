/**
 * `WS /v1/attestations/stream` over a real socket: a hello on connect, then each cycle as
 * it closes (the ManualClock closes cycles, so nothing sleeps).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { keyHashOf, verifyAttestation, type AttestationStreamMessage } from '../../src/sdk/index.js'
import { until } from '../helpers/until.js'
import { flagged, startNode, stopNodes } from './helpers.js'

const servers: RepramHttpServer[] = []
const sockets: WebSocket[] = []

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate()
  await Promise.all(servers.splice(0).map(async s => { await s.close() }))
  await stopNodes()
})

/** Opens a stream client that records every message. */
async function connect (url: string): Promise<{ ws: WebSocket, messages: AttestationStreamMessage[] }> {
  const ws = new WebSocket(url)
  sockets.push(ws)
  const messages: AttestationStreamMessage[] = []
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as AttestationStreamMessage))
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  await until(() => messages.length > 0, { what: 'hello' })
  return { ws, messages }
}

describe('the attestation stream', () => {
  it('delivers each cycle when it closes, with signatures and the signer', async () => {
    const { node, clock } = await startNode()
    const server = await startHttpServer(node)
    servers.push(server)
    const wsUrl = server.url.replace('http', 'ws') + '/v1/attestations/stream'
    const all = await connect(wsUrl)
    const one = await connect(`${wsUrl}?key_hash=${keyHashOf('b')}`)
    const cycle = Math.floor(clock.now() / 60_000)
    expect(all.messages[0]).toMatchObject({ type: 'hello', node_id: node.attestations.signer!.nodeId, public_key: node.attestations.signer!.publicKey, cycle_ms: 60_000, open_cycle: cycle })

    const put = await node.put('a', flagged(), { ttl: 1 })
    await node.put('b', flagged(), { ttl: 1 })
    clock.advance(1000)
    await until(async () => (await node.attestations.list()).cycles.at(-1)!.count === 2)
    expect(all.messages).toHaveLength(1) // nothing until the cycle closes

    clock.advance(60_000)
    const msg = await until(() => all.messages.find(m => m.type === 'cycle'), { what: 'a closed cycle' })
    if (msg.type !== 'cycle') throw new Error('unreachable')
    expect(msg.cycle).toMatchObject({ cycle, count: 2, closed: true })
    expect(msg.node_id).toBe(node.attestations.signer!.nodeId)
    expect(msg.attestations.map(a => a.writeId)).toContain(put.writeId)
    for (const a of msg.attestations) expect(await verifyAttestation(a, { nodeId: msg.node_id })).toMatchObject({ valid: true })
    const filtered = await until(() => one.messages.find(m => m.type === 'cycle'))
    if (filtered.type !== 'cycle') throw new Error('unreachable')
    expect(filtered.attestations.map(a => a.keyHash)).toEqual([keyHashOf('b')])

    // The next (empty) cycle closes too.
    clock.advance(60_000)
    await until(() => all.messages.filter(m => m.type === 'cycle').length === 2)
    expect(all.messages.at(-1)).toMatchObject({ type: 'cycle', cycle: { cycle: cycle + 1, count: 0 }, attestations: [] })
  })

  it('refuses bad upgrades and closes clients on shutdown', async () => {
    const { node } = await startNode()
    const server = await startHttpServer(node)
    servers.push(server)
    const base = server.url.replace('http', 'ws')
    for (const [path, status] of [['/v1/attestations/stream?key_hash=zz', 400], ['/v1/elsewhere', 404]] as const) {
      const ws = new WebSocket(base + path)
      ws.on('error', () => {}) // the refused handshake surfaces as an error too
      sockets.push(ws)
      const code = await new Promise<number>((resolve) => { ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)); ws.once('open', () => resolve(101)) })
      expect(code, path).toBe(status)
    }
    const { ws } = await connect(base + '/v1/attestations/stream')
    expect(node.attestations.subscribers).toBe(1)
    const closed = new Promise<number>(resolve => ws.once('close', (code) => resolve(code)))
    await server.close()
    expect(await closed).toBe(1001)
    await until(() => node.attestations.subscribers === 0, { what: 'unsubscribed' })
  })
})
