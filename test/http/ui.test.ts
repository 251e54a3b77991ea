/**
 * The dashboard's routes (issue 18 §4), black-box through `app.request()`: the built page
 * and its files with their media types and their own CSP, `/ui` → `/ui/`, JSON 404s and
 * 405s, `REPRAM_UI=false`, a build that is missing; the sample ring behind the charts; and
 * static guards on the page sources (no inline script or style, text only for keys).
 * The page itself runs in Chromium in test/browser/ui.browser.test.ts.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHttpApp } from '../../src/http/app.js'
import { UI_CSP, mountUiRoutes } from '../../src/http/ui.js'
import { UiSampler, ratesBetween } from '../../src/http/ui-samples.js'
import { createRepramNode } from '../../src/create.js'
import { loadConfig, type RepramConfigInput } from '../../src/config.js'
import type { RepramNode } from '../../src/node/index.js'
import { until } from '../helpers/until.js'

const ROOT = join(import.meta.dirname, '..', '..')
const DIST_UI = join(ROOT, 'dist', 'ui')

/** Builds the page into dist/ui/ as `npm run build` does, so these tests check the current sources. */
function buildDashboard (): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-ui.mjs')], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`scripts/build-ui.mjs failed: ${r.stderr}`)
}

let nodes: RepramNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(nodes.map(n => n.stop()))
  nodes = []
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function setup (config: RepramConfigInput = {}) {
  const node = await createRepramNode({ config: { profile: 'test', ...config } as RepramConfigInput })
  nodes.push(node)
  const { app } = createHttpApp(node)
  return { node, app }
}

beforeAll(() => { buildDashboard() }, 60_000)

