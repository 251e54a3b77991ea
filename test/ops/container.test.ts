/**
 * Containers (issue 7): no Docker engine runs here, so the image's exact CMD and ENV run
 * against the built dist/ with the repository root as WORKDIR. Only what cannot work on
 * one machine is overridden: ports (free loopback ports), REPRAM_DATA_DIR (a temp dir
 * standing in for the /data volume), REPRAM_LISTEN (loopback) and REPRAM_MDNS=false.
 *
 * As root on Linux each process runs as the image does: in its own mount namespace with
 * the root filesystem read-only and only the data dir writable (`read_only: true` plus
 * the /data volume), as uid 1000 (the image's `node` user).
 *
 * Checks: the node starts, the Dockerfile's HEALTHCHECK command itself exits 0 (and 1
 * once the node is gone), SIGTERM stops it with exit 0 within the grace period; three
 * processes with docker/compose.yaml's per-service environment (REPRAM_PEERS rewritten
 * from /dns4/repram-N/tcp/9090 to loopback ports, the secret set) start in depends_on
 * order behind the compose healthcheck, form a cluster and replicate; a node with the
 * wrong secret cannot join them. Needs `npm run build`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ROOT, readCompose, readDockerfile, interpolate } from './container-files.js'
import { until } from '../helpers/until.js'

const IMAGE_UID = 1000
const SANDBOX = process.platform === 'linux' && process.getuid?.() === 0 &&
  spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0 &&
  spawnSync('setpriv', ['--version']).status === 0

interface Container { name: string, child: ChildProcess, out: string, env: Record<string, string>, url: string, dataDir: string, exit: Promise<number | null> }
const running: Container[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map(async c => { await stop(c, 'SIGKILL') }))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function dataDir (): string {
  const d = mkdtempSync(join(tmpdir(), 'repram-data-'))
  dirs.push(d)
  if (SANDBOX) chownSync(d, IMAGE_UID, IMAGE_UID)
  return d
}

/** Runs an exec-form command as the image would (`node` is this Node), from the repo root. */
function run (cmd: string[], env: Record<string, string>, timeoutMs: number): Promise<number | null> {
  const [bin, ...args] = cmd
  const child = spawn(bin === 'node' ? process.execPath : bin, args, { cwd: ROOT, env, stdio: 'ignore', timeout: timeoutMs })
  return new Promise(resolve => child.once('exit', code => resolve(code)))
}

