/**
 * Pieces of the CLI that need no process: key paths, and when the encryption module
 * is loaded.
 */
import { describe, expect, it } from 'vitest'
import { encodeKeyPath, PLAIN_CLIENT_FLAGS } from '../../src/cli/client-commands.js'
import { needsCrypto, PASS_THROUGH } from '../../src/cli/crypto-hooks.js'
import { processIo } from '../../src/cli/io.js'
import { createProgram } from '../../src/cli/program.js'

describe('key paths', () => {
  it('percent-encodes each segment and keeps "/"', () => {
    expect(encodeKeyPath('app/session 1/ü?#%')).toBe('app/session%201/%C3%BC%3F%23%25')
  })

  it('encodes the slashes too when a "." or ".." segment would be collapsed by URL normalisation', () => {
    expect(encodeKeyPath('a/../b')).toBe('a%2F..%2Fb')
    expect(decodeURIComponent(encodeKeyPath('./x'))).toBe('./x')
  })
})

describe('loading the encryption module', () => {
  it('lists exactly the flags put and get have without encryption', async () => {
    const program = await createProgram(processIo(), ['status'])
    for (const name of ['put', 'get']) {
      const cmd = program.commands.find(c => c.name() === name)!
      for (const o of cmd.options) {
        if (o.short !== undefined) expect(PLAIN_CLIENT_FLAGS).toContain(o.short)
        if (o.long !== undefined) expect(PLAIN_CLIENT_FLAGS).toContain(o.long)
      }
    }
  })

  it('is skipped for plain client commands, and loaded for keygen, crypto flags and help', () => {
    expect(needsCrypto(['get', 'k'])).toBe(false)
    expect(needsCrypto(['put', 'k', '-', '--ttl=60', '-q', '--url', 'http://x'])).toBe(false)
    expect(needsCrypto(['put', 'k', 'v', '--jurisdiction', 'eu'])).toBe(false)
    expect(needsCrypto(['put', 'k', '--', '--encrypt'])).toBe(false)
    expect(needsCrypto(['status', '--encrypt'])).toBe(false)
    expect(needsCrypto(['keygen'])).toBe(true)
    expect(needsCrypto(['put', 'k', '--encrypt', '--key-file', 'f'])).toBe(true)
    expect(needsCrypto(['get', 'k', '--decrypt'])).toBe(true)
    expect(needsCrypto(['get', '--help'])).toBe(true)
    expect(needsCrypto(['help', 'put'])).toBe(true)
  })

  it('passes bytes through unchanged when not loaded', async () => {
    const bytes = new Uint8Array([0, 255])
    expect(await PASS_THROUGH.encryptForCli({}, 'k', bytes)).toBe(bytes)
    expect(await PASS_THROUGH.decryptForCli({}, 'k', bytes)).toBe(bytes)
  })
})
