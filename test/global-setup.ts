/**
 * Process-level tests run the built CLI (`dist/`). `npm test` builds first; this makes a
 * bare `npx vitest run` build too, instead of failing or skipping those tests.
 */
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export default function setup (): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  if (!existsSync(`${root}dist/src/cli/main.js`)) execSync('npm run build', { cwd: root, stdio: 'inherit' })
}