/** Starts the image's CMD with `env` (nothing inherited but PATH), read-only and unprivileged when possible. */
async function startContainer (name: string, env: Record<string, string>, data: string): Promise<Container> {
  const image = readDockerfile().at(-1)!
  const cmd = image.cmd!.map(a => a === 'node' ? process.execPath : a)
  const [bin, args] = SANDBOX
    ? ['unshare', ['-m', '--propagation', 'private', 'sh', '-c',
        'd=$1; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro / && exec "$@"', 'sh', data,
        'setpriv', `--reuid=${IMAGE_UID}`, `--regid=${IMAGE_UID}`, '--clear-groups', ...cmd]]
    : [cmd[0], cmd.slice(1)]
  const child = spawn(bin, args as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const c: Container = { name, child, out: '', env, url: `http://127.0.0.1:${env.REPRAM_HTTP_PORT}`, dataDir: data, exit: new Promise(resolve => child.once('exit', code => resolve(code))) }
  running.push(c)
  child.stdout?.on('data', (b: Buffer) => { c.out += b.toString() })
  child.stderr?.on('data', (b: Buffer) => { c.out += b.toString() })
  await until(() => {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${c.out}`)
    return c.out.includes('listening on')
  }, { timeoutMs: 15_000, intervalMs: 25, what: `${name} to start` })
  return c
}

async function stop (c: Container, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill(signal)
  return await c.exit
}

/** The environment a container gets: image ENV, then the service's, then the overrides. PATH only from here. */
function containerEnv (...layers: Array<Record<string, string>>): Record<string, string> {
  return Object.assign({ PATH: process.env.PATH ?? '/usr/bin:/bin' }, readDockerfile().at(-1)!.env, ...layers)
}

async function json (url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init)
  return await res.json()
}

const seconds = (s: string | undefined): number => Number(/^(\d+)s$/.exec(s ?? '')?.[1] ?? NaN) * 1000

describe('the image, run from dist/', () => {
  it('starts with the image CMD and ENV, passes its own HEALTHCHECK, and stops on SIGTERM with exit 0', async () => {
    const image = readDockerfile().at(-1)!
    const hc = image.healthcheck!
    const [http, p2p] = [await freePort(), await freePort()]
    const data = dataDir()
    const env = containerEnv({ REPRAM_HTTP_PORT: String(http), REPRAM_HTTP_HOST: '127.0.0.1', REPRAM_DATA_DIR: data, REPRAM_LISTEN: `/ip4/127.0.0.1/tcp/${p2p}`, REPRAM_MDNS: 'false' })
    // Before the node listens, the healthcheck fails.
    expect(await run(hc.cmd, env, seconds(hc.options.timeout))).not.toBe(0)
    const c = await startContainer('repram', env, data)
    await until(async () => await run(hc.cmd, env, seconds(hc.options.timeout)) === 0, { timeoutMs: seconds(hc.options['start-period']), intervalMs: 100, what: 'the HEALTHCHECK command to pass' })
    const health = await json(`${c.url}/v1/health`)
    expect(health).toMatchObject({ status: 'healthy', network: 'private', enclave: 'default' })
    const status = await json(`${c.url}/v1/status`)
    expect(status.listen_addresses[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${p2p}/p2p/12D3Koo`))
    // The identity is the only thing written, and it is in the data volume.
    expect(readdirSync(data).length).toBeGreaterThan(0)
    // JSON logs on stdout (not a TTY) with a component on each line.
    const logLines = c.out.split('\n').filter(l => l.startsWith('{'))
    expect(logLines.length).toBeGreaterThan(0)
    for (const l of logLines) expect(JSON.parse(l)).toHaveProperty('component')
    const t0 = Date.now()
    expect(await stop(c)).toBe(0)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(c.out).toContain('repram stopped')
    expect(await run(hc.cmd, env, seconds(hc.options.timeout))).not.toBe(0)
  })

  it('three processes with the compose environment form a private cluster in depends_on order', async () => {
    const secret = randomBytes(32).toString('hex')
    expect(() => readCompose({})).toThrow(/REPRAM_CLUSTER_SECRET/)
    const { services } = readCompose({ REPRAM_CLUSTER_SECRET: secret })
    const names = Object.keys(services)
    expect(names).toEqual(['repram-1', 'repram-2', 'repram-3'])
    const ports = Object.fromEntries(await Promise.all(names.map(async n => [n, { http: await freePort(), p2p: await freePort() }] as const)))
    const envOf = (name: string, data: string): Record<string, string> => {
      const svc = services[name].environment
      const peers = svc.REPRAM_PEERS.replace(/\/dns4\/([\w-]+)\/tcp\/9090/g, (_, host: string) => {
        expect(names, `REPRAM_PEERS names ${host}`).toContain(host)
        return `/ip4/127.0.0.1/tcp/${ports[host].p2p}`
      })
      return containerEnv(svc, { REPRAM_PEERS: peers, REPRAM_HTTP_PORT: String(ports[name].http), REPRAM_HTTP_HOST: '127.0.0.1', REPRAM_DATA_DIR: data, REPRAM_LISTEN: `/ip4/127.0.0.1/tcp/${ports[name].p2p}`, REPRAM_MDNS: 'false' })
    }
    /** The compose healthcheck, pointed at this process's port. */
    const healthy = async (name: string, env: Record<string, string>): Promise<boolean> => {
      const hc = services[name].healthcheck!
      expect(hc.test[0]).toBe('CMD')
      const cmd = hc.test.slice(1).map(a => a.replace(':8080/', `:${ports[name].http}/`))
      return await run(cmd, env, seconds(hc.timeout)) === 0
    }

    // A node with another secret (started next to the others, to save time) must never join.
    const intruderData = dataDir()
    const intruderEnv = { ...envOf('repram-3', intruderData), REPRAM_CLUSTER_SECRET: randomBytes(32).toString('hex'), REPRAM_DIAL_TIMEOUT: '1s', REPRAM_HTTP_PORT: String(await freePort()), REPRAM_LISTEN: '/ip4/127.0.0.1/tcp/0' }
    let intruder: Promise<Container> | undefined

    // Start in dependency order: a service starts once everything it depends on is healthy.
    const started = new Map<string, Container>()
    const pending = new Set(names)
    while (pending.size > 0) {
      if (started.size > 0 && intruder === undefined) {
        intruder = startContainer('intruder', intruderEnv, intruderData)
        intruder.catch(() => {}) // awaited below; this only keeps an early failure from being unhandled
      }
      const ready = [...pending].filter(n => Object.entries(services[n].depends_on ?? {}).every(([dep, d]) => d.condition === 'service_healthy' && started.has(dep)))
      expect(ready.length, 'a service can start').toBeGreaterThan(0)
      await Promise.all(ready.map(async n => {
        pending.delete(n)
        const env = envOf(n, dataDir())
        const c = await startContainer(n, env, env.REPRAM_DATA_DIR)
        await until(async () => await healthy(n, env), { timeoutMs: 10_000, intervalMs: 100, what: `${n} healthy` })
        started.set(n, c)
      }))
    }
    expect(Object.keys(services['repram-2'].depends_on ?? {})).toContain('repram-1')

    const nodes = names.map(n => started.get(n)!)
    await until(async () => {
      for (const c of nodes) if ((await json(`${c.url}/v1/topology`)).peers.length !== 2) return false
      return true
    }, { timeoutMs: 15_000, intervalMs: 100, what: 'three-node membership' })
    const key = `compose/${randomBytes(8).toString('hex')}`
    const value = `v-${randomBytes(8).toString('hex')}`
    const put = await fetch(`${nodes[1].url}/v1/data/${key}?ttl=600`, { method: 'PUT', body: value })
    expect(put.status).toBe(201)
    expect((await put.json()).replicas).toBeGreaterThanOrEqual(2)
    for (const c of [nodes[0], nodes[2]]) {
      await until(async () => await (await fetch(`${c.url}/v1/data/${key}`)).text() === value, { what: `the write on ${c.name}` })
    }

    // The intruder's dials fail (pnet: the handshake never completes), and nobody counts it.
    const other = await intruder!
    await until(async () => /repram_dial_failures_total\{kind="bootstrap"\} [1-9]/.test(await (await fetch(`${other.url}/v1/metrics`)).text()), { timeoutMs: 10_000, intervalMs: 100, what: 'the intruder dials to fail' })
    expect((await json(`${other.url}/v1/topology`)).peers).toHaveLength(0)
    expect((await fetch(`${other.url}/v1/data/${key}`)).status).toBe(404)
    for (const c of nodes) expect((await json(`${c.url}/v1/topology`)).peers).toHaveLength(2)

    // Logs at the compose level never carry the key or value; all stop cleanly.
    const codes = await Promise.all([...nodes, other].map(async c => await stop(c)))
    expect(codes).toEqual([0, 0, 0, 0])
    for (const c of nodes) {
      expect(c.out).not.toContain(key)
      expect(c.out).not.toContain(value)
    }
  })
})

