/**
 * The dashboard at `/ui` (issue 18 §4): the static page built into `dist/ui/` by
 * `npm run build` (scripts/build-ui.mjs), and the sample ring it draws its charts from.
 * Mounted by the app when `config.ui` is true (`REPRAM_UI=false` turns it off).
 *
 * - `GET /ui` → 308 to `/ui/`; `GET /ui/` → index.html; `GET /ui/{file}` → a file the
 *   build's manifest names, from memory (read once); anything else under `/ui/` → JSON 404;
 *   methods other than GET, HEAD (and OPTIONS, answered by the CORS middleware) → 405.
 * - `GET /ui/api/samples` → the last minutes of records, bytes and request rates
 *   ({@link UiSampler}, started here, one per node, stopped with the node).
 * - Every page file carries its own Content-Security-Policy ({@link UI_CSP}): scripts,
 *   styles, images and connections from the node's own origin only; no inline script or
 *   style, no eval, no framing. The page reads the public API like any client; it never
 *   logs keys or values, and inserts keys as text.
 *
 * @example
 * import { createRepramNode, createHttpApp } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })
 * const { app } = createHttpApp(node) // config.ui is true by default: the dashboard is mounted
 * const res = await app.request('/ui/')
 * console.log(res.headers.get('content-type')) // text/html; charset=utf-8
 */
import { existsSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Context, Hono } from 'hono'
import type { RepramNode } from '../node/node.js'
import { fastResponse } from './middleware/security-headers.js'
import { UiSampler, type UiSamplerInit } from './ui-samples.js'

/**
 * The policy of every dashboard file: only the node's own origin, for scripts, styles,
 * images and fetch/EventSource; nothing inline, no eval, no plugins, no framing, no
 * `<base>` and no form posts elsewhere.
 */
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Media types of the files the dashboard is built from; a file of another kind is never served. */
export const UI_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** A file name the manifest may list: one path segment, no dot first. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** One file of the dashboard, held in memory. */
export interface UiFile { bytes: Uint8Array, contentType: string }

/** Options of {@link mountUiRoutes}. */
export interface UiRoutesOptions {
  /** Where the built files are. @default dist/ui/ of this package */
  assetsDir?: string
  /** The sample ring's interval and length (used when this node has no sampler yet). */
  sampler?: UiSamplerInit
}

/** Where the build puts the dashboard: `dist/ui/`, seen from dist/src/http/ (built) or src/http/ (run from source). */
function defaultAssetsDir (): string {
  const candidates = [new URL('../../ui/', import.meta.url), new URL('../../dist/ui/', import.meta.url)].map(u => fileURLToPath(u))
  return candidates.find(d => existsSync(join(d, 'manifest.json'))) ?? candidates[candidates.length - 1]
}

const loaded = new Map<string, Map<string, UiFile> | undefined>()

/**
 * The files the build's manifest names, read once per directory; undefined when the
 * dashboard was not built (no manifest) or the manifest is unreadable.
 */
export function loadUiFiles (dir: string): Map<string, UiFile> | undefined {
  if (loaded.has(dir)) return loaded.get(dir)
  let files: Map<string, UiFile> | undefined
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files?: Record<string, unknown> }
    files = new Map()
    for (const name of Object.keys(manifest.files ?? {})) {
      const contentType = UI_CONTENT_TYPES[extname(name)]
      if (!FILE_NAME.test(name) || contentType === undefined) continue
      files.set(name, { bytes: new Uint8Array(readFileSync(join(dir, name))), contentType })
    }
    if (!files.has('index.html')) files = undefined
  } catch {
    files = undefined
  }
  loaded.set(dir, files)
  return files
}

/** The sampler of each node: one per node, however many apps serve it. */
const samplers = new WeakMap<RepramNode, UiSampler>()

/** The node's sample ring, started if it is not running. */
export function uiSamplerOf (node: RepramNode, init: UiSamplerInit = {}): UiSampler {
  let s = samplers.get(node)
  if (s === undefined) {
    s = new UiSampler(node, init)
    samplers.set(node, s)
  }
  if (!s.running && (node.state === 'starting' || node.state === 'started')) s.start()
  return s
}

function serveFile (f: UiFile): Response {
  // A copy per reply: the Response owns its body.
  return fastResponse(f.bytes.slice(), 200, {
    'Content-Type': f.contentType,
    'Content-Length': String(f.bytes.byteLength),
    'Content-Security-Policy': UI_CSP,
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin'
  })
}

function notFound (c: Context, message: string): Response {
  return c.json({ error: 'not_found', message }, 404)
}

/** Serves the dashboard under `/ui` and starts the node's sample ring. */
export function mountUiRoutes (app: Hono, node: RepramNode, opts: UiRoutesOptions = {}): void {
  const files = loadUiFiles(opts.assetsDir ?? defaultAssetsDir())
  if (files === undefined) node.logger.child({ component: 'repram:ui' }).warn('dashboard files missing (run npm run build): /ui answers 404')
  const sampler = uiSamplerOf(node, opts.sampler)
  const missing = (c: Context): Response => notFound(c, 'the dashboard is not built on this node: run `npm run build`')

  app.get('/ui', (c) => files === undefined ? missing(c) : fastResponse(null, 308, { Location: 'ui/' }))
  app.get('/ui/', (c) => files === undefined ? missing(c) : serveFile(files.get('index.html')!))
  // One wildcard route for the files and the samples: a static route beside a `:name`
  // sibling would make hono's SmartRouter fall back to the slower TrieRouter for every route.
  app.get('/ui/*', (c) => {
    const name = c.req.path.slice('/ui/'.length)
    if (name === 'api/samples') return c.json(sampler.snapshot())
    if (files === undefined) return missing(c)
    const f = name.includes('/') ? undefined : files.get(name)
    return f === undefined ? notFound(c, 'no such dashboard file') : serveFile(f)
  })
  for (const path of ['/ui', '/ui/*']) {
    app.all(path, (c) => {
      c.header('Allow', 'GET, HEAD, OPTIONS')
      return c.json({ error: 'method_not_allowed', message: 'the dashboard is read-only; allowed: GET, HEAD, OPTIONS' }, 405)
    })
  }
}
