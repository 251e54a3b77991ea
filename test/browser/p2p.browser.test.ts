/**
 * Browser p2p proof (issue 17 §3): a page in headless Debian Chromium (playwright-core)
 * runs a libp2p node that embeds REPRAM with the `repram()` service, bundled by
 * scripts/browser/build.mjs, and connects over WebSockets to a local standalone node
 * listening on /ip4/127.0.0.1/tcp/0/ws. A write on either side is read on the other
 * through libp2p alone: the standalone node runs no HTTP server, and the page's server
 * only serves the page and its script.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); fails, never skips, without it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBrowserNode } from '../../scripts/browser/build.mjs'
import { launchBrowser, requireChromium, servePages, type PageServer } from '../helpers/browser.js'
import { createNode, dec, enc, stopAll, until, type TestNode } from '../integration/fixture.js'

const ENTRY = fileURLToPath(new URL('./p2p-page.ts', import.meta.url))

interface PageP2p {
  start: (target: string, enclave: string) => Promise<string>
  peers: () => string[]
  put: (key: string, value: string) => Promise<{ replicas: number, quorum: boolean }>
  get: (key: string) => Promise<string | null>
  stop: () => Promise<void>
}
declare global {
  var p2p: PageP2p
  var p2pReady: boolean
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>REPRAM p2p browser proof</title></head>
<body><script type="module" src="./p2p.js"></script></body></html>`

describe('a browser node with repram() over WebSockets', () => {
  let tmp: string
  let pageServer: PageServer
  let context: BrowserContext | undefined
  let page: Page
  let local: TestNode
  let pageErrors: string[]

  beforeAll(async () => {
    requireChromium()
    tmp = mkdtempSync(join(tmpdir(), 'repram-p2p-browser-'))
    const meta = await buildBrowserNode({ entry: ENTRY, outfile: join(tmp, 'p2p.js') })
    const inputs = Object.keys(meta.inputs)
    if (inputs.some(i => i.startsWith('node:'))) throw new Error(`the bundle pulls in Node built-ins: ${inputs.filter(i => i.startsWith('node:')).join(', ')}`)
    writeFileSync(join(tmp, 'index.html'), PAGE)
    pageServer = await servePages(tmp, { '/': 'index.html', '/p2p.js': 'p2p.js' })

    // A standalone node with a WebSocket listener (and no HTTP server at all).
    local = await createNode('tcp', { listen: ['/ip4/127.0.0.1/tcp/0/ws'] })

    ;({ context, page, pageErrors } = await launchBrowser(join(tmp, 'profile'), { consoleErrors: true }))
    await page.goto(pageServer.url)
    await page.waitForFunction(() => globalThis.p2pReady === true, undefined, { timeout: 20_000 })
  }, 120_000)

  afterAll(async () => {
    await page?.evaluate(async () => { await globalThis.p2p.stop() }).catch(() => {})
    await context?.close()
    await stopAll()
    await pageServer?.close()
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
  })

  it('joins the node\'s enclave over WebSockets, and a write on either side is read on the other through libp2p', async () => {
    const wsAddr = local.addrs.find(a => a.includes('/ws/'))
    expect(wsAddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3Koo/)
    const t0 = Date.now()
    const browserId = await page.evaluate(async (a) => await globalThis.p2p.start(a, 'default'), wsAddr as string)
    const nodeId = local.node.networkInfo().nodeId
    await until(async () => local.node.topology().some(p => p.id === browserId) && (await page.evaluate(() => globalThis.p2p.peers())).includes(nodeId), { timeoutMs: 15_000, what: 'the browser and the node to be members of each other' })
    console.log(`browser p2p: the page's node joined the enclave in ${Date.now() - t0} ms`)

    // Browser → node: a quorum of both, then the node reads it from its own store.
    const fromPage = await page.evaluate(async () => await globalThis.p2p.put('browser/k', 'written in the page'))
    expect(fromPage).toEqual({ replicas: 2, quorum: true })
    expect(dec((await local.node.get('browser/k'))?.value)).toBe('written in the page')

    // Node → browser.
    const fromNode = await local.node.put('node/k', enc('written in node'), { ttl: 60 })
    expect(fromNode).toMatchObject({ replicas: 2, quorum: true })
    expect(await page.evaluate(async () => await globalThis.p2p.get('node/k'))).toBe('written in node')

    // No HTTP in the data path: the page's server served the page and its script, nothing else.
    expect([...pageServer.requests].sort()).toEqual(['/', '/p2p.js'])
    expect(pageErrors).toEqual([])
  })
})
