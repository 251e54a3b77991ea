/**
 * Readers for docker/Dockerfile and docker/compose.yaml, shared by the container tests:
 * the runtime stage's ENV, CMD, HEALTHCHECK, USER, EXPOSE; compose services with
 * anchors merged and `${VAR:?…}` interpolation as Compose does it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'

export const ROOT = join(import.meta.dirname, '..', '..')

/** The parts of a Dockerfile stage the tests run or check. */
export interface DockerStage {
  from: string
  env: Record<string, string>
  cmd: string[] | undefined
  healthcheck: { options: Record<string, string>, cmd: string[] } | undefined
  user: string | undefined
  expose: string[]
  workdir: string | undefined
  lines: string[]
}

/** Splits a Dockerfile into stages (continuation lines joined, comments dropped). */
export function dockerStages (text: string): DockerStage[] {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  const stages: DockerStage[] = []
  for (const line of lines) {
    const [, instr = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    const op = instr.toUpperCase()
    if (op === 'FROM') {
      stages.push({ from: rest, env: {}, cmd: undefined, healthcheck: undefined, user: undefined, expose: [], workdir: undefined, lines: [] })
      continue
    }
    const s = stages[stages.length - 1]
    if (s === undefined) continue
    s.lines.push(line)
    switch (op) {
      case 'ENV':
        for (const pair of rest.split(/\s+/)) {
          const eq = pair.indexOf('=')
          if (eq > 0) s.env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1')
        }
        break
      case 'CMD': s.cmd = JSON.parse(rest) as string[]; break
      case 'USER': s.user = rest; break
      case 'WORKDIR': s.workdir = rest; break
      case 'EXPOSE': s.expose.push(...rest.split(/\s+/)); break
      case 'HEALTHCHECK': {
        const m = /^((?:--\S+\s+)*)CMD\s+(\[.*\])$/.exec(rest)
        if (m == null) throw new Error(`HEALTHCHECK must use the exec form: ${rest}`)
        const options = Object.fromEntries([...m[1].matchAll(/--([\w-]+)=(\S+)/g)].map(x => [x[1], x[2]]))
        s.healthcheck = { options, cmd: JSON.parse(m[2]) as string[] }
        break
      }
    }
  }
  return stages
}

/** The stages of docker/Dockerfile; the last one is the image. */
export function readDockerfile (): DockerStage[] {
  return dockerStages(readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8'))
}

/** One compose service, as the tests use it. */
export interface ComposeService {
  environment: Record<string, string>
  healthcheck?: { test: string[], interval?: string, timeout?: string, retries?: number, start_period?: string }
  depends_on?: Record<string, { condition: string }>
  read_only?: boolean
  volumes?: string[]
  ports?: string[]
  [k: string]: unknown
}

/** Compose variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR:?error}`), as `docker compose` does it. */
export function interpolate (value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const v = vars[name]
    if (v !== undefined && v !== '') return v
    if (op === '?') throw new Error(`required variable ${name} is missing a value: ${arg}`)
    return op === '-' ? arg : ''
  })
}

/** docker/compose.yaml, anchors merged, environment interpolated from `vars`. */
export function readCompose (vars: Record<string, string | undefined>): { services: Record<string, ComposeService>, volumes?: Record<string, unknown> } {
  const doc = parseAllDocuments(readFileSync(join(ROOT, 'docker', 'compose.yaml'), 'utf8'), { merge: true })[0].toJS({ maxAliasCount: 100 }) as { services: Record<string, ComposeService>, volumes?: Record<string, unknown> }
  for (const s of Object.values(doc.services)) {
    s.environment = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]))
  }
  return doc
}
