import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { CONFIG_FIELDS, loadConfig } from '../../src/config.js'

const root = join(import.meta.dirname, '..', '..')
const known = new Set(CONFIG_FIELDS.map(f => f.env))
// Variables that are not node config but are read by Node.js or the image itself.
const external = new Set(['NODE_ENV', 'NODE_OPTIONS'])

/** `ENV A=1 B=2` lines of a Dockerfile, continuation lines joined. */
export function dockerfileEnv (text: string): Record<string, string> {
  const joined = text.replace(/\\\n\s*/g, ' ')
  const env: Record<string, string> = {}
  for (const line of joined.split('\n')) {
    const m = /^\s*ENV\s+(.*)$/.exec(line)
    if (m == null) continue
    for (const pair of m[1].trim().split(/\s+/)) {
      const eq = pair.indexOf('=')
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
  }
  return env
}

function composeEnvs (): Array<[string, Record<string, string>]> {
  const doc = parseAllDocuments(readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8'), { merge: true })[0].toJS({ maxAliasCount: 100 }) as { services: Record<string, { environment?: Record<string, string> }> }
  return Object.entries(doc.services).map(([name, s]) => [name, s.environment ?? {}])
}

function k8sEnvs (): Array<Record<string, string | undefined>> {
  const out: Array<Record<string, string | undefined>> = []
  for (const file of readdirSync(join(root, 'docker', 'k8s'))) {
    for (const doc of parseAllDocuments(readFileSync(join(root, 'docker', 'k8s', file), 'utf8'))) {
      const obj = doc.toJS() as { kind?: string, spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string, value?: string }> }> } } } }
      for (const c of obj?.spec?.template?.spec?.containers ?? []) {
        out.push(Object.fromEntries((c.env ?? []).map(e => [e.name, e.value])))
      }
    }
  }
  return out
}

describe('container files name only real config', () => {
  it('the Dockerfile sets only known REPRAM_* variables, and they validate', () => {
    const env = dockerfileEnv(readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8'))
    expect(Object.keys(env).length).toBeGreaterThan(0)
    for (const k of Object.keys(env)) expect(known.has(k) || external.has(k), `${k} is not a config variable`).toBe(true)
    expect(() => loadConfig({ env })).not.toThrow()
  })

  it('compose services use only known variables, and each service config validates', () => {
    const services = composeEnvs()
    expect(services).toHaveLength(3)
    for (const [name, env] of services) {
      for (const k of Object.keys(env)) expect(known.has(k) || external.has(k), `${name}: ${k} is not a config variable`).toBe(true)
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).startsWith('${') ? 'a-long-enough-test-secret' : String(v)]))
      expect(() => loadConfig({ env: resolved }), name).not.toThrow()
    }
  })

  it('the Kubernetes workload uses only known variables, and its config validates', () => {
    const containers = k8sEnvs()
    expect(containers.length).toBeGreaterThan(0)
    for (const env of containers) {
      for (const k of Object.keys(env)) expect(known.has(k) || external.has(k), `${k} is not a config variable`).toBe(true)
      const literal = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !external.has(e[0])))
      expect(() => loadConfig({ env: { ...literal, REPRAM_CLUSTER_SECRET: 'a-long-enough-test-secret' } })).not.toThrow()
    }
  })
})
