/**
 * Operator docs (issue 7): what a test can prove about docs/deployment.md,
 * docs/troubleshooting.md, docs/security.md and docs/monitoring.md. Every error code
 * the node answers, every CLI exit code, every one-line CLI message and every warning
 * the node logs is explained in troubleshooting.md; every REPRAM_* variable the docs
 * name exists; links and anchors resolve; the systemd unit is the shipped file, passes
 * `systemd-analyze verify`, is hardened, and its environment and command start a node.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_FIELDS } from '../../src/config.js'
import { EXIT } from '../../src/cli/errors.js'
import { until } from '../helpers/until.js'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8')
const OPS_DOCS = ['docs/deployment.md', 'docs/troubleshooting.md', 'docs/security.md', 'docs/monitoring.md']
const troubleshooting = read('docs/troubleshooting.md')
const deployment = read('docs/deployment.md')

function sources (dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true }).map(String).filter(f => f.endsWith('.ts')).map(f => join(dir, f))
}

/** The longest literal run of a template string (`${…}` removed), unescaped. */
function literal (template: string): string {
  return template.split(/\$\{[^}]*\}/).map(s => s.replace(/\\n$/, '').replace(/\\(["'`])/g, '$1')).sort((a, b) => b.length - a.length)[0].trim()
}

describe('docs/troubleshooting.md', () => {
  it('explains every error code the node or the SDK can answer', () => {
    const codes = new Set<string>()
    for (const f of [...sources('src'), ...sources('actors')]) {
      const text = read(f)
      for (const m of text.matchAll(/super\(message, '([a-z_]+)'/g)) codes.add(m[1])
      for (const m of text.matchAll(/Error\((?:[^()]|\([^()]*\))*, '([a-z_]+)'\)/g)) codes.add(m[1])
      for (const m of text.matchAll(/\berror: '([a-z_]+)'/g)) codes.add(m[1])
      for (const m of text.matchAll(/super\(`[^`]*`, '([a-z_]+)', \d{3}\)/g)) codes.add(m[1])
      for (const m of text.matchAll(/\bcode = '([a-z_]+)'/g)) codes.add(m[1])
    }
    // The errors of src/errors.ts and the HTTP layer are among them.
    for (const c of ['invalid_key', 'invalid_encoding', 'invalid_ttl', 'bad_request', 'value_too_large', 'capacity_exceeded', 'shutting_down', 'timeout', 'invalid_config', 'rate_limited', 'not_found', 'method_not_allowed', 'internal']) expect(codes).toContain(c)
    const missing = [...codes].filter(c => !troubleshooting.includes(`\`${c}\``))
    expect(missing, 'error codes not explained').toEqual([])
  })

  it('lists every CLI exit code with its name', () => {
    for (const [name, code] of Object.entries(EXIT)) {
      expect(troubleshooting, `exit ${code} (${name})`).toMatch(new RegExp(`^\\| \`${code}\` \\| ${name} \\|`, 'm'))
    }
  })

  it('quotes every one-line message of `repram start` and the client commands', () => {
    const messages = new Set<string>()
    for (const f of ['src/cli/errors.ts', 'src/cli/start.ts', 'src/cli/client-commands.ts', 'src/cli/attest-command.ts']) {
      const text = read(f)
      for (const m of text.matchAll(/new CliError\(\s*(['`])((?:\\.|(?!\1).)*)\1/g)) messages.add(m[2])
      for (const m of text.matchAll(/(['`])repram: ((?:\\.|(?!\1).)*)\1/g)) messages.add(m[2])
      for (const m of text.matchAll(/return `(cannot [^`]*)`/g)) messages.add(m[1])
    }
    const fragments = [...messages].map(literal).filter(s => s.length >= 12 && !s.includes('${') && !s.startsWith('not found: app/'))
    expect(fragments.length).toBeGreaterThan(20)
    const missing = fragments.filter(s => !troubleshooting.includes(s))
    expect(missing, 'CLI messages not in troubleshooting.md').toEqual([])
  })

  it('explains every warning, error and fatal line the node logs', () => {
    const messages: string[] = []
    for (const f of [...sources('src'), ...sources('actors')]) {
      for (const m of read(f).matchAll(/\.(warn|error|fatal)\((?:[^()']|\([^()]*\))*?'([^']+)'\)/g)) messages.push(m[2])
    }
    expect(messages.length).toBeGreaterThan(5)
    const missing = messages.map(m => m.split(' (')[0].split(':')[0]).filter(m => !troubleshooting.includes(m))
    expect(missing, 'log messages not in troubleshooting.md').toEqual([])
  })
})

describe('operator docs', () => {
  it('name only REPRAM_* variables that exist', () => {
    const known = new Set([...CONFIG_FIELDS.map(f => f.env), 'REPRAM_CONFIG', 'REPRAM_URL'])
    for (const doc of OPS_DOCS) {
      const unknown = [...read(doc).matchAll(/\bREPRAM_[A-Z_]+\b/g)].map(m => m[0]).filter(v => !known.has(v))
      expect(unknown, doc).toEqual([])
    }
  })

  it('link only to files and headings that exist', () => {
    const slug = (h: string): string => h.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-')
    const anchors = (file: string): Set<string> => new Set([...readFileSync(file, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map(m => slug(m[1])))
    for (const doc of OPS_DOCS) {
      const from = join(ROOT, doc)
      for (const [, target] of read(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue
        const [path, anchor] = target.split('#')
        const file = path === '' ? from : resolve(dirname(from), path)
        expect(existsSync(file), `${doc} → ${target}`).toBe(true)
        if (anchor !== undefined && statSync(file).isFile()) expect(anchors(file), `${doc} → ${target}`).toContain(anchor)
      }
    }
  })

  it('architecture.md names only files and folders that exist, and every actor folder', () => {
    const md = read('docs/architecture.md')
    const named = [...md.matchAll(/`((?:src|actors|test|docs)\/[^`\s]*)`/g)].map(m => m[1])
    expect(named.length).toBeGreaterThan(20)
    const missing = named.filter(p => !existsSync(join(ROOT, p)))
    expect(missing, 'paths in docs/architecture.md that do not exist').toEqual([])
    const actorDirs = readdirSync(join(ROOT, 'actors')).filter(d => d !== 'runtime' && statSync(join(ROOT, 'actors', d)).isDirectory())
    const undocumented = actorDirs.filter(d => !md.includes(`\`actors/${d}/\``))
    expect(undocumented, 'actor folders docs/architecture.md does not describe').toEqual([])
  })

  it('security.md covers the threat model, pnet, rate limits, the proxy and hardening', () => {
    const text = read('docs/security.md')
    for (const s of ['deriveStorageKey', 'ciphertext', 'value size', 'access pattern', 'REPRAM_CLUSTER_SECRET', 'pnet', 'REPRAM_RATE_LIMIT', 'REPRAM_TRUST_PROXY', 'X-Forwarded-For', 'Non-root', 'Read-only root filesystem', 'p2p port', 'public']) {
      expect(text, s).toContain(s)
    }
  })
})

describe('the systemd unit', () => {
  const shipped = read('docker/systemd/repram.service')
  const documented = /```ini\n([\s\S]*?)```/.exec(deployment)?.[1] ?? ''
  const directives = (unit: string): Array<[string, string]> => unit.split('\n').filter(l => /^[A-Za-z]+=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])

  it('in docs/deployment.md is the shipped docker/systemd/repram.service', () => {
    expect(documented.length).toBeGreaterThan(100)
    expect(shipped.replace(/^#.*\n/gm, '')).toBe(documented.replace(/^#.*\n/gm, ''))
  })

  it('is hardened: its own user, read-only system, state directory for the identity, restart on failure', () => {
    const d = new Map(directives(shipped))
    expect(d.get('DynamicUser') === 'yes' || d.has('User')).toBe(true)
    expect(d.get('ProtectSystem')).toBe('strict')
    expect(d.get('StateDirectory')).toBe('repram')
    expect(d.get('Restart')).toBe('on-failure')
    expect(d.get('NoNewPrivileges')).toBe('yes')
    expect(d.get('CapabilityBoundingSet')).toBe('')
    expect(d.has('MemoryDenyWriteExecute')).toBe(false) // the V8 JIT needs W+X pages
    const env = Object.fromEntries(directives(shipped).filter(([k]) => k === 'Environment').map(([, v]) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]))
    expect(env.REPRAM_DATA_DIR).toBe(`/var/lib/${d.get('StateDirectory')}`)
    expect(Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS)?.[1])).toBeGreaterThanOrEqual(Number(env.REPRAM_MAX_STORAGE_MB) * 1.5)
    // Values live outside the heap: the memory limit holds the heap and the capacity.
    expect(Number(/^(\d+)M$/.exec(d.get('MemoryMax') ?? '')?.[1])).toBeGreaterThanOrEqual(Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS)?.[1]) + Number(env.REPRAM_MAX_STORAGE_MB))
    expect(Number(/^(\d+)s$/.exec(d.get('TimeoutStopSec') ?? '')?.[1])).toBeGreaterThan(10)
  })

  it('passes systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repram-unit-'))
    try {
      writeFileSync(join(dir, 'repram.service'), shipped)
      const r = spawnSync('systemd-analyze', ['verify', join(dir, 'repram.service')], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr.trim(), 'warnings').toBe('')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('its environment and command start a node that stops cleanly on SIGTERM', async () => {
    const d = new Map(directives(shipped))
    const free = async (): Promise<number> => await new Promise(resolve => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) }) })
    const [http, p2p] = [await free(), await free()]
    const state = mkdtempSync(join(tmpdir(), 'repram-state-'))
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
    for (const [k, v] of directives(shipped)) if (k === 'Environment') env[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1)
    // Only what cannot work here: ports, the state directory, loopback, no multicast.
    Object.assign(env, { REPRAM_HTTP_PORT: String(http), REPRAM_HTTP_HOST: '127.0.0.1', REPRAM_DATA_DIR: state, REPRAM_LISTEN: `/ip4/127.0.0.1/tcp/${p2p}`, REPRAM_MDNS: 'false' })
    const [bin, ...args] = (d.get('ExecStart') ?? '').split(' ').map(a => a.replace(d.get('WorkingDirectory') ?? '/opt/repram', ROOT))
    expect(bin).toBe('/usr/bin/node')
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.stderr.on('data', (b: Buffer) => { out += b.toString() })
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${http}/v1/health`)).ok, { timeoutMs: 15_000, intervalMs: 100, what: `the unit's node to be healthy: ${out}` })
      // No heap warning with the unit's capacity and heap settings.
      expect(out).not.toContain('capacity exceeds')
      child.kill(d.get('KillSignal') as NodeJS.Signals)
      expect(await exited).toBe(0)
      expect(readdirSync(state).length).toBeGreaterThan(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(state, { recursive: true, force: true })
    }
  })
})
