/**
 * The dashboard (issue 18 §4) in headless Debian Chromium (playwright-core), against a
 * real node on 127.0.0.1: the page loads from the node's own `/ui`, shows the node, a
 * single node's empty peers state and then a second node with its RTT and health, a write
 * made through the API in the key browser (value on click, text or hex) and in the live
 * feed (`GET /v1/watch`), the charts from the sample ring, the attestation cycles; a key
 * that is HTML stays text; and nothing logs a console error or a CSP violation. Saves a
 * screenshot to test-output/ui.png.
 *
 * Needs /usr/bin/chromium (`npm test` installs it through test/system-deps.sh). Without it
 * this suite FAILS with that instruction; it never skips.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { uiSamplerOf } from '../../src/http/ui.js'
import type { RepramNode } from '../../src/node/index.js'
import { CHROMIUM, CHROMIUM_ARGS, itFindsChromium, requireChromium } from '../helpers/browser.js'
import { until } from '../helpers/until.js'

const ROOT = join(import.meta.dirname, '..', '..')
const SCREENSHOT = join(ROOT, 'test-output', 'ui.png')

/** A key that is HTML: it must show as these very characters, and nothing may run. */
const HTML_KEY = 'ui/<img src=x onerror="globalThis.__pwned=1">'
const TEXT_KEY = 'ui/hello'
const TEXT_VALUE = 'hello from the API ✓'

declare global {
  var __pwned: unknown
  var __csp: string[]
}

itFindsChromium()

