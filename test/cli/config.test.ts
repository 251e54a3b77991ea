/**
 * The CLI's config surface: one `repram start` flag per config field, flags over env
 * over file, and the docs' configuration tables generated from the same fields.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { CONFIG_FIELDS, loadConfig } from '../../src/config.js'
import { extractBlock, GENERATED_BLOCKS, renderBlock, renderConfigTable } from '../../src/cli/config-table.js'
import { createProgram } from '../../src/cli/program.js'
import { addConfigOptions, overridesFromFlags } from '../../src/cli/start.js'
import { processIo } from '../../src/cli/io.js'

const root = new URL('../../', import.meta.url)

function parseStartFlags (argv: string[]): Record<string, unknown> {
  const cmd = addConfigOptions(new Command('start')).exitOverride().action(() => {})
  cmd.parse(argv, { from: 'user' })
  return overridesFromFlags(cmd.opts())
}

describe('repram start flags', () => {
  it('has exactly one flag per config field, spelled as in CONFIG_FIELDS', async () => {
    const start = (await createProgram(processIo(), ['start'])).commands.find(c => c.name() === 'start')!
    const flags = start.options.map(o => o.flags)
    for (const f of CONFIG_FIELDS) expect(flags).toContain(f.flag)
    expect(flags.filter(f => f !== '--config <file>')).toHaveLength(CONFIG_FIELDS.length)
  })

  it('maps every flag to its config field (e.g. --write-timeout to writeTimeoutMs)', () => {
    const argv = CONFIG_FIELDS.flatMap(f => [f.flag.split(' ')[0], `v-${f.key}`])
    const overrides = parseStartFlags(argv)
    expect(Object.keys(overrides).sort()).toEqual(CONFIG_FIELDS.map(f => f.key).sort())
    for (const f of CONFIG_FIELDS) expect(overrides[f.key]).toBe(`v-${f.key}`)
  })

  it('gives flags precedence over env, and env over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repram-config-'))
    try {
      const file = join(dir, 'repram.json')
      writeFileSync(file, JSON.stringify({ enclave: 'from-file', replication: 5, httpPort: 1111 }))
      const overrides = parseStartFlags(['--http-port', '3333', '--write-timeout', '2s'])
      const config = loadConfig({ file, env: { REPRAM_ENCLAVE: 'from-env', REPRAM_HTTP_PORT: '2222' }, overrides: overrides as never })
      expect(config).toMatchObject({ replication: 5, enclave: 'from-env', httpPort: 3333, writeTimeoutMs: 2000 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('configuration docs', () => {
  it('renders one table row per config field', () => {
    expect(renderConfigTable().split('\n')).toHaveLength(CONFIG_FIELDS.length + 2)
  })

  const expected: Array<[string, string]> = [['README.md', 'config-table'], ['docs/configuration.md', 'config-table'], ['docs/configuration.md', 'profile-table']]
  for (const [file, block] of expected) {
    it(`${file} holds exactly the ${block} generated from src/config.ts (regenerate: npx tsx src/cli/config-table.ts)`, () => {
      const text = readFileSync(new URL(file, root), 'utf8')
      expect(extractBlock(text, block)).toBe(renderBlock(block))
    })
  }

  it('knows every block the docs hold', () => {
    expect(Object.keys(GENERATED_BLOCKS).sort()).toEqual(['config-table', 'profile-table'])
  })
})
