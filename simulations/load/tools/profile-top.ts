/**
 * Prints the top functions of one or more `.cpuprofile` files.
 *
 * @example
 * npx tsx simulations/load/tools/profile-top.ts simulations/results/<ts>/repram-put.cpuprofile [--top 40]
 */
import { parseArgs } from 'node:util'
import { renderProfileSummary, summarizeProfileFile } from '../lib/cpuprofile.js'

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } })
if (positionals.length === 0) {
  console.error('usage: tsx simulations/load/tools/profile-top.ts <file.cpuprofile>... [--top N]')
  process.exit(2)
}
for (const file of positionals) {
  console.log(renderProfileSummary(file, await summarizeProfileFile(file, Number(values.top))))
  console.log()
}