describe('the dashboard in headless Chromium against a real node', () => {
  let node: RepramNode
  let server: RepramHttpServer
  let second: RepramNode | undefined
  let browser: Browser
  let page: Page
  const consoleErrors: string[] = []
  const dataDirs: string[] = []
  /** Each node its own data dir: the libp2p identity lives there, and two nodes must not share one. */
  const dataDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'repram-ui-')); dataDirs.push(d); return d }

  const put = async (key: string, body: string | Uint8Array<ArrayBuffer>, ttl = 120): Promise<void> => {
    const res = await fetch(`${server.url}/v1/data/${encodeURIComponent(key)}?ttl=${ttl}`, { method: 'PUT', body })
    expect(res.status).toBe(201)
  }
  /** Waits for a DOM condition in the page (polled by the browser, no fixed sleep). */
  const waitFor = async <A>(fn: (arg: A) => unknown, arg: A, timeout = 15_000): Promise<void> => {
    await page.waitForFunction(fn as (arg: unknown) => unknown, arg as unknown, { timeout, polling: 100 })
  }

  beforeAll(async () => {
    requireChromium('the dashboard test')
    // The page as `npm run build` makes it, from the current sources.
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-ui.mjs')], { cwd: ROOT, encoding: 'utf8' })
    if (built.status !== 0) throw new Error(`scripts/build-ui.mjs failed: ${built.stderr}`)

    // Networked (libp2p on 127.0.0.1, mDNS off as in every test profile), so a second node can join.
    node = await createRepramNode({ network: true, config: { profile: 'test', logLevel: 'silent', dataDir: dataDir() } })
    // A fast sample ring, so the charts have points within the test (the app reuses the node's sampler).
    uiSamplerOf(node, { intervalMs: 250, retained: 240 })
    server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } })
    page = await context.newPage()
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(`console: ${msg.text()}`) })
    page.on('pageerror', (err) => { consoleErrors.push(`pageerror: ${err.message}`) })
    await page.addInitScript(() => {
      globalThis.__csp = []
      document.addEventListener('securitypolicyviolation', (e) => { globalThis.__csp.push(`${e.violatedDirective} ${e.blockedURI}`) })
    })
    const res = await page.goto(`${server.url}/ui`)
    expect(res?.status()).toBe(200)
    expect(new URL(page.url()).pathname).toBe('/ui/')
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await second?.stop()
    await server?.close()
    await node?.stop()
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
  })

  it('loads from /ui and shows the node it is served by', async () => {
    const id = node.networkInfo().nodeId
    await waitFor((nodeId) => document.getElementById('node-id')?.textContent === nodeId, id)
    await waitFor(() => document.getElementById('conn')?.classList.contains('ok'), undefined)
    expect(await page.textContent('#node-meta')).toContain('enclave default')
    expect(await page.title()).toBe('REPRAM node')
  })

  it('shows a single node\'s empty peers state', async () => {
    await waitFor(() => document.getElementById('peers-empty')?.hidden === false, undefined)
    expect(await page.textContent('#peers-empty')).toMatch(/alone in enclave default/)
    expect(await page.locator('#peers-body tr').count()).toBe(0)
  })

  it('is live on /v1/watch, then shows writes made through the API in the feed, keys as text', async () => {
    await waitFor(() => document.getElementById('feed-status')?.textContent?.startsWith('live'), undefined)
    await put(TEXT_KEY, TEXT_VALUE)
    await put(HTML_KEY, new Uint8Array([0, 1, 2, 0xff, 0xfe]))
    await waitFor((keys) => {
      const shown = Array.from(document.querySelectorAll('#feed-list li.stored .key'), e => e.textContent)
      return keys.every(k => shown.includes(k))
    }, [TEXT_KEY, HTML_KEY])
    const row = page.locator('#feed-list li.stored', { hasText: TEXT_KEY })
    expect(await row.locator('.type-stored').textContent()).toBe('stored')
    expect(await row.locator('.muted').textContent()).toMatch(/TTL 2m 00s/)
  })

  it('lists the keys under a prefix with their TTLs, and shows a value only on click (text, or hex)', async () => {
    await page.fill('#keys-prefix', 'ui/')
    await page.click('#keys-form button[type=submit]')
    await waitFor((n) => document.querySelectorAll('#keys-body tr').length === n, 2)
    const keys = await page.locator('#keys-body td.key').allTextContents()
    // Sorted by UTF-8 bytes, as the node lists them: '<' (0x3C) before 'h'.
    expect(keys).toEqual([HTML_KEY, TEXT_KEY])
    await waitFor(() => Array.from(document.querySelectorAll('#keys-body tr')).every(tr => /^\d+m \d+s$|^\d+s$/.test(tr.children[1].textContent ?? '')), undefined)
    const textRow = page.locator('#keys-body tr', { hasText: TEXT_KEY })
    expect(await textRow.locator('td').nth(2).textContent()).toBe('2m 00s')
    expect(await textRow.locator('td').nth(3).textContent()).toBe(`${new TextEncoder().encode(TEXT_VALUE).length} B`)
    expect(await page.isHidden('#value-view')).toBe(true)

    await textRow.click()
    await waitFor((v) => document.getElementById('value-body')?.textContent === v, TEXT_VALUE)
    expect(await page.getAttribute('#value-body', 'data-kind')).toBe('text')
    expect(await page.textContent('#value-key')).toBe(TEXT_KEY)

    await page.locator('#keys-body tr', { hasText: 'onerror' }).click()
    await waitFor(() => document.getElementById('value-body')?.dataset.kind === 'hex', undefined)
    expect(await page.textContent('#value-body')).toMatch(/^00000000 {2}00 01 02 ff fe\s+\|\.\.\.\.\.\|$/)
    expect(await page.textContent('#value-key')).toBe(HTML_KEY)
  })

  it('never turns a key into markup: no <img> in the page, nothing ran', async () => {
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.evaluate(() => globalThis.__pwned)).toBeUndefined()
    const asText = await page.evaluate((k) => Array.from(document.querySelectorAll('.key')).filter(e => e.textContent === k).length, HTML_KEY)
    // In the key browser, the feed and the value title.
    expect(asText).toBeGreaterThanOrEqual(2)
  })

  it('draws records, bytes and request rates from the node\'s sample ring', async () => {
    await waitFor(() => {
      const d = (sel: string): string => document.querySelector(sel)?.getAttribute('d') ?? ''
      return d('#chart-records path.series').includes('L') && d('#chart-bytes path.series').includes('L') && d('#chart-requests path.s-writes').includes('L')
    }, undefined, 20_000)
    expect(await page.textContent('#charts-span')).toMatch(/a sample every/)
    await waitFor(() => document.getElementById('ov-records')?.textContent === '2', undefined)
  })

  it('lists the attestation cycles', async () => {
    await waitFor(() => (document.getElementById('att-body')?.children.length ?? 0) > 0, undefined, 20_000)
    expect(await page.textContent('#att-meta')).toContain(node.networkInfo().nodeId)
    expect(await page.locator('#att-body tr td').first().textContent()).toMatch(/^\d+$/)
  })

  it('shows a second node in the peers table with its RTT, health and score', async () => {
    second = await createRepramNode({ network: true, config: { profile: 'test', logLevel: 'silent', dataDir: dataDir(), peers: node.networkInfo().addresses } })
    const id = second.networkInfo().nodeId
    await until(() => node.topology().some(p => p.id === id && p.healthy && p.rtt_ms !== null), { timeoutMs: 15_000, what: 'the second node to be a healthy peer' })
    await waitFor((peerId) => {
      const tr = document.querySelector(`#peers-body tr[data-peer-id="${peerId}"]`)
      return tr !== null && tr.children[3].textContent === 'healthy' && /ms$/.test(tr.children[2].textContent ?? '')
    }, id)
    expect(await page.isHidden('#peers-empty')).toBe(true)
    const cells = await page.locator(`#peers-body tr[data-peer-id="${id}"] td`).allTextContents()
    expect(cells[0]).toBe(`${id.slice(0, 8)}…${id.slice(-6)}`)
    expect(cells[1]).toContain('/ip4/127.0.0.1/tcp/')
    // Topology carries each peer's reputation score: the table grows a score column by itself.
    expect(await page.locator('#peers-head th.score').textContent()).toBe('score')
    expect(cells[5]).toMatch(/^-?\d+\.\d\d$/)

    mkdirSync(join(ROOT, 'test-output'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000)
  })

  it('logged no console error and no CSP violation', async () => {
    expect(await page.evaluate(() => globalThis.__csp)).toEqual([])
    expect(consoleErrors).toEqual([])
  })
})
