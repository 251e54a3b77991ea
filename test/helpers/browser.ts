/**
 * The browser tests' shared harness: Debian's Chromium driven by playwright-core, a static
 * page server on 127.0.0.1, and the page's errors collected for the final assertions.
 *
 * @example
 * itFindsChromium()
 * requireChromium()
 * const pages = await servePages(tmp, { '/': 'index.html', '/sdk.js': 'sdk.js' })
 * const { context, page, pageErrors } = await launchBrowser(join(tmp, 'profile'))
 * await page.goto(pages.url)
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { expect, it } from 'vitest'

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium'

/** Headless, sandbox-free (containers) and quiet: no GPU, first-run, background traffic, updates, sync or QUIC. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic']

/** Registers a test that fails (never skips) when the browser is missing (CI installs it). */
export function itFindsChromium (): void {
  it(`finds Chromium at ${CHROMIUM} (install: apt-get install -y chromium)`, () => {
    expect(existsSync(CHROMIUM), `no ${CHROMIUM}: run \`apt-get install -y chromium\``).toBe(true)
  })
}

/** Throws, naming `what` needs it and how to install it, when the browser is missing. */
export function requireChromium (what = 'the browser proof'): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${what} needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\``)
}

/** A running page server from {@link servePages}. */
export interface PageServer {
  /** `http://127.0.0.1:<port>/` */
  url: string
  /** Every request's URL, in arrival order (unknown paths too). */
  requests: string[]
  close: () => Promise<void>
}

/**
 * Serves files of `dir` on 127.0.0.1 (a free port), each URL path in `routes` to its file
 * name, read at each request; `.js` as text/javascript, anything else as
 * `text/html; charset=utf-8`, never cached; any other path is a 404.
 */
export async function servePages (dir: string, routes: Record<string, string>): Promise<PageServer> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const file = Object.hasOwn(routes, req.url ?? '') ? routes[req.url ?? ''] : undefined
    if (file === undefined) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
    res.end(readFileSync(join(dir, file)))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('page server has no port')
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    requests,
    close: async () => { await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}

/** Options of {@link launchBrowser}. */
export interface LaunchOptions {
  /** Count console errors as page errors too, not only uncaught exceptions. @default false */
  consoleErrors?: boolean
}

/** A browser from {@link launchBrowser}: close `context` to stop it. */
export interface LaunchedBrowser {
  context: BrowserContext
  /** The context's first tab, with `pageErrors` collecting from it. */
  page: Page
  /** Uncaught exception messages in the page (and console errors with `consoleErrors`). */
  pageErrors: string[]
}

/** Launches headless Chromium with its profile in `profileDir` (60 s to start) and collects its page's errors. */
export async function launchBrowser (profileDir: string, opts: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
  const page = context.pages()[0] ?? await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => { pageErrors.push(err.message) })
  if (opts.consoleErrors === true) page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()) })
  return { context, page, pageErrors }
}
