/**
 * The import graph of `src/` and `actors/` (issue 14): no circles, and dependencies that
 * point one way (STYLE.md, docs/architecture.md "Layers"): an actor imports from `src/`
 * only the layers below it (`src/wire/`, `src/record.ts`, `src/clock.ts`, `src/errors.ts`,
 * `src/config.ts`, `src/logger.ts`), and the node never imports the network (it defines
 * the seam the network plugs into, `src/node/store.ts`).
 *
 * Built by dpdm from the TypeScript sources (not dist/) in about a second. Type-only
 * imports and exports count (`transform: false` keeps them): a circle through types is
 * still a design circle. A failure lists each circle as a chain `a -> b -> a` and each
 * forbidden import as `importer -> imported`.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const TSCONFIG = join(ROOT, 'tsconfig.json')

/** What `actors/**` may import from `src/`: the layers below the actors. */
const BELOW_ACTORS = /^src\/(?:(?:record|clock|errors|config|logger)\.ts$|wire\/)/

let tree: DependencyTree

/**
 * The import graph of the `.ts` files matched by `globs` under `dir`, type-only imports
 * included. The tsconfig lets dpdm resolve `./x.js` to `./x.ts` (NodeNext imports).
 */
async function importGraph (globs: string[], dir: string): Promise<DependencyTree> {
  return await parseDependencyTree(globs, { cwd: dir, context: dir, transform: false, skipDynamicImports: false, tsconfig: TSCONFIG })
}

/**
 * Every import edge between the project's own files (paths relative to the root). Not
 * the project's: a package, a builtin, and anything outside the root (a symlinked or
 * shared node_modules resolves to `../…`).
 */
function edges (): Array<{ from: string, to: string }> {
  return Object.values(tree).flatMap(deps => deps ?? [])
    .filter(d => d.id !== null && !d.id.startsWith('../') && !d.id.startsWith('node_modules/') && !isBuiltin(d.id))
    .map(d => ({ from: d.issuer, to: d.id as string }))
}

/** Each circle as a readable chain, `a -> b -> a`. */
function chains (graph: DependencyTree): string[] {
  return parseCircular(graph).map(c => [...c, c[0]].join(' -> '))
}

function sources (dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true }).map(String).filter(f => f.endsWith('.ts')).map(f => `${dir}/${f}`)
}

beforeAll(async () => {
  tree = await importGraph(['src/**/*.ts', 'actors/**/*.ts'], ROOT)
})

describe('the import graph of src/ and actors/', () => {
  it('holds every .ts file, with every relative import resolved', () => {
    const missing = [...sources('src'), ...sources('actors')].filter(f => tree[f] === undefined)
    expect(missing, 'source files dpdm did not read').toEqual([])
    const unresolved = Object.values(tree).flatMap(deps => deps ?? []).filter(d => d.id === null && d.request.startsWith('.')).map(d => `${d.issuer}: ${d.request}`)
    expect(unresolved, 'relative imports dpdm could not resolve (their edges would be missing)').toEqual([])
  })

  it('has no import circles', () => {
    expect(chains(tree), 'import circles').toEqual([])
  })

  it('actors import from src/ only the wire format, record, clock, errors, config and logger', () => {
    const upward = edges().filter(e => e.from.startsWith('actors/') && !e.to.startsWith('actors/') && !BELOW_ACTORS.test(e.to))
    expect(upward.map(e => `${e.from} -> ${e.to}`), 'actors importing from above them').toEqual([])
  })

  it('the node never imports the network layer', () => {
    const upward = edges().filter(e => e.from.startsWith('src/node/') && e.to.startsWith('src/net/'))
    expect(upward.map(e => `${e.from} -> ${e.to}`), 'src/node importing src/net').toEqual([])
  })
})

describe('the check itself', () => {
  it('finds a circle made only of type imports between .js-suffixed paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repram-arch-'))
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js'\nexport interface A { b?: B }\n")
      writeFileSync(join(dir, 'b.ts'), "export type { A as B } from './a.js'\n")
      const found = chains(await importGraph(['*.ts'], dir))
      expect(found).toHaveLength(1)
      expect(['a.ts -> b.ts -> a.ts', 'b.ts -> a.ts -> b.ts']).toContain(found[0])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.each([
    ['src/wire/attestation.ts', true], ['src/wire/pb/repram.ts', true], ['src/clock.ts', true], ['src/logger.ts', true],
    ['src/net/transport.ts', false], ['src/node/store.ts', false], ['src/http/app.ts', false], ['src/cli/main.ts', false],
    ['src/attest/signer.ts', false], ['src/sdk/attest/canonical.ts', false], ['src/create.ts', false], ['src/wire.ts', false]
  ])('lets actors import %s: %s', (path, allowed) => {
    expect(BELOW_ACTORS.test(path)).toBe(allowed)
  })
})
