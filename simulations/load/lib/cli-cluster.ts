/**
 * A cluster of real `repram start` processes (the built CLI, `bin/repram.js`) on
 * 127.0.0.1, for load scenarios: node 1 starts alone, the others bootstrap from it with
 * `--peers`, and the cluster is ready once every node lists all the others in
 * `/v1/topology`. Each node gets its own temporary data dir, mDNS off, no rate limit,
 * and HTTP and libp2p on port 0. Every process is tracked by `children.ts` (killed when
 * the runner exits) and preloads `parent-watch.mjs` (exits if the runner dies).
 *
 * Also here: checked loopback URLs for `--urls`, and per-node resource sampling (RSS and
 * CPU from `/proc/<pid>` when the pid is known, else `memory.rss` from `/v1/status`).
 *
 * @example
 * const cluster = await startCliCluster({ size: 3, root, logDir: '/tmp/logs' })
 * console.log(cluster.urls) // ['http://127.0.0.1:41234', …]
 * await cluster.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { trackProcess } from './children.js'

/** How long one `repram start` may take to print its addresses (2 busy cores, 7 nodes at once). */
const START_TIMEOUT_MS = 60_000
/** How long the cluster may take to reach full membership. */
const MEMBERSHIP_TIMEOUT_MS = 60_000
/** Grace between SIGTERM and SIGKILL when stopping (drain is set to 1 s). */
const STOP_GRACE_MS = 6_000
/** Bound on every control-plane HTTP call (topology, status). */
const CONTROL_TIMEOUT_MS = 3_000

/** One node of a {@link CliCluster}, or one given by URL (no pid). */
export interface TargetNode {
  /** `node1`, `node2`, … */
  name: string
  url: string
  /** Present when this runner started the process. */
  pid?: number
}

/** A running local cluster. */
export interface CliCluster {
  nodes: TargetNode[]
  urls: string[]
  /** SIGTERM, then SIGKILL after a grace period; removes the data dirs. Safe to call twice. */
  stop(): Promise<void>
}

/** Options of {@link startCliCluster}. */
export interface CliClusterOptions {
  size: number
  /** Repository root (holds `bin/repram.js` and the built `dist/`). */
  root: string
  /** Extra `repram start` flags for every node (after the defaults, so they win). */
  extraArgs?: string[]
  /** Capacity per node. @default 2048 */
  maxStorageMb?: number
  /** Node.js options for each node process, before the script (e.g. `--heapsnapshot-signal=SIGUSR2`). */
  nodeArgs?: string[]
  /** Each node's stdout/stderr goes to `<logDir>/<logPrefix>nodeN.log` when set. */
  logDir?: string
  logPrefix?: string
  signal?: AbortSignal
  log?: (msg: string) => void
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** GET `url` as JSON with a timeout. */
export async function getJson<T> (url: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return await res.json() as T
}

/** Parses `--urls`: only http on loopback (127.0.0.0/8, ::1, localhost) is allowed. */
export function parseLoopbackUrls (list: string[]): TargetNode[] {
  return list.map((raw, i) => {
    let u: URL
    try { u = new URL(raw) } catch { throw new Error(`--urls: "${raw}" is not a URL`) }
    const host = u.hostname.replace(/^\[|\]$/g, '')
    if (u.protocol !== 'http:') throw new Error(`--urls: "${raw}" must be http://`)
    if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) throw new Error(`--urls: "${raw}" is not a loopback address (only 127.0.0.0/8, ::1 and localhost are allowed)`)
    return { name: `node${i + 1}`, url: u.origin }
  })
}

interface Proc { child: ChildProcess, out: string, url?: string, p2p: string[], dataDir: string }

