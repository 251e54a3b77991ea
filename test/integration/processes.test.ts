/**
 * Operators (issue 3): three `repram start` processes on one machine form a cluster and
 * replicate, with `--peers` on loopback, and with mDNS alone inside network namespaces
 * this test creates (a bridge and three hosts on 198.18.0.0/24; no traffic leaves them).
 * Runs the built CLI (`npm run build` first: bin/repram.js → dist/src/cli/main.js).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tempDir, stopAll, until } from './fixture.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'repram.js')

interface Proc { child: ChildProcess, url: string, p2p: string[], out: string }
const procs: Proc[] = []

afterEach(async () => {
  await Promise.all(procs.splice(0).map(async p => await stopProc(p)))
  await stopAll()
})

/** Starts `repram start` (optionally inside a namespace) and waits for its startup lines. */
async function startProc (args: string[], netns?: string): Promise<Proc> {
  const cmd = netns === undefined ? process.execPath : 'ip'
  const argv = netns === undefined ? [BIN, 'start', ...args] : ['netns', 'exec', netns, process.execPath, BIN, 'start', ...args]
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRAM_'))) })
  const p: Proc = { child, url: '', p2p: [], out: '' }
  procs.push(p)
  child.stdout?.on('data', (b: Buffer) => { p.out += b.toString() })
  child.stderr?.on('data', (b: Buffer) => { p.out += b.toString() })
  const t0 = Date.now()
  await until(() => {
    if (child.exitCode !== null) throw new Error(`repram start exited ${child.exitCode}: ${p.out}`)
    const url = /listening on (http:\/\/\S+)/.exec(p.out)?.[1]
    const p2p = [...p.out.matchAll(/^p2p (\S+)$/gm)].map(m => m[1])
    if (url === undefined || p2p.length === 0) return false
    p.url = url
    p.p2p = p2p
    if (process.env.REPRAM_TEST_TIMING !== undefined) console.log('started in', Date.now() - t0)
    return true
  }, { timeoutMs: 15_000, what: 'repram start to print its addresses' })
  return p
}

async function stopProc (p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return
  const exited = new Promise(resolve => p.child.once('exit', resolve))
  const t0 = Date.now()
  p.child.kill('SIGTERM')
  await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 8000))])
  if (p.child.exitCode === null) p.child.kill('SIGKILL')
  if (process.env.REPRAM_TEST_TIMING !== undefined) console.log('stopped in', Date.now() - t0)
}

/** HTTP from the root namespace, or from inside `netns` (curl), returning status and body. */
function http (method: string, url: string, body?: string, netns?: string): { status: number, body: string } {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method, ...(body !== undefined ? ['--data-binary', body] : []), url]
  const r = netns === undefined ? spawnSync('curl', args, { encoding: 'utf8' }) : spawnSync('ip', ['netns', 'exec', netns, 'curl', ...args], { encoding: 'utf8' })
  const lines = (r.stdout ?? '').split('\n')
  const status = Number(lines.pop())
  return { status, body: lines.join('\n') }
}

const COMMON = ['--http-port', '0', '--min-ttl', '1', '--log-level', 'warn', '--rate-limit', '0', '--ping-interval', '300ms', '--write-timeout', '2s', '--drain-timeout', '1s']

describe('repram start processes', () => {
  it('three processes form a cluster with --peers and replicate', async () => {
    const base = [...COMMON, '--http-host', '127.0.0.1', '--listen', '/ip4/127.0.0.1/tcp/0', '--mdns', 'false']
    const a = await startProc([...base, '--data-dir', tempDir()])
    expect(a.p2p[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/)
    const [b, c] = await Promise.all([1, 2].map(async () => await startProc([...base, '--data-dir', tempDir(), '--peers', a.p2p[0]])))
    await until(() => [a, b, c].every(p => (JSON.parse(http('GET', `${p.url}/v1/topology`).body) as { peers: unknown[] }).peers.length === 2), { timeoutMs: 15_000, what: 'three-node membership' })
    const put = http('PUT', `${a.url}/v1/data/ops/hello?ttl=60`, 'world')
    expect(put.status).toBe(201)
    expect(JSON.parse(put.body)).toMatchObject({ key: 'ops/hello', ttl: 60 })
    for (const p of [b, c]) await until(() => http('GET', `${p.url}/v1/data/ops/hello`).body === 'world', { what: 'the write on every process' })
    const status = JSON.parse(http('GET', `${c.url}/v1/status`).body) as Record<string, unknown>
    expect(JSON.stringify(status)).toContain(c.p2p[0])
  })
})

// ---- mDNS inside network namespaces ---------------------------------------------------

const NS = ['rpmdns-lan', 'rpmdns-h1', 'rpmdns-h2', 'rpmdns-h3']
const canNetns = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0

function sh (args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`)
}

function deleteNamespaces (): void {
  for (const ns of NS) spawnSync('ip', ['netns', 'del', ns])
}

function createLan (): string[] {
  deleteNamespaces()
  const [lan, ...hosts] = NS
  sh(['netns', 'add', lan])
  sh(['-n', lan, 'link', 'add', 'br0', 'type', 'bridge'])
  sh(['-n', lan, 'link', 'set', 'br0', 'up'])
  hosts.forEach((h, i) => {
    const n = i + 1
    sh(['netns', 'add', h])
    sh(['link', 'add', `rpv${n}`, 'type', 'veth', 'peer', 'name', `rpp${n}`])
    sh(['link', 'set', `rpv${n}`, 'netns', h])
    sh(['link', 'set', `rpp${n}`, 'netns', lan])
    sh(['-n', lan, 'link', 'set', `rpp${n}`, 'master', 'br0'])
    sh(['-n', lan, 'link', 'set', `rpp${n}`, 'up'])
    sh(['-n', h, 'addr', 'add', `198.18.0.${n}/24`, 'dev', `rpv${n}`])
    sh(['-n', h, 'link', 'set', `rpv${n}`, 'up'])
    sh(['-n', h, 'link', 'set', 'lo', 'up'])
    // Without a multicast route, joining the mDNS group fails with ENODEV.
    sh(['-n', h, 'route', 'add', '224.0.0.0/4', 'dev', `rpv${n}`])
  })
  return hosts
}

describe('repram start processes on a namespace LAN', () => {
  beforeAll(() => {
    // mDNS multicasts on every interface: it is only ever tested inside namespaces, which need root and iproute2.
    if (!canNetns) throw new Error('this test needs root and `ip netns` (iproute2): run it as root, as CI does')
  })
  afterAll(() => { deleteNamespaces() })

  it('three processes find each other by mDNS alone and replicate', async () => {
    const hosts = createLan()
    const ps = await Promise.all(hosts.map(async (h, i) => await startProc([...COMMON, '--http-host', `198.18.0.${i + 1}`, '--listen', `/ip4/198.18.0.${i + 1}/tcp/9090`, '--mdns', 'true', '--data-dir', tempDir()], h)))
    await until(() => ps.every((p, i) => {
      const t = http('GET', `${p.url}/v1/topology`, undefined, hosts[i])
      return t.status === 200 && (JSON.parse(t.body) as { peers: unknown[] }).peers.length === 2
    }), { timeoutMs: 20_000, intervalMs: 200, what: 'mDNS membership' })
    const put = http('PUT', `${ps[0].url}/v1/data/lan/key?ttl=60`, 'over-mdns', hosts[0])
    expect(put.status).toBe(201)
    await until(() => http('GET', `${ps[2].url}/v1/data/lan/key`, undefined, hosts[2]).body === 'over-mdns', { intervalMs: 100, what: 'replication over the LAN' })
  })
})
