/**
 * The import graph of `src/` and `actors/` (issue 14): no circles, and dependencies that
 * point one way (STYLE.md): actors never import the node, the network, HTTP, the CLI or the
 * attestation service; the node never imports the network (it defines the seam the
 * network plugs into, `src/node/store.ts`). Built by dpdm from the TypeScript sources;
 * type-only imports count (a circle through types is still a design circle).
 */
import { join } from 'node:path'
import { parseCircular, parseDependencyTree } from 'dpdm'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
type Tree = Awaited<ReturnType<typeof parseDependencyTree>>
let tree: Tree

/** The project's own imports of `file` (paths relative to the root). */
function importsOf (file: string): string[] {
  return (tree[file] ?? []).map(d => d.id).filter((id): id is string => id !== null && !id.startsWith('node_modules/'))
}

beforeAll(async () => {
  tree = await parseDependencyTree(['src/**/*.ts', 'actors/**/*.ts'], { context: ROOT, transform: false, skipDynamicImports: false, tsconfig: join(ROOT, 'tsconfig.json') })
})

describe('the import graph', () => {
  it('covers every source file, type-only imports included', () => {
    expect(Object.keys(tree).filter(f => f.startsWith('src/')).length).toBeGreaterThan(60)
    expect(Object.keys(tree).filter(f => f.startsWith('actors/')).length).toBeGreaterThan(20)
    // src/node/store.ts has type-only imports: they must be seen.
    expect(importsOf('src/node/store.ts')).toContain('src/record.ts')
  })

  it('has no circles in src/ or actors/', () => {
    const circles = parseCircular(tree).map(c => [...c, c[0]].join(' -> '))
    expect(circles, 'import circles').toEqual([])
  })

  it('points one way: actors import nothing of the node, network, HTTP, CLI or attestation service', () => {
    const upward = /^src\/(net|node|http|cli|attest)\//
    const bad = Object.keys(tree).filter(f => f.startsWith('actors/')).flatMap(f => importsOf(f).filter(d => upward.test(d)).map(d => `${f} -> ${d}`))
    expect(bad).toEqual([])
  })

  it('points one way: the node never imports the network layer', () => {
    const bad = Object.keys(tree).filter(f => f.startsWith('src/node/')).flatMap(f => importsOf(f).filter(d => d.startsWith('src/net/')).map(d => `${f} -> ${d}`))
    expect(bad).toEqual([])
  })

  it('finds a circle when there is one (the check can fail)', () => {
    const fake: Tree = { 'a.ts': [{ issuer: 'a.ts', request: './b', kind: 'StaticImport' as any, id: 'b.ts' }], 'b.ts': [{ issuer: 'b.ts', request: './a', kind: 'StaticImport' as any, id: 'a.ts' }] } as any
    expect(parseCircular(fake)).toHaveLength(1)
  })
})
