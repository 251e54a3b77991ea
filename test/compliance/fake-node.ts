/**
 * A fake REPRAM node for the monitor suites: a real HTTP and WebSocket server that speaks
 * the attestation API (`/v1/health`, `/v1/status`, `/v1/attestations[/{cycle}]`,
 * `WS /v1/attestations/stream`) with a real Ed25519 peer id, closes a cycle every
 * `cycleMs`, never signs a proof of its own, and publishes whatever forged or malformed
 * attestations a test queues. A replica that never attests, or a hostile one.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { WebSocketServer, type WebSocket } from 'ws'

/** A running fake node. */
export interface FakeNode {
  url: string
  nodeId: string
  publicKey: string
  /** Attestations published (as given) in the next cycle to close. */
  inject(attestations: unknown[]): void
  /** The next `n` cycles are never closed (a suspended host): not in the ring, not streamed. */
  skip(n: number): void
  /** Cycles closed so far. */
  readonly closed: number
  close(): Promise<void>
}

interface Cycle { cycle: number, start: number, end: number, count: number, dropped: number, closed: boolean, attestations: unknown[] }

/** Starts a fake node on 127.0.0.1 (any free port). */
export async function startFakeNode (opts: { cycleMs?: number, retained?: number, enclave?: string } = {}): Promise<FakeNode> {
  const cycleMs = opts.cycleMs ?? 1000
  const retained = opts.retained ?? 10
  const key = await generateKeyPair('Ed25519')
  const nodeId = peerIdFromPrivateKey(key).toString()
  const publicKey = Buffer.from(publicKeyToProtobuf(key.publicKey)).toString('hex')
  const signer = { node_id: nodeId, public_key: publicKey, key_type: 'Ed25519', ephemeral: false }
  const startedAt = Date.now()
  const ring: Cycle[] = []
  let pending: unknown[] = []
  let closedCount = 0
  let skipping = 0
  const clients = new Set<WebSocket>()

  const cycleMsg = (c: Cycle): Record<string, unknown> => ({ ...signer, cycle: { cycle: c.cycle, start: c.start, end: c.end, count: c.count, dropped: c.dropped, closed: true }, attestations: c.attestations })
  const closeCycle = (n: number): void => {
    if (skipping > 0) { skipping--; return }
    const c: Cycle = { cycle: n, start: n * cycleMs, end: (n + 1) * cycleMs, count: pending.length, dropped: 0, closed: true, attestations: pending }
    pending = []
    ring.push(c)
    while (ring.length > retained) ring.shift()
    closedCount++
    const text = JSON.stringify({ type: 'cycle', ...cycleMsg(c) })
    for (const ws of clients) ws.send(text)
  }
  // Like a node that has run for a while: a full ring of empty closed cycles.
  const first = Math.floor(Date.now() / cycleMs)
  for (let n = first - retained; n < first; n++) ring.push({ cycle: n, start: n * cycleMs, end: (n + 1) * cycleMs, count: 0, dropped: 0, closed: true, attestations: [] })
  let next = first
  const timer = setInterval(() => {
    const open = Math.floor(Date.now() / cycleMs)
    while (next < open) closeCycle(next++)
  }, Math.max(20, Math.floor(cycleMs / 10)))

  const json = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/v1/health') return json(res, 200, { status: 'healthy', node_id: nodeId, network: 'private', enclave: opts.enclave ?? 'default' })
    if (path === '/v1/status') return json(res, 200, { node_id: nodeId, status: 'ok', enclave: opts.enclave ?? 'default', uptime_seconds: Math.floor((Date.now() - startedAt) / 1000) })
    if (path === '/v1/attestations') {
      const open = Math.floor(Date.now() / cycleMs)
      return json(res, 200, { ...signer, cycle_ms: cycleMs, retained_cycles: retained, max_per_cycle: 10_000, cycles: [...ring.map(c => ({ cycle: c.cycle, start: c.start, end: c.end, count: c.count, dropped: c.dropped, closed: true })), { cycle: open, start: open * cycleMs, end: (open + 1) * cycleMs, count: pending.length, dropped: 0, closed: false }] })
    }
    const m = /^\/v1\/attestations\/(\d+)$/.exec(path)
    if (m !== null) {
      const c = ring.find(x => x.cycle === Number(m[1]))
      return c === undefined ? json(res, 404, { error: 'not_found', message: 'not retained' }) : json(res, 200, cycleMsg(c))
    }
    json(res, 404, { error: 'not_found', message: 'no such route' })
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/v1/attestations/stream') { socket.destroy(); return }
    wss.handleUpgrade(req, socket, head, ws => {
      clients.add(ws)
      ws.on('close', () => clients.delete(ws))
      ws.on('error', () => ws.terminate())
      ws.send(JSON.stringify({ type: 'hello', ...signer, cycle_ms: cycleMs, open_cycle: Math.floor(Date.now() / cycleMs) }))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    nodeId,
    publicKey,
    inject: (atts) => { pending.push(...atts) },
    skip: (n) => { skipping += n },
    get closed () { return closedCount },
    close: async () => {
      clearInterval(timer)
      for (const ws of clients) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