/** Starts `size` `repram start` processes and waits for full membership. */
export async function startCliCluster (opts: CliClusterOptions): Promise<CliCluster> {
  const bin = join(opts.root, 'bin', 'repram.js')
  if (!existsSync(join(opts.root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (or use `npm run load`)')
  const watch = pathToFileURL(join(opts.root, 'simulations', 'load', 'lib', 'parent-watch.mjs')).href
  const procs: Proc[] = []
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('REPRAM_')) env[k] = v
  env.REPRAM_MDNS = 'false'
  env.NODE_OPTIONS = ''

  const launch = (i: number, peers: string[]): Proc => {
    const dataDir = mkdtempSync(join(tmpdir(), 'repram-load-'))
    const args = [
      '--http-host', '127.0.0.1', '--http-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--mdns', 'false',
      '--rate-limit', '0', '--min-ttl', '1', '--log-level', 'warn', '--drain-timeout', '1s',
      '--max-storage-mb', String(opts.maxStorageMb ?? 2048), '--data-dir', dataDir,
      ...(peers.length > 0 ? ['--peers', peers.join(',')] : []),
      ...(opts.extraArgs ?? [])
    ]
    // Heap room for the capacity (values up to 16 KiB live on the V8 heap), as the node's own warning advises.
    const heap = `--max-old-space-size=${(opts.maxStorageMb ?? 2048) + 1024}`
    const child = spawn(process.execPath, [heap, ...(opts.nodeArgs ?? []), '--import', watch, bin, 'start', ...args], { cwd: opts.root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    trackProcess(child)
    const p: Proc = { child, out: '', p2p: [], dataDir }
    const file = opts.logDir !== undefined ? createWriteStream(join(opts.logDir, `${opts.logPrefix ?? ''}node${i + 1}.log`), { flags: 'a' }) : undefined
    const onData = (b: Buffer): void => {
      if (p.url === undefined) p.out += b.toString()
      file?.write(b)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', () => file?.end())
    procs.push(p)
    return p
  }

  const ready = async (p: Proc, i: number): Promise<void> => {
    const t0 = Date.now()
    for (;;) {
      if (opts.signal?.aborted === true) throw new Error('aborted')
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`node${i + 1} exited (${String(p.child.exitCode ?? p.child.signalCode)}): ${p.out.trim().slice(-2000)}`)
      const url = /listening on (http:\/\/\S+)/.exec(p.out)?.[1]
      const p2p = [...p.out.matchAll(/^p2p (\S+)$/gm)].map(m => m[1])
      if (url !== undefined && p2p.length > 0) { p.url = url; p.p2p = p2p; p.out = ''; return }
      if (Date.now() - t0 > START_TIMEOUT_MS) throw new Error(`node${i + 1} did not print its addresses within ${START_TIMEOUT_MS} ms: ${p.out.trim().slice(-2000)}`)
      await sleep(50)
    }
  }

  let stopped: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(procs.map(async p => {
        const c = p.child
        if (c.exitCode === null && c.signalCode === null) {
          const exited = new Promise(resolve => c.once('exit', resolve))
          c.kill('SIGTERM')
          const timer = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS)
          await exited
          clearTimeout(timer)
        }
        rmSync(p.dataDir, { recursive: true, force: true })
      }))
    })()
    await stopped
  }

  try {
    const t0 = Date.now()
    const seed = launch(0, [])
    await ready(seed, 0)
    const rest = Array.from({ length: opts.size - 1 }, (_, j) => launch(j + 1, seed.p2p))
    await Promise.all(rest.map(async (p, j) => await ready(p, j + 1)))
    const urls = procs.map(p => p.url as string)
    // Full membership: every node lists all the others.
    const deadline = Date.now() + MEMBERSHIP_TIMEOUT_MS
    for (;;) {
      if (opts.signal?.aborted === true) throw new Error('aborted')
      const counts = await Promise.all(urls.map(async u => await getJson<{ peers: unknown[] }>(`${u}/v1/topology`).then(t => t.peers.length, () => -1)))
      if (counts.every(c => c === opts.size - 1)) break
      if (Date.now() > deadline) throw new Error(`cluster of ${opts.size} did not reach full membership within ${MEMBERSHIP_TIMEOUT_MS} ms (peers seen: ${counts.join(', ')})`)
      await sleep(200)
    }
    opts.log?.(`${opts.size} node${opts.size === 1 ? '' : 's'} up and meshed in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    return {
      nodes: procs.map((p, i) => ({ name: `node${i + 1}`, url: p.url as string, pid: p.child.pid })),
      urls,
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** One resource sample of one node. */
export interface NodeSample {
  /** Seconds since the step started. */
  t: number
  rssMiB: number
  /** CPU over the last interval, % of one core (only for processes started here). */
  cpu: number
  /** Records held, from `/v1/status` (NaN if it did not answer in time). */
  records: number
  /** V8 heap in use and reserved, and memory outside the heap (Buffers), from `/v1/status` (NaN if it did not answer). */
  heapUsedMiB: number
  heapTotalMiB: number
  externalMiB: number
  /** V8 heap spaces (`new`, `old`, `large_object`, …): MiB in use and reserved, from `/v1/metrics` (only when asked for). */
  spaces?: Record<string, { usedMiB: number, totalMiB: number }>
}

/** Reads prom-client's `nodejs_heap_space_size_{used,total}_bytes{space=…}` gauges off a `/v1/metrics` text. */
export function heapSpaces (metrics: string): Record<string, { usedMiB: number, totalMiB: number }> {
  const out: Record<string, { usedMiB: number, totalMiB: number }> = {}
  for (const m of metrics.matchAll(/^\w*nodejs_heap_space_size_(used|total)_bytes\{space="([a-z_]+)"\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/gm)) {
    const e = out[m[2]] ?? (out[m[2]] = { usedMiB: NaN, totalMiB: NaN })
    e[m[1] === 'used' ? 'usedMiB' : 'totalMiB'] = Number(m[3]) / 1024 / 1024
  }
  return out
}

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ; 100 on every mainstream Linux). */
const CLK_TCK = 100

async function procStat (pid: number): Promise<{ rssKiB: number, cpuTicks: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN)
    // Fields after the command name (which may contain spaces): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { rssKiB, cpuTicks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/**
 * Samples RSS, CPU and record count of each node every `intervalMs` until stopped.
 * `/proc` is read for nodes with a pid (no HTTP, so a saturated node is still measured);
 * others report `memory.rss` from `/v1/status`.
 */
export function sampleNodes (nodes: TargetNode[], intervalMs: number, t0: number, opts: { heapSpaces?: boolean } = {}): { samples: Map<string, NodeSample[]>, stop: () => Promise<void> } {
  const samples = new Map<string, NodeSample[]>(nodes.map(n => [n.name, []]))
  const lastTicks = new Map<string, { ticks: number, at: number }>()
  let running = true
  const once = async (): Promise<void> => {
    const t = (performance.now() - t0) / 1000
    await Promise.all(nodes.map(async n => {
      const status = await getJson<{ memory?: { rss?: number, heap_used?: number, heap_total?: number, external?: number }, records?: number }>(`${n.url}/v1/status`, Math.min(CONTROL_TIMEOUT_MS, intervalMs)).catch(() => undefined)
      let rssMiB = (status?.memory?.rss ?? NaN) / 1024 / 1024
      let cpu = NaN
      if (n.pid !== undefined) {
        const s = await procStat(n.pid)
        if (s !== undefined) {
          rssMiB = s.rssKiB / 1024
          const now = performance.now()
          const prev = lastTicks.get(n.name)
          if (prev !== undefined) cpu = 100 * ((s.cpuTicks - prev.ticks) / CLK_TCK) / ((now - prev.at) / 1000)
          lastTicks.set(n.name, { ticks: s.cpuTicks, at: now })
        }
      }
      const mib = (b: number | undefined): number => (b ?? NaN) / 1024 / 1024
      const spaces = opts.heapSpaces === true
        ? await fetch(`${n.url}/v1/metrics`, { signal: AbortSignal.timeout(Math.min(CONTROL_TIMEOUT_MS, intervalMs)) }).then(async r => heapSpaces(await r.text())).catch(() => undefined)
        : undefined
      samples.get(n.name)?.push({ t, rssMiB, cpu, records: status?.records ?? NaN, heapUsedMiB: mib(status?.memory?.heap_used), heapTotalMiB: mib(status?.memory?.heap_total), externalMiB: mib(status?.memory?.external), ...(spaces !== undefined ? { spaces } : {}) })
    }))
  }
  const loop = (async () => {
    while (running) {
      const next = performance.now() + intervalMs
      await once()
      const wait = next - performance.now()
      if (running && wait > 0) await sleep(wait)
    }
  })()
  return {
    samples,
    stop: async () => { running = false; await loop }
  }
}
