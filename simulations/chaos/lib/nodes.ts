/**
 * `repram start` processes for the chaos scenarios that need more than
 * `simulations/load/lib/cli-cluster.ts` offers: a node inside a network namespace
 * (`ip netns exec`), a node with its own clock offset (the `skew-clock.mjs` preload), and
 * signals to one node (SIGKILL, SIGSTOP/SIGCONT). Each node runs in its own process group
 * (so a kill reaches everything it started), is tracked by `children.ts` (SIGKILLed when
 * the runner exits) and preloads `parent-watch.mjs` (ends itself if the runner dies).
 *
 * @example
 * const a = await startNode({ root, name: 'node1', httpHost: '127.0.0.1', listen: '/ip4/127.0.0.1/tcp/0' })
 * signalNode(a, 'SIGKILL')
 * await stopNodes([a])
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { trackProcess } from '../../load/lib/children.js'
import { getJson } from '../../load/lib/cli-cluster.js'

/** How long one `repram start` may take to print its addresses (2 busy cores). */
const START_TIMEOUT_MS = 60_000
/** Grace between SIGTERM and SIGKILL when stopping. */
const STOP_GRACE_MS = 5_000

/** One running (or killed) node. */
export interface ChaosNode {
  name: string
  url: string
  p2p: string[]
  pid: number
  child: ChildProcess
  netns?: string
  /** This node's clock minus the runner's (ms). */
  clockOffsetMs: number
  dataDir: string
}

/** Options of {@link startNode}. */
export interface StartNodeOptions {
  /** Repository root (holds `bin/repram.js` and `dist/`). */
  root: string
  name: string
  /** Run inside this network namespace. */
  netns?: string
  httpHost: string
  /** libp2p listen multiaddr. */
  listen: string
  peers?: string[]
  /** More `repram start` flags (after the defaults, so they win). */
  flags?: string[]
  /** Shift this node's clock (Date) by this much. @default 0 */
  clockOffsetMs?: number
  /** Node output goes to `<logDir>/<name>.log`. */
  logDir?: string
}

/** The flags every chaos node gets before the scenario's own. */
export const BASE_FLAGS = ['--http-port', '0', '--mdns', 'false', '--rate-limit', '0', '--min-ttl', '1', '--log-level', 'warn', '--drain-timeout', '1s']

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Starts one node and waits for its address lines. */
export async function startNode (opts: StartNodeOptions): Promise<ChaosNode> {
  const bin = join(opts.root, 'bin', 'repram.js')
  if (!existsSync(join(opts.root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (or use `npm run chaos`)')
  const watch = pathToFileURL(join(opts.root, 'simulations', 'load', 'lib', 'parent-watch.mjs')).href
  const skew = pathToFileURL(join(opts.root, 'simulations', 'chaos', 'lib', 'skew-clock.mjs')).href
  const dataDir = mkdtempSync(join(tmpdir(), 'repram-chaos-'))
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('REPRAM_')) env[k] = v
  env.REPRAM_MDNS = 'false'
  env.NODE_OPTIONS = ''
  const offset = opts.clockOffsetMs ?? 0
  const nodeArgs = ['--import', watch]
  if (offset !== 0) { nodeArgs.push('--import', skew); env.CHAOS_CLOCK_OFFSET_MS = String(offset) }
  const args = [...nodeArgs, bin, 'start', ...BASE_FLAGS, '--http-host', opts.httpHost, '--listen', opts.listen, '--data-dir', dataDir,
    ...((opts.peers ?? []).length > 0 ? ['--peers', (opts.peers ?? []).join(',')] : []), ...(opts.flags ?? [])]
  // `ip netns exec` execs the command in place (no fork), so the pid is the node's.
  const child = opts.netns === undefined
    ? spawn(process.execPath, args, { cwd: opts.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...args], { cwd: opts.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  trackProcess(child)
  let out = ''
  const file = opts.logDir !== undefined ? createWriteStream(join(opts.logDir, `${opts.name}.log`), { flags: 'a' }) : undefined
  const onData = (b: Buffer): void => { if (out.length < 100_000) out += b.toString(); file?.write(b) }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  child.once('exit', () => file?.end())
  const t0 = Date.now()
  const node = { name: opts.name, pid: child.pid ?? -1, child, netns: opts.netns, clockOffsetMs: offset, dataDir }
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${opts.name} exited (${String(child.exitCode ?? child.signalCode)}): ${out.trim().slice(-2000)}`)
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      const p2p = [...out.matchAll(/^p2p (\S+)$/gm)].map(m => m[1])
      if (url !== undefined && p2p.length > 0) return { ...node, url, p2p }
      if (Date.now() - t0 > START_TIMEOUT_MS) throw new Error(`${opts.name} did not print its addresses within ${START_TIMEOUT_MS} ms: ${out.trim().slice(-2000)}`)
      await sleep(50)
    }
  } catch (err) {
    killGroup(node.pid, 'SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
}

/** Sends `sig` to the node's whole process group. Never throws. */
export function killGroup (pid: number, sig: NodeJS.Signals): void {
  if (pid <= 0) return
  try { process.kill(-pid, sig) } catch { try { process.kill(pid, sig) } catch { /* gone */ } }
}

/** Sends a signal to one node (SIGKILL, SIGSTOP, SIGCONT). */
export function signalNode (n: { pid: number }, sig: NodeJS.Signals): void { killGroup(n.pid, sig) }

/** True while the node's process has not exited. */
export const isRunning = (n: ChaosNode): boolean => n.child.exitCode === null && n.child.signalCode === null

/** SIGCONT (a stopped node cannot drain), SIGTERM, SIGKILL after a grace; removes data dirs. Safe to call twice. */
export async function stopNodes (nodes: ChaosNode[]): Promise<void> {
  await Promise.all(nodes.map(async n => {
    if (isRunning(n)) {
      const exited = new Promise(resolve => n.child.once('exit', resolve))
      killGroup(n.pid, 'SIGCONT')
      killGroup(n.pid, 'SIGTERM')
      const timer = setTimeout(() => killGroup(n.pid, 'SIGKILL'), STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
    }
    // Whatever else the group started.
    killGroup(n.pid, 'SIGKILL')
    rmSync(n.dataDir, { recursive: true, force: true })
  }))
}

/** Waits until every node lists all the others in `/v1/topology` (with `healthy`, as healthy); returns the ms waited. */
export async function waitMembership (urls: string[], timeoutMs: number, healthy = false): Promise<number> {
  const t0 = Date.now()
  const peers = urls.length - 1
  for (;;) {
    const counts = await Promise.all(urls.map(async u => await getJson<{ peers: Array<{ healthy?: boolean }> }>(`${u}/v1/topology`).then(t => t.peers.filter(p => !healthy || p.healthy === true).length, () => -1)))
    if (counts.every(c => c === peers)) return Date.now() - t0
    if (Date.now() - t0 > timeoutMs) throw new Error(`no full membership within ${timeoutMs} ms (peers seen: ${counts.join(', ')})`)
    await sleep(200)
  }
}