describe('the container files, read', () => {
  const stages = readDockerfile()
  const image = stages.at(-1)!

  it('the Dockerfile is multi-stage on Node 20, installs prod deps only, and runs as non-root', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const s of stages) expect(s.from).toMatch(/^node:20[-.\w]*(\s+AS\s+\w+)?$/i)
    const build = stages.slice(0, -1).flatMap(s => s.lines).join('\n')
    expect(build).toMatch(/npm (ci|prune)[^\n]*--omit=dev/)
    // The image stage copies built output and pruned modules; it never installs anything itself.
    expect(image.lines.join('\n')).not.toMatch(/npm (ci|install)/)
    expect(image.lines.filter(l => /^COPY --from=/.test(l)).map(l => l.split(/\s+/).at(-1))).toEqual(expect.arrayContaining(['./node_modules', './dist']))
    expect(image.user).toBeDefined()
    expect(['root', '0']).not.toContain(image.user)
    expect(image.env.NODE_ENV).toBe('production')
  })

  it('only /data is writable: it is a VOLUME owned by the runtime user, and the data dir points there', () => {
    const text = image.lines.join('\n')
    expect(text).toMatch(/VOLUME \["\/data"\]/)
    expect(text).toMatch(new RegExp(`chown ${image.user}(:${image.user})? /data`))
    expect(image.env.REPRAM_DATA_DIR).toBe('/data')
  })

  it('exposes 8080 and 9090, health-checks /v1/health and starts with the CLI in exec form', () => {
    expect(image.expose).toEqual(expect.arrayContaining(['8080', '9090']))
    expect(image.healthcheck?.cmd.join(' ')).toContain('/v1/health')
    expect(image.cmd).toEqual(['node', 'bin/repram.js', 'start'])
    expect(image.env.REPRAM_HTTP_PORT).toBe('8080')
    expect(image.env.REPRAM_LISTEN).toMatch(/\/tcp\/9090$/)
  })

  it('compose: a read-only, private 3-node cluster with a required secret, health ordering and heap room', () => {
    const { services, volumes } = readCompose({ REPRAM_CLUSTER_SECRET: 'x'.repeat(32) })
    for (const [name, s] of Object.entries(services)) {
      expect(s.read_only, name).toBe(true)
      expect(s.environment.REPRAM_CLUSTER_SECRET, name).toBe('x'.repeat(32))
      expect(s.environment.REPRAM_NETWORK ?? 'private', name).toBe('private')
      expect(s.healthcheck?.test.join(' '), name).toContain('/v1/health')
      expect(s.volumes?.some(v => v.endsWith(':/data')), name).toBe(true)
      // The p2p port stays inside the compose network.
      expect((s.ports ?? []).some(p => String(p).endsWith(':9090')), name).toBe(false)
      // Keys and ~300 B per record live on the V8 heap: the node warns under 1.5× the capacity.
      const heapMb = Number(/--max-old-space-size=(\d+)/.exec(s.environment.NODE_OPTIONS ?? '')?.[1])
      const capacityMb = Number(s.environment.REPRAM_MAX_STORAGE_MB)
      expect(heapMb, `${name}: NODE_OPTIONS --max-old-space-size`).toBeGreaterThanOrEqual(capacityMb * 1.5)
      const limitMb = Number(/^(\d+)m$/i.exec(String(s.mem_limit ?? ''))?.[1])
      // Values live outside the heap: the limit holds the heap and the capacity.
      expect(limitMb, `${name}: mem_limit`).toBeGreaterThanOrEqual(heapMb + capacityMb)
    }
    expect(Object.keys(volumes ?? {})).toHaveLength(3)
  })

  it('k8s: a StatefulSet with probes, limits, anti-affinity and heap room, a PDB and a headless Service', async () => {
    const { parseAllDocuments } = await import('yaml')
    const { readFileSync } = await import('node:fs')
    const docs = readdirSync(join(ROOT, 'docker', 'k8s')).flatMap(f => parseAllDocuments(readFileSync(join(ROOT, 'docker', 'k8s', f), 'utf8')).map(d => d.toJS() as any))
    const sts = docs.find(d => d.kind === 'StatefulSet')
    expect(sts).toBeDefined()
    const pod = sts.spec.template.spec
    const c = pod.containers[0]
    expect(c.readinessProbe.httpGet.path).toBe('/v1/health')
    expect(c.livenessProbe.httpGet.path).toBe('/v1/health')
    expect(c.resources.limits.memory).toBeDefined()
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true)
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect(pod.affinity.podAntiAffinity).toBeDefined()
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toContain('/data')
    const env = Object.fromEntries(c.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]))
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS)?.[1])
    expect(heapMb).toBeGreaterThanOrEqual(Number(env.REPRAM_MAX_STORAGE_MB) * 1.5)
    const limitMi = Number(/^(\d+)Mi$/.exec(c.resources.limits.memory)?.[1] ?? Number(/^(\d+)Gi$/.exec(c.resources.limits.memory)?.[1]) * 1024)
    // Values live outside the heap: the limit holds the heap and the capacity.
    expect(limitMi).toBeGreaterThanOrEqual(heapMb + Number(env.REPRAM_MAX_STORAGE_MB))
    expect(c.env.find((e: any) => e.name === 'REPRAM_CLUSTER_SECRET').valueFrom.secretKeyRef).toBeDefined()
    const headless = docs.find(d => d.kind === 'Service' && d.spec.clusterIP === 'None')
    expect(headless?.metadata.name).toBe(sts.spec.serviceName)
    // Every bootstrap name is a pod of this StatefulSet behind the headless Service.
    for (const peer of String(env.REPRAM_PEERS).split(',')) expect(peer).toMatch(new RegExp(`^/dns4/${sts.metadata.name}-\\d+\\.${sts.spec.serviceName}/tcp/9090$`))
    expect(pod.automountServiceAccountToken).toBe(false)
    expect(c.securityContext.capabilities.drop).toContain('ALL')
    // Only REPRAM pods reach the p2p port.
    const policy = docs.find(d => d.kind === 'NetworkPolicy')
    expect(policy.spec.podSelector.matchLabels).toEqual(sts.spec.selector.matchLabels)
    const p2pRules = policy.spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === 9090))
    expect(p2pRules).toHaveLength(1)
    expect(p2pRules[0].from).toEqual([{ podSelector: { matchLabels: sts.spec.selector.matchLabels } }])
    const pdb = docs.find(d => d.kind === 'PodDisruptionBudget')
    expect(pdb.spec.minAvailable).toBe(2)
    expect(pdb.spec.selector.matchLabels).toEqual(sts.spec.selector.matchLabels)
  })

  it('interpolates compose variables as docker compose does', () => {
    expect(interpolate('${A:?need A}', { A: 'x' })).toBe('x')
    expect(() => interpolate('${A:?need A}', {})).toThrow('need A')
    expect(interpolate('${B:-def}', {})).toBe('def')
  })
})
