/**
 * Owned keys in a browser (issue 20): the SDK, bundled by esbuild for the browser, runs in
 * headless Debian Chromium (playwright-core) next to a test EIP-1193 provider backed by a
 * fixed secp256k1 key (Hardhat/Anvil account 0, a published test key). The page signs in
 * with Ethereum (one personal_sign of an EIP-4361 message delegating `notes/` to a fresh
 * Ed25519 session key), writes owned keys through CORS with the signature headers, and
 * Node reads them back; a write outside the delegated prefix is refused by the node.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`). Without it this suite FAILS
 * with that instruction; it never skips.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as sdk from '../../src/sdk/index.js'
import { itFindsChromium, launchBrowser, requireChromium, servePages, type PageServer } from '../helpers/browser.js'
import { startLocalNode, type LocalNode } from '../sdk/helpers.js'

const SDK_ENTRY = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url))
const ANVIL0_KEY = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const ANVIL0_ADDRESS = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

declare global {
  // the page's handle on the bundled SDK
  var repram: typeof sdk
  var repramReady: boolean
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>REPRAM owned keys in a browser</title></head>
<body><script type="module">
import * as repram from './sdk.js'
globalThis.repram = repram
globalThis.repramReady = true
</script></body></html>`

itFindsChromium()

describe('owned keys from a browser wallet', () => {
  let tmp: string
  let pageServer: PageServer
  let local: LocalNode
  let context: BrowserContext
  let page: Page
  let pageErrors: string[]

  beforeAll(async () => {
    requireChromium()
    tmp = mkdtempSync(join(tmpdir(), 'repram-owned-browser-'))
    const result = await build({ entryPoints: [SDK_ENTRY], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(tmp, 'sdk.js'), metafile: true, logLevel: 'silent' })
    const inputs = Object.keys(result.metafile.inputs)
    if (inputs.some(i => i.startsWith('node:'))) throw new Error(`the SDK bundle pulls in Node built-ins: ${inputs.filter(i => i.startsWith('node:')).join(', ')}`)
    writeFileSync(join(tmp, 'index.html'), PAGE)
    pageServer = await servePages(tmp, { '/': 'index.html', '/sdk.js': 'sdk.js' })
    local = await startLocalNode()
    ;({ context, page, pageErrors } = await launchBrowser(join(tmp, 'profile')))
    await page.goto(pageServer.url)
    await page.waitForFunction(() => globalThis.repramReady === true, undefined, { timeout: 20_000 })
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    await local?.close()
    await pageServer?.close()
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
  })

  it('signs in with a test EIP-1193 wallet, writes owned keys through CORS, and Node reads them back', async () => {
    const out = await page.evaluate(async (a) => {
      const r = globalThis.repram
      const fromHex = (h: string): Uint8Array => Uint8Array.from(h.replace(/^0x/, '').match(/../g) ?? [], b => parseInt(b, 16))
      const toHex = (b: Uint8Array): string => '0x' + Array.from(b, x => x.toString(16).padStart(2, '0')).join('')
      const prompts: string[] = []
      // A wallet as a page sees one: EIP-1193 requests, personal_sign with a fixed key.
      const wallet = {
        request: async ({ method, params }: { method: string, params?: unknown[] }): Promise<unknown> => {
          if (method === 'eth_requestAccounts') return [a.address]
          if (method === 'eth_chainId') return '0x1'
          if (method === 'personal_sign') {
            prompts.push(new TextDecoder().decode(fromHex((params as string[])[0])))
            return toHex(r.personalSign(fromHex((params as string[])[0]), fromHex(a.key)))
          }
          throw new Error(`unsupported ${method}`)
        }
      }
      const session = await r.signInWithEthereum(wallet, { domain: location.host, scheme: 'http', uri: location.origin, prefix: 'notes/', expiresInSeconds: 600 })
      const client = new r.RepramClient(a.nodeUrl)
      const first = await client.put(`${session.prefix}1`, 'written from a wallet session', { signer: session, ttl: 60 })
      const second = await client.put(`${session.prefix}2`, 'no second prompt', { signer: session, ttl: 60 })
      let outside = ''
      try {
        await client.put(`${session.namespace}elsewhere`, 'x', { signer: { namespace: session.namespace, sign: session.sign }, ttl: 60 })
      } catch (err) { outside = `${(err as { status?: number }).status ?? ''}:${(err as { code?: string }).code ?? ''}` }
      return { prefix: session.prefix, statuses: [first.status, second.status], prompts, outside }
    }, { nodeUrl: local.url, address: ANVIL0_ADDRESS, key: ANVIL0_KEY })

    expect(out.prefix).toBe(`~eth:${ANVIL0_ADDRESS}/notes/`)
    expect(out.statuses).toEqual([201, 201])
    // One wallet prompt for both writes: the EIP-4361 message, naming the session key and the prefix.
    expect(out.prompts).toHaveLength(1)
    expect(out.prompts[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+ wants you to sign in with your Ethereum account:\n0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n/)
    expect(out.prompts[0]).toContain('- urn:repram:prefix:notes%2F')
    expect(out.outside).toBe('403:bad_delegation')
    const dec = new TextDecoder()
    expect(dec.decode((await local.node.get(`${out.prefix}1`))?.value)).toBe('written from a wallet session')
    expect(dec.decode((await local.node.get(`${out.prefix}2`))?.value)).toBe('no second prompt')
    expect(await local.node.has(`~eth:${ANVIL0_ADDRESS}/elsewhere`)).toBe(false)
    expect(pageErrors).toEqual([])
  })
})
