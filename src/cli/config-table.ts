/**
 * Renders the configuration tables of README.md and docs/configuration.md from
 * {@link CONFIG_FIELDS} and the profiles, so the docs cannot drift from the code
 * (test/cli/config.test.ts compares them). Each table sits between two markers;
 * run this file to rewrite every table in place:
 *
 * @example
 * // npx tsx src/cli/config-table.ts            (README.md and docs/configuration.md)
 * import { renderConfigTable } from './config-table.js'
 * console.log(renderConfigTable())
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { CONFIG_FIELDS, profileDefaults, type ConfigField, type ConfigProfile, type RepramConfig } from '../config.js'

/**
 * A default value as a user would type it in the env or on the command line:
 * durations as `5s`/`500ms`, lists comma separated, the home directory as `~`.
 */
export function formatDefault (key: keyof RepramConfig, value: unknown): string {
  if (value === undefined) return '(none)'
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',')
  if (typeof value === 'number' && key.endsWith('Ms')) return value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`
  if (typeof value === 'string') {
    const home = homedir()
    return home !== '' && value.startsWith(home) ? `~${value.slice(home.length)}` : value
  }
  return String(value)
}

function cell (s: string): string {
  return s.replace(/\|/g, '\\|')
}

/** The markdown table: env, flag, default (profile `default`), meaning. One row per field. */
export function renderConfigTable (fields: readonly ConfigField[] = CONFIG_FIELDS): string {
  const defaults = profileDefaults('default')
  const rows = fields.map(f => `| \`${f.env}\` | \`${f.flag}\` | \`${cell(formatDefault(f.key, defaults[f.key]))}\` | ${cell(f.description)} |`)
  return ['| env | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

const PROFILES: readonly ConfigProfile[] = ['default', 'test', 'docker', 'public']

/** The fields on which the profiles differ, one column per profile. */
export function renderProfileTable (fields: readonly ConfigField[] = CONFIG_FIELDS): string {
  const sets = PROFILES.map(p => profileDefaults(p))
  const rows = fields
    .filter(f => f.key !== 'profile' && sets.some(s => formatDefault(f.key, s[f.key]) !== formatDefault(f.key, sets[0][f.key])))
    .map(f => `| \`${f.env}\` | ${sets.map(s => `\`${cell(formatDefault(f.key, s[f.key]))}\``).join(' | ')} |`)
  return [`| env | ${PROFILES.join(' | ')} |`, `|---|${PROFILES.map(() => '---').join('|')}|`, ...rows].join('\n')
}

/** The generated blocks, by marker name. */
export const GENERATED_BLOCKS: Readonly<Record<string, () => string>> = {
  'config-table': () => renderConfigTable(),
  'profile-table': () => renderProfileTable()
}

function markers (name: string): { start: string, end: string } {
  return { start: `<!-- ${name}:start (generated from src/config.ts by src/cli/config-table.ts; do not edit by hand) -->`, end: `<!-- ${name}:end -->` }
}

/** A block with its markers, as it appears in the docs. */
export function renderBlock (name: string): string {
  const render = GENERATED_BLOCKS[name]
  if (render === undefined) throw new Error(`no generated block named ${name}`)
  const m = markers(name)
  return `${m.start}\n${render()}\n${m.end}`
}

/** The block `name` of `markdown` (markers included), or undefined if absent. */
export function extractBlock (markdown: string, name: string): string | undefined {
  const m = markers(name)
  const start = markdown.indexOf(m.start)
  if (start < 0) return undefined
  const end = markdown.indexOf(m.end, start)
  if (end < 0) return undefined
  return markdown.slice(start, end + m.end.length)
}

/** `markdown` with every generated block it holds replaced by the current one. */
export function replaceBlocks (markdown: string): string {
  let out = markdown
  for (const name of Object.keys(GENERATED_BLOCKS)) {
    const old = extractBlock(out, name)
    if (old !== undefined) out = out.replace(old, () => renderBlock(name))
  }
  return out
}

// Run directly (npx tsx src/cli/config-table.ts [FILE...]): rewrite the tables in each file.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2)
  for (const file of files.length > 0 ? files : ['README.md', 'docs/configuration.md']) {
    const before = readFileSync(file, 'utf8')
    const after = replaceBlocks(before)
    if (after !== before) writeFileSync(file, after)
    console.log(`${after !== before ? 'updated' : 'unchanged'} ${file}`)
  }
}
