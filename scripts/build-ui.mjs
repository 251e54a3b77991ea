#!/usr/bin/env node
/**
 * Builds the dashboard (issue 18 §4) into `dist/ui/`: `ui/src/main.ts` bundled by esbuild
 * into one browser module `app.js`, the static files of `ui/` copied beside it, and a
 * `manifest.json` naming every file the node may serve (src/http/ui.ts serves those and
 * nothing else). Run by `npm run build` after the type checks.
 *
 * Each file is written to a temporary name and renamed into place, so a node (or a
 * test) reading `dist/ui/` while a build runs sees whole files, old or new.
 *
 * @example
 * // node scripts/build-ui.mjs            → dist/ui/{index.html,style.css,favicon.svg,app.js,manifest.json}
 * import { buildUi } from './scripts/build-ui.mjs'
 * await buildUi({ outDir: '/tmp/ui' })
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The static files copied as they are, from `ui/`. */
export const STATIC_FILES = ['index.html', 'style.css', 'favicon.svg']

/** The bundle's name in the output. */
export const BUNDLE = 'app.js'

/**
 * Builds the dashboard into `outDir` and returns the manifest it wrote.
 * @param {{ root?: string, outDir?: string }} [opts]
 * @returns {Promise<{ version: 1, files: Record<string, { bytes: number, sha256: string }> }>}
 */
export async function buildUi (opts = {}) {
  const root = opts.root ?? ROOT
  const outDir = opts.outDir ?? join(root, 'dist', 'ui')
  mkdirSync(outDir, { recursive: true })
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'ui', 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: 'silent'
  })
  const nodeBuiltins = Object.keys(result.metafile.inputs).filter(i => i.startsWith('node:'))
  if (nodeBuiltins.length > 0) throw new Error(`the dashboard bundle pulls in Node built-ins: ${nodeBuiltins.join(', ')}`)
  const contents = new Map([[BUNDLE, result.outputFiles[0].contents]])
  for (const f of STATIC_FILES) contents.set(f, readFileSync(join(root, 'ui', f)))

  const manifest = { version: 1, files: {} }
  for (const [name, bytes] of contents) {
    writeWhole(join(outDir, name), bytes)
    manifest.files[name] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }
  }
  // The manifest last: a reader that finds it finds every file it names.
  writeWhole(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  return manifest
}

/** Writes `file` whole: to a temporary name first, then renamed over the old one. */
function writeWhole (file, data) {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, file)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const m = await buildUi()
  const total = Object.values(m.files).reduce((n, f) => n + f.bytes, 0)
  console.log(`dashboard: ${Object.keys(m.files).length} files, ${(total / 1024).toFixed(1)} KiB → dist/ui/`)
}
