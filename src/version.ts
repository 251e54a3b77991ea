import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The package version, read from package.json (works from src/ under tsx and from dist/src/). */
export const VERSION: string = (() => {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(p) as { name?: string, version?: string }
      if (pkg.name === 'repram' && typeof pkg.version === 'string') return pkg.version
    } catch {}
  }
  return '0.0.0'
})()