describe('GET /ui', () => {
  it('redirects /ui to /ui/ (relative, so a proxy prefix is kept)', async () => {
    const { app } = await setup()
    const res = await app.request('/ui')
    expect(res.status).toBe(308)
    expect(res.headers.get('location')).toBe('ui/')
    expect(new URL(res.headers.get('location')!, 'http://n/ui').pathname).toBe('/ui/')
  })

  it('serves index.html at /ui/ with its own strict CSP and the other security headers', async () => {
    const { app } = await setup()
    const res = await app.request('/ui/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy')
    expect(csp).toBe(UI_CSP)
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|data:|https?:/)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin')
    const html = await res.text()
    expect(html).toBe(readFileSync(join(DIST_UI, 'index.html'), 'utf8'))
    expect(html).toContain('<script type="module" src="app.js"></script>')
  })

  it('serves each built file with its media type and length, and HEAD with no body', async () => {
    const { app } = await setup()
    const types: Record<string, string> = {
      'app.js': 'text/javascript; charset=utf-8',
      'style.css': 'text/css; charset=utf-8',
      'favicon.svg': 'image/svg+xml'
    }
    for (const [file, type] of Object.entries(types)) {
      const bytes = readFileSync(join(DIST_UI, file))
      const res = await app.request(`/ui/${file}`)
      expect(res.status, file).toBe(200)
      expect(res.headers.get('content-type'), file).toBe(type)
      expect(res.headers.get('content-security-policy'), file).toBe(UI_CSP)
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), file).toBe(true)
      const head = await app.request(`/ui/${file}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-type')).toBe(type)
      expect(head.headers.get('content-length')).toBe(String(bytes.length))
      expect((await head.arrayBuffer()).byteLength).toBe(0)
    }
  })

  it('answers a JSON 404 for anything the build did not make, the manifest and paths outside dist/ui included', async () => {
    const { app } = await setup()
    for (const path of ['/ui/nope.js', '/ui/manifest.json', '/ui/a/b', '/ui/%2e%2e%2fpackage.json', '/ui/..%2Fpackage.json', '/ui/api/', '/ui/api/other', '/uix']) {
      const res = await app.request(path)
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/)
      expect((await res.json() as { error: string }).error, path).toBe('not_found')
      // JSON replies keep the API's CSP, which allows nothing.
      expect(res.headers.get('content-security-policy'), path).toBe("default-src 'none'; frame-ancestors 'none'")
    }
  })

  it('allows only GET and HEAD (OPTIONS is the CORS 204): 405 with Allow for the rest', async () => {
    const { app } = await setup()
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/ui', '/ui/', '/ui/app.js', '/ui/api/samples']) {
        const res = await app.request(path, { method, body: method === 'DELETE' ? undefined : 'x' })
        expect(res.status, `${method} ${path}`).toBe(405)
        expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
        expect((await res.json() as { error: string }).error).toBe('method_not_allowed')
      }
    }
    expect((await app.request('/ui/', { method: 'OPTIONS' })).status).toBe(204)
  })

  it('is off with REPRAM_UI=false: every /ui path is the API\'s JSON 404', async () => {
    const config = loadConfig({ profile: 'test', env: { REPRAM_UI: 'false' } })
    expect(config.ui).toBe(false)
    const { app } = await setup({ ...config })
    for (const path of ['/ui', '/ui/', '/ui/app.js', '/ui/api/samples']) {
      const res = await app.request(path)
      expect(res.status, path).toBe(404)
      expect((await res.json() as { error: string }).error).toBe('not_found')
    }
  })

  it('answers 404 naming the build step when the dashboard was not built, and the API still works', async () => {
    const node = await createRepramNode({ config: { profile: 'test' } })
    nodes.push(node)
    const empty = mkdtempSync(join(tmpdir(), 'repram-ui-'))
    dirs.push(empty)
    const app = new Hono()
    mountUiRoutes(app, node, { assetsDir: empty })
    for (const path of ['/ui', '/ui/', '/ui/app.js']) {
      const res = await app.request(path)
      expect(res.status, path).toBe(404)
      expect((await res.json() as { message: string }).message).toContain('npm run build')
    }
    expect((await app.request('/ui/api/samples')).status).toBe(200)
  })

  it('serves only files the manifest names, with a known type, from its own directory', async () => {
    const node = await createRepramNode({ config: { profile: 'test' } })
    nodes.push(node)
    const dir = mkdtempSync(join(tmpdir(), 'repram-ui-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(dir, 'notes.txt'), 'not a page file')
    writeFileSync(join(dir, 'extra.js'), 'not in the manifest')
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 1, files: { 'index.html': {}, 'notes.txt': {}, '../package.json': {}, '.hidden.js': {} } }))
    const app = new Hono()
    mountUiRoutes(app, node, { assetsDir: dir })
    expect((await app.request('/ui/')).status).toBe(200)
    for (const path of ['/ui/notes.txt', '/ui/extra.js', '/ui/.hidden.js', '/ui/..%2Fpackage.json']) expect((await app.request(path)).status, path).toBe(404)
  })
})

describe('GET /ui/api/samples', () => {
  it('holds the node\'s records, bytes and request rates, sampled while the dashboard is on', async () => {
    const { app } = await setup()
    for (let i = 0; i < 3; i++) expect((await app.request(`/v1/data/ui-samples/${i}?ttl=60`, { method: 'PUT', body: 'abcd' })).status).toBe(201)
    const body = await until(async () => {
      const r = await (await app.request('/ui/api/samples')).json() as { interval_ms: number, retained: number, samples: Array<{ t: number, records: number, bytes: number, capacity_bytes: number, rates: unknown }> }
      return r.samples.length > 0 ? r : undefined
    }, { what: 'the first sample' })
    expect(body.interval_ms).toBe(5000)
    expect(body.retained).toBe(120)
    const s = body.samples[0]
    expect(s.t).toBeGreaterThan(Date.now() - 60_000)
    expect(s.capacity_bytes).toBeGreaterThan(0)
    expect(s.rates).toBeNull()
  })
})

describe('UiSampler', () => {
  it('computes per-second rates by kind from the request counter, errors overlapping the rest', async () => {
    const { node, app } = await setup()
    const sampler = new UiSampler(node, { intervalMs: 60_000 })
    await sampler.sample()
    await app.request('/v1/data/r/1?ttl=60', { method: 'PUT', body: 'x' })
    await app.request('/v1/data/r/1?ttl=60', { method: 'PUT', body: 'y' })
    await app.request('/v1/data/r/1')
    await app.request('/v1/data/r/missing')
    await app.request('/v1/data/r/1', { method: 'HEAD' })
    await app.request('/v1/keys?prefix=r/')
    await sampler.sample()
    const [first, second] = sampler.snapshot().samples
    expect(first.rates).toBeNull()
    expect(second.records).toBe(1)
    expect(second.bytes).toBeGreaterThan(0)
    const r = second.rates!
    // 2 PUTs, 3 reads (one a 404), 1 other, over the same elapsed time: the rates keep those ratios.
    expect(r.writes).toBeGreaterThan(0)
    expect(r.reads / r.writes).toBeCloseTo(3 / 2, 5)
    expect(r.other / r.writes).toBeCloseTo(1 / 2, 5)
    expect(r.errors / r.writes).toBeCloseTo(1 / 2, 5)
  })

  it('keeps at most `retained` samples, oldest dropped first', async () => {
    const { node } = await setup({ ui: false })
    const sampler = new UiSampler(node, { intervalMs: 60_000, retained: 4 })
    for (let i = 0; i < 7; i++) await sampler.sample()
    const { samples, retained } = sampler.snapshot()
    expect(retained).toBe(4)
    expect(samples).toHaveLength(4)
    expect(samples.map(s => s.t)).toEqual([...samples.map(s => s.t)].sort((a, b) => a - b))
  })

  it('samples on its timer once started, and stops and forgets everything when the node stops', async () => {
    const { node } = await setup({ ui: false })
    const sampler = new UiSampler(node, { intervalMs: 50, retained: 10 })
    sampler.start()
    sampler.start()
    expect(sampler.running).toBe(true)
    await until(() => sampler.snapshot().samples.length >= 3, { what: 'three timed samples' })
    expect(sampler.snapshot().samples.at(-1)!.rates).not.toBeNull()
    await node.stop()
    await until(() => !sampler.running, { what: 'the sampler to notice the stop' })
    expect(sampler.snapshot().samples).toEqual([])
  })

  it('stop() clears at once, and a sample in flight across it is dropped', async () => {
    const { node } = await setup({ ui: false })
    const sampler = new UiSampler(node, { intervalMs: 60_000 })
    await sampler.sample()
    const inFlight = sampler.sample()
    sampler.stop()
    sampler.stop()
    await inFlight
    expect(sampler.snapshot().samples).toEqual([])
  })

  it('rates are per second, and never negative when a counter goes back', () => {
    expect(ratesBetween({ reads: 10, writes: 5, other: 0, errors: 1 }, { reads: 20, writes: 2, other: 4, errors: 1 }, 2))
      .toEqual({ reads: 5, writes: 0, other: 2, errors: 0 })
  })
})

describe('the page sources', () => {
  const src = join(ROOT, 'ui', 'src')
  const files = readdirSync(src).filter(f => f.endsWith('.ts')).map(f => [f, readFileSync(join(src, f), 'utf8')] as const)
  const html = readFileSync(join(ROOT, 'ui', 'index.html'), 'utf8')

  it('never parse markup: keys, peer ids and addresses go in as text', () => {
    expect(files.length).toBeGreaterThan(5)
    for (const [f, text] of files) {
      expect(text, f).not.toMatch(/\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|\beval\(|new Function\(/)
    }
  })

  it('index.html has no inline script, style or event handler, and loads only its own files', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i)
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map(m => m[1])
    expect(refs.sort()).toEqual(['app.js', 'favicon.svg', 'style.css'])
    const manifest = JSON.parse(readFileSync(join(DIST_UI, 'manifest.json'), 'utf8')) as { files: Record<string, unknown> }
    expect(Object.keys(manifest.files).sort()).toEqual(['app.js', 'favicon.svg', 'index.html', 'style.css'])
  })

  it('the Dockerfile copies the page sources and the build script before it builds', () => {
    const docker = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8')
    const build = docker.indexOf('RUN npm run build')
    expect(build).toBeGreaterThan(0)
    expect(docker.indexOf('COPY ui ./ui')).toBeGreaterThan(0)
    expect(docker.indexOf('COPY ui ./ui')).toBeLessThan(build)
    expect(docker.indexOf('COPY scripts/build-ui.mjs')).toBeGreaterThan(0)
    expect(docker.indexOf('COPY scripts/build-ui.mjs')).toBeLessThan(build)
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }
    expect(pkg.scripts.build).toContain('node scripts/build-ui.mjs')
  })
})
