/**
 * Browser proof: the SDK, bundled by esbuild for the browser platform, runs in
 * headless Debian Chromium (driven by playwright-core) and talks to a real
 * local node over 127.0.0.1 (cross-origin, through CORS). The page encrypts
 * and stores, Node reads and decrypts; and the reverse.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`). Without it this
 * suite FAILS with that instruction; it never skips.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as sdk from '../../src/sdk/index.js'
import { itFindsChromium, launchBrowser, requireChromium, servePages, type PageServer } from '../helpers/browser.js'
import { LIGHT_ARGON2ID, LIGHT_SCRYPT, startLocalNode, type LocalNode } from '../sdk/helpers.js'

const SDK_ENTRY = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url))
const VECTORS = fileURLToPath(new URL('../sdk/vectors/envelope-v1.json', import.meta.url))

type Sdk = typeof sdk
declare global {
  // the page's handle on the bundled SDK
  var repram: Sdk
  var repramReady: boolean
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>REPRAM SDK browser proof</title></head>
<body><script type="module">
import * as repram from './sdk.js'
globalThis.repram = repram
globalThis.repramReady = true
</script></body></html>`

const dec = new TextDecoder()

// A failed test, not a skipped one, when the browser is missing (CI installs it).
itFindsChromium()

describe('the SDK in headless Chromium against a real node', () => {
  let tmp: string
  let bundleBytes = 0
  let pageServer: PageServer
  let local: LocalNode
  let context: BrowserContext
  let page: Page
  let pageErrors: string[]

  beforeAll(async () => {
    requireChromium()
    tmp = mkdtempSync(join(tmpdir(), 'repram-browser-'))
    const result = await build({
      entryPoints: [SDK_ENTRY],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(tmp, 'sdk.js'),
      metafile: true,
      logLevel: 'silent'
    })
    const inputs = Object.keys(result.metafile.inputs)
    if (inputs.some(i => i.startsWith('node:'))) throw new Error(`the SDK bundle pulls in Node built-ins: ${inputs.filter(i => i.startsWith('node:')).join(', ')}`)
    const bundle = readFileSync(join(tmp, 'sdk.js'))
    bundleBytes = bundle.length
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

  it('loads the esbuild browser bundle with no Node globals in the page', async () => {
    expect(bundleBytes).toBeGreaterThan(10_000)
    const env = await page.evaluate(() => ({
      process: typeof (globalThis as Record<string, unknown>).process,
      buffer: typeof (globalThis as Record<string, unknown>).Buffer,
      subtle: typeof globalThis.crypto?.subtle,
      client: typeof globalThis.repram.RepramClient,
      ua: navigator.userAgent
    }))
    expect(env).toMatchObject({ process: 'undefined', buffer: 'undefined', subtle: 'object', client: 'function' })
    expect(env.ua).toMatch(/Chrome\//)
    expect(pageErrors).toEqual([])
  })

  it('browser encrypts and stores; Node reads and decrypts (every mode)', async () => {
    const key = sdk.generateKey()
    const classic = await sdk.generateRecipientKeyPair()
    const pq = await sdk.generateRecipientKeyPair({ pq: true })
    const out = await page.evaluate(async (a) => {
      const r = globalThis.repram
      const client = new r.RepramClient(a.nodeUrl)
      const t0 = performance.now()
      await client.putEncrypted('b2n/pass-default', 'from the browser, default KDF', { passphrase: a.passphrase, ttl: 60 })
      const defaultKdfMs = performance.now() - t0
      await client.putEncrypted('b2n/pass-scrypt', 'from the browser, scrypt', { passphrase: a.passphrase, kdf: a.scrypt, ttl: 60, flagged: true })
      await client.putEncrypted('b2n/key', 'from the browser, raw key', { key: a.key, ttl: 60 })
      await client.putEncrypted('b2n/x25519', 'from the browser, to X25519', { recipientPublicKey: a.classicPub, ttl: 60, flagged: true })
      await client.putEncrypted('b2n/xwing', 'from the browser, to X-Wing', { recipientPublicKey: a.pqPub, ttl: 60 })
      await client.put('b2n/plain', 'plain from the browser', { ttl: 60 })
      // the sender (the page) cannot open what it sealed to a recipient
      let senderError = ''
      try {
        const own = await r.generateRecipientKeyPair()
        await client.getDecrypted('b2n/x25519', { recipientPrivateKey: own.privateKey })
      } catch (err) { senderError = `${(err as Error).name}:${(err as { reason?: string }).reason ?? ''}` }
      return { defaultKdfMs, senderError }
    }, {
      nodeUrl: local.url,
      passphrase: 'browser passphrase',
      scrypt: LIGHT_SCRYPT,
      key: sdk.exportSymmetricKey(key),
      classicPub: sdk.exportRecipientPublicKey(classic.publicKey),
      pqPub: sdk.exportRecipientPublicKey(pq.publicKey)
    })
    expect(out.senderError).toBe('DecryptionError:authentication')
    console.log(`browser: default passphrase KDF (Argon2id m=19456 t=2) seal took ${out.defaultKdfMs.toFixed(0)} ms`)

    const client = new sdk.RepramClient(local.url)
    const expectations: Array<[string, sdk.GetDecryptedOptions, string, boolean]> = [
      ['b2n/pass-default', { passphrase: 'browser passphrase' }, 'from the browser, default KDF', false],
      ['b2n/pass-scrypt', { passphrase: 'browser passphrase' }, 'from the browser, scrypt', true],
      ['b2n/key', { key }, 'from the browser, raw key', false],
      ['b2n/x25519', { recipientPrivateKey: classic.privateKey }, 'from the browser, to X25519', true],
      ['b2n/xwing', { recipientPrivateKey: pq.privateKey }, 'from the browser, to X-Wing', false]
    ]
    for (const [k, opts, text, flagged] of expectations) {
      const raw = await local.node.get(k)
      expect(raw, k).toBeDefined()
      expect(Buffer.from(raw!.value).includes(text), `${k} is stored in clear`).toBe(false)
      expect(sdk.isComplianceFlagged(raw!.value)).toBe(flagged)
      const rec = await client.getDecrypted(k, opts)
      expect(dec.decode(rec?.value), k).toBe(text)
      expect(rec?.flagged).toBe(flagged)
    }
    expect((await client.getDecrypted('b2n/pass-default', { passphrase: 'browser passphrase' }))?.kdf).toEqual(sdk.DEFAULT_ARGON2ID_PARAMS)
    expect(dec.decode((await client.get('b2n/plain'))?.value)).toBe('plain from the browser')
  })

  it('Node encrypts and stores; the browser reads and decrypts (every mode), with TTL headers through CORS', async () => {
    const keys = await page.evaluate(async () => {
      const r = globalThis.repram
      const classic = await r.generateRecipientKeyPair()
      const pq = await r.generateRecipientKeyPair({ pq: true })
      // private keys stay in the page
      ;(globalThis as Record<string, unknown>).privateKeys = { classic: classic.privateKey, pq: pq.privateKey }
      return { classic: r.exportRecipientPublicKey(classic.publicKey), pq: r.exportRecipientPublicKey(pq.publicKey) }
    })
    const key = sdk.generateKey()
    const client = new sdk.RepramClient(local.url)
    await client.putEncrypted('n2b/pass', 'from Node, passphrase', { passphrase: 'node passphrase', kdf: LIGHT_ARGON2ID, ttl: 90 })
    await client.putEncrypted('n2b/key', 'from Node, raw key', { key, ttl: 90, flagged: true })
    await client.putEncrypted('n2b/x25519', 'from Node, to the page (X25519)', { recipientPublicKey: keys.classic, ttl: 90 })
    await client.putEncrypted('n2b/xwing', 'from Node, to the page (X-Wing)', { recipientPublicKey: keys.pq, ttl: 90, flagged: true })
    // Node, the sender, cannot open what it sealed to the page
    await expect(client.getDecrypted('n2b/x25519', { recipientPrivateKey: (await sdk.generateRecipientKeyPair()).privateKey }))
      .rejects.toBeInstanceOf(sdk.DecryptionError)

    const got = await page.evaluate(async (a) => {
      const r = globalThis.repram
      const pk = (globalThis as Record<string, unknown>).privateKeys as { classic: sdk.RecipientPrivateKey, pq: sdk.RecipientPrivateKey }
      const client = new r.RepramClient(a.nodeUrl)
      const td = new TextDecoder()
      const read = async (k: string, opts: sdk.GetDecryptedOptions): Promise<unknown> => {
        const rec = await client.getDecrypted(k, opts)
        return rec === null ? null : { text: td.decode(rec.value), flagged: rec.flagged, mode: rec.mode, ttl: rec.ttl, remainingTtl: rec.remainingTtl, expiresAt: rec.expiresAt }
      }
      return {
        pass: await read('n2b/pass', { passphrase: 'node passphrase' }),
        key: await read('n2b/key', { key: a.key }),
        x25519: await read('n2b/x25519', { recipientPrivateKey: pk.classic }),
        xwing: await read('n2b/xwing', { recipientPrivateKey: pk.pq }),
        missing: await read('n2b/none', { key: a.key }),
        has: await client.has('n2b/key')
      }
    }, { nodeUrl: local.url, key: sdk.exportSymmetricKey(key) })

    expect(got.pass).toMatchObject({ text: 'from Node, passphrase', flagged: false, mode: 'passphrase', ttl: 90 })
    expect(got.key).toMatchObject({ text: 'from Node, raw key', flagged: true, mode: 'key', ttl: 90 })
    expect(got.x25519).toMatchObject({ text: 'from Node, to the page (X25519)', mode: 'recipient-x25519' })
    expect(got.xwing).toMatchObject({ text: 'from Node, to the page (X-Wing)', flagged: true, mode: 'recipient-xwing' })
    expect((got.key as { remainingTtl: number }).remainingTtl).toBeGreaterThan(80)
    expect(got.missing).toBeNull()
    expect(got.has).toBe(true)
  })

  it('the browser refuses a blob moved to another key, and a tampered one, with DecryptionError', async () => {
    const key = sdk.generateKey()
    const client = new sdk.RepramClient(local.url)
    await client.putEncrypted('mv/original', 'bound to its key', { key, ttl: 60 })
    const blob = (await client.get('mv/original'))!.value
    await client.put('mv/moved', blob, { ttl: 60 })
    const tampered = blob.slice()
    tampered[tampered.length - 1] ^= 1
    await client.put('mv/tampered', tampered, { ttl: 60 })
    const reasons = await page.evaluate(async (a) => {
      const c = new globalThis.repram.RepramClient(a.nodeUrl)
      const attempt = async (k: string): Promise<string> => {
        try { await c.getDecrypted(k, { key: a.key }); return 'opened' } catch (err) { return `${(err as Error).name}:${(err as { reason?: string }).reason ?? ''}` }
      }
      return [await attempt('mv/original'), await attempt('mv/moved'), await attempt('mv/tampered')]
    }, { nodeUrl: local.url, key: sdk.exportSymmetricKey(key) })
    expect(reasons).toEqual(['opened', 'DecryptionError:authentication', 'DecryptionError:authentication'])
  })

  it('the browser checks every committed test vector', async () => {
    const file = readFileSync(VECTORS, 'utf8')
    const results = await page.evaluate(async (text) => {
      const r = globalThis.repram
      const f = JSON.parse(text) as { vectors: Array<Record<string, string>>, invalid: Array<Record<string, string>> }
      const opts = (v: Record<string, string>): sdk.OpenOptions =>
        v.key_b64url !== undefined
          ? { storageKey: v.storage_key, key: v.key_b64url }
          : v.passphrase !== undefined
            ? { storageKey: v.storage_key, passphrase: v.passphrase }
            : { storageKey: v.storage_key, recipientPrivateKey: v.recipient_private_key }
      const out: string[] = []
      for (const v of f.vectors) {
        const res = await r.open(r.fromHex(v.blob_hex), opts(v))
        out.push(`${v.name}:${r.toHex(res.plaintext) === v.plaintext_hex ? 'ok' : 'MISMATCH'}`)
      }
      for (const v of f.invalid) {
        try { await r.open(r.fromHex(v.blob_hex), opts(v)); out.push(`${v.name}:OPENED`) } catch (err) {
          out.push(`${v.name}:${(err as { reason?: string }).reason === v.expect_reason ? 'ok' : `wrong ${(err as Error).message}`}`)
        }
      }
      return out
    }, file)
    const parsed = JSON.parse(file) as { vectors: unknown[], invalid: unknown[] }
    expect(results).toHaveLength(parsed.vectors.length + parsed.invalid.length)
    expect(results.filter(r => !r.endsWith(':ok'))).toEqual([])
  })

  it('client.watch follows writes made by Node from the browser, resuming through CORS with Last-Event-ID', async () => {
    // Subscribe in the page; keep the events and the resume point on globalThis.
    await page.evaluate(async (a) => {
      const r = globalThis.repram
      const g = globalThis as Record<string, unknown>
      const events: string[] = []
      g.watchEvents = events
      const w = new r.RepramClient(a.nodeUrl).watch('b-watch/', (e) => { events.push(e.type === 'gap' ? 'gap' : `${e.type}:${e.key}`) })
      g.watch = w
      await w.ready
    }, { nodeUrl: local.url })
    await local.node.put('b-watch/1', new TextEncoder().encode('x'), { ttl: 60 })
    await page.waitForFunction(() => (globalThis as { watchEvents?: string[] }).watchEvents?.length === 1)
    // Close it, write while no one watches, and resume from the last id: the header needs a CORS preflight.
    const last = await page.evaluate(async () => {
      const w = (globalThis as Record<string, unknown>).watch as { close: () => void, closed: Promise<void>, lastEventId: string }
      w.close()
      await w.closed
      return w.lastEventId
    })
    await local.node.put('b-watch/2', new TextEncoder().encode('y'), { ttl: 60 })
    const resumed = await page.evaluate(async (a) => {
      const r = globalThis.repram
      const events: string[] = []
      let first!: () => void
      const got = new Promise<void>(resolve => { first = resolve })
      const w = new r.RepramClient(a.nodeUrl).watch('b-watch/', (e) => { events.push(e.type === 'gap' ? 'gap' : `${e.type}:${e.key}`); first() }, { lastEventId: a.last })
      await w.ready
      await got
      w.close()
      await w.closed
      return events
    }, { nodeUrl: local.url, last })
    expect(await page.evaluate(() => (globalThis as { watchEvents?: string[] }).watchEvents)).toEqual(['stored:b-watch/1'])
    expect(resumed).toEqual(['stored:b-watch/2'])
    expect(pageErrors).toEqual([])
  })
})
