/**
 * UPnP port mapping (issue 17, `--upnp true`, opt-in) against a fake Internet Gateway
 * Device (test/helpers/fake-igd.ts), in network namespaces this test creates and removes
 * (root and iproute2): SSDP multicast never touches the host's interfaces.
 *
 * ```
 *  gw  192.168.77.1 (bridge "lan")   fake IGD: SSDP on :1900, description and SOAP on :5000,
 *   │                                 external address 198.20.77.1
 *   ├─ on   192.168.77.11  repram start --upnp true                  (listen :9090)
 *   ├─ off  192.168.77.12  repram start (upnp off, the default)      (listen :9090)
 *   └─ pub  192.168.77.13  repram start --profile public --upnp true (listen :9091)
 * ```
 * 198.20.77.1 is public to libp2p (not in its private list, as in nat.test.ts) and is
 * assigned nowhere: the IGD only says it. No namespace routes anywhere but the /24 (the
 * hosts' default route is the gateway, which has no route out and does not forward;
 * checked below), and both
 * ends of every veth are created inside the test's namespaces.
 *
 * Proven: a node with `--upnp true` finds the gateway by SSDP (M-SEARCH for IGD:2), asks
 * it for its external address and a TCP mapping of its listen port to its LAN address
 * (AddAnyPortMapping), announces the mapped address (`/v1/status` `listen_addresses`, the
 * CLI's `p2p` line source) when AutoNAT is off, keeps it unverified (reachability
 * `unknown`, not announced) when AutoNAT is on (the public profile) until a peer dials it
 * back, and deletes the mapping when it stops (DeletePortMapping). A node without `--upnp`
 * sends the gateway nothing (checked over the same window in which the others mapped).
 * Runs the built CLI (`npm run build` first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stopAll, tempDir, until } from './fixture.js'
import type { IgdEvent } from '../helpers/fake-igd.js'
import { Namespaces, run } from '../helpers/netns.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'repram.js')
const IGD = join(ROOT, 'test', 'helpers', 'fake-igd.ts')
const ID = randomBytes(2).toString('hex')
const ns = (name: string): string => `rpu${ID}${name}`
const canNetns = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0
const spaces = new Namespaces(ns)
const LAN = '192.168.77'
const EXTERNAL = '198.20.77.1'


const addNs = (name: string): string => spaces.add(name)

function buildNetwork (): void {
  const gw = addNs('gw')
  run('ip', ['-n', gw, 'link', 'add', 'lan', 'type', 'bridge'])
  run('ip', ['-n', gw, 'addr', 'add', `${LAN}.1/24`, 'dev', 'lan'])
  run('ip', ['-n', gw, 'link', 'set', 'lan', 'up'])
  for (const [name, h] of [['on', 11], ['off', 12], ['pub', 13]] as const) {
    const host = addNs(name)
    run('ip', ['link', 'add', 'eth0', 'netns', host, 'type', 'veth', 'peer', 'name', `rpu${ID}${name}`, 'netns', gw])
    run('ip', ['-n', host, 'addr', 'add', `${LAN}.${h}/24`, 'dev', 'eth0'])
    run('ip', ['-n', host, 'link', 'set', 'eth0', 'up'])
    run('ip', ['-n', gw, 'link', 'set', `rpu${ID}${name}`, 'master', 'lan'])
    run('ip', ['-n', gw, 'link', 'set', `rpu${ID}${name}`, 'up'])
    // The route multicast (M-SEARCH to 239.255.255.250) leaves by; the gateway routes nowhere.
    run('ip', ['-n', host, 'route', 'add', 'default', 'via', `${LAN}.1`])
  }
}

const deleteNetwork = (): void => spaces.deleteAll()

const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRAM_') && k !== 'DEBUG'))

interface Proc { child: ChildProcess, ns: string, url: string, out: string }
const procs: Proc[] = []

function spawnIn (nsName: string, args: string[], url = ''): Proc {
  const child = spawn('ip', ['netns', 'exec', nsName, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(), cwd: ROOT })
  const p: Proc = { child, ns: nsName, url, out: '' }
  procs.push(p)
  child.stdout?.on('data', (b: Buffer) => { p.out += b.toString() })
  child.stderr?.on('data', (b: Buffer) => { p.out += b.toString() })
  return p
}

async function startNode (name: string, h: number, port: number, args: string[]): Promise<Proc> {
  const ip = `${LAN}.${h}`
  const p = spawnIn(ns(name), [BIN, 'start', '--listen', `/ip4/${ip}/tcp/${port}`, '--http-host', ip, '--http-port', '8080', '--data-dir', tempDir(), '--log-level', 'warn', '--drain-timeout', '1s', ...args], `http://${ip}:8080`)
  await until(() => {
    if (p.child.exitCode !== null) throw new Error(`repram start in ${name} exited ${p.child.exitCode}: ${p.out}`)
    return /listening on http/.test(p.out)
  }, { timeoutMs: 15_000, what: `repram start in ${name}` })
  return p
}

async function stopProc (p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const exited = new Promise(resolve => p.child.once('exit', resolve))
  p.child.kill('SIGTERM')
  await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000))])
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
}

interface Status { listen_addresses: string[], public_network?: { reachability: string } }
function status (p: Proc): Status {
  const r = spawnSync('ip', ['netns', 'exec', p.ns, 'curl', '-sf', '-m', '5', `${p.url}/v1/status`], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`status of ${p.url}: curl exited ${r.status}`)
  return JSON.parse(r.stdout) as Status
}

let igd: Proc
const igdEvents = (): IgdEvent[] => igd.out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as IgdEvent)
const soapFrom = (client: string, action: string): Array<Record<string, string>> =>
  igdEvents().flatMap(e => e.event === 'soap' && e.action === action && (e.args.NewInternalClient === client || client === '*') ? [e.args] : [])

describe('UPnP (--upnp true) against a fake Internet Gateway Device', () => {
  beforeAll(async () => {
    if (!canNetns) throw new Error('this test needs root and `ip netns` (iproute2): run it as root, as CI does (test/system-deps.sh installs them)')
    const rootRoutes = run('ip', ['route', 'show', 'table', 'all'])
    buildNetwork()
    // Only this test's ranges: other tests may build their own namespaces meanwhile.
    const before = new Set(rootRoutes.split('\n'))
    expect(run('ip', ['route', 'show', 'table', 'all']).split('\n').filter(l => !before.has(l) && (l.includes('192.168.77.') || l.includes('198.20.77.')))).toEqual([])
    // By name: the bare ID could also match a number in the listing (mtu 1500, qlen 1000).
    expect(run('ip', ['-o', 'link', 'show']).split('\n').map(l => l.split(': ')[1]?.split('@')[0] ?? '').filter(n => n.startsWith(`rpu${ID}`))).toEqual([])
    // The hosts' default route ends at the gateway, which routes nowhere and forwards nothing.
    expect(spawnSync('ip', ['-n', ns('gw'), 'route', 'get', '8.8.8.8']).status).not.toBe(0)
    expect(run('ip', ['netns', 'exec', ns('gw'), 'sysctl', '-n', 'net.ipv4.ip_forward']).trim()).toBe('0')
    igd = spawnIn(ns('gw'), ['--import', 'tsx', IGD, `${LAN}.1`, EXTERNAL, '5000'])
    await until(() => {
      if (igd.child.exitCode !== null) throw new Error(`fake IGD exited ${igd.child.exitCode}: ${igd.out}`)
      return igdEvents().some(e => e.event === 'ready')
    }, { timeoutMs: 10_000, what: 'the fake IGD' })
  })
  afterAll(async () => {
    await Promise.all(procs.splice(0).map(async p => await stopProc(p)))
    deleteNetwork()
    await stopAll()
  })

  it('maps the listen port, announces the external address, deletes the mapping on stop; a node without --upnp sends nothing', async () => {
    const [on, off, pub] = await Promise.all([
      startNode('on', 11, 9090, ['--upnp', 'true']),
      startNode('off', 12, 9090, []),
      startNode('pub', 13, 9091, ['--profile', 'public', '--upnp', 'true'])
    ])
    const onAddr = `/ip4/${EXTERNAL}/tcp/9090`
    // Discovery by SSDP: an M-SEARCH for an IGD:2 from the opted-in nodes.
    await until(() => igdEvents().some(e => e.event === 'm-search' && e.from.startsWith(`${LAN}.11:`) && e.st.endsWith('InternetGatewayDevice:2')), { timeoutMs: 5000, what: 'an M-SEARCH from the --upnp node' })
    // upnp-nat maps 5 s (its debounce) after the gateway is found.
    const [onMap] = await until(() => { const m = soapFrom(`${LAN}.11`, 'AddAnyPortMapping'); return m.length > 0 && m }, { timeoutMs: 12_000, what: 'AddAnyPortMapping from the --upnp node' })
    expect(onMap).toMatchObject({ NewProtocol: 'TCP', NewInternalClient: `${LAN}.11`, NewInternalPort: '9090', NewExternalPort: '9090', NewEnabled: '1' })
    expect(onMap.NewPortMappingDescription).toMatch(/12D3KooW/)
    expect(igdEvents().some(e => e.event === 'soap' && e.action === 'GetExternalIPAddress')).toBe(true)
    // AutoNAT off: the mapped address is confirmed at once and announced.
    const announced = await until(() => { const s = status(on); return s.listen_addresses.some(a => a.startsWith(`${onAddr}/p2p/`)) && s.listen_addresses }, { timeoutMs: 5000, what: `${onAddr} in listen_addresses` })
    expect(announced.some(a => a.startsWith(`/ip4/${LAN}.11/tcp/9090/`))).toBe(true)

    // The public profile (AutoNAT on): mapped too, but unverified until a peer dials it back.
    const [pubMap] = await until(() => { const m = soapFrom(`${LAN}.13`, 'AddAnyPortMapping'); return m.length > 0 && m }, { timeoutMs: 12_000, what: 'AddAnyPortMapping from the public-profile node' })
    expect(pubMap).toMatchObject({ NewProtocol: 'TCP', NewInternalPort: '9091', NewExternalPort: '9091' })
    const pubStatus = await until(() => { const s = status(pub); return s.public_network?.reachability === 'unknown' && s }, { timeoutMs: 5000, what: 'reachability unknown on the public-profile node' })
    expect(pubStatus.listen_addresses.some(a => a.includes(EXTERNAL))).toBe(false)

    // Over the same window, the node without --upnp asked the gateway nothing and searched for none.
    expect(igdEvents().filter(e => e.event === 'm-search' && e.from.startsWith(`${LAN}.12:`))).toEqual([])
    expect(soapFrom(`${LAN}.12`, 'AddAnyPortMapping')).toEqual([])
    expect(status(off).listen_addresses.some(a => a.includes(EXTERNAL))).toBe(false)

    // Stopping deletes the mapping (nat-port-mapper names the external port by the *internal* one).
    await stopProc(on)
    expect(on.child.exitCode).toBe(0)
    const deletes = soapFrom('*', 'DeletePortMapping')
    expect(deletes).toEqual([{ NewRemoteHost: '', NewExternalPort: '9090', NewProtocol: '' }])
    await stopProc(pub)
    expect(soapFrom('*', 'DeletePortMapping').map(d => d.NewExternalPort).sort()).toEqual(['9090', '9091'])
    await stopProc(off)
    expect(igdEvents().filter(e => e.event === 'm-search' && e.from.startsWith(`${LAN}.12:`))).toEqual([])
  })
})
