/**
 * Network namespaces for tests that need several hosts (the NAT and UPnP tests): a
 * command runner that throws with the command's stderr, and a set of namespaces created
 * under one test's prefix and deleted, with every process left in them, at the end.
 *
 * @example
 * const spaces = new Namespaces(name => `rpn${id}${name}`)
 * const lan = spaces.add('lan')
 * afterAll(() => spaces.deleteAll())
 */
import { spawnSync } from 'node:child_process'

/** Runs `cmd`; returns its stdout, throws with its stderr when it fails. */
export function run (cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr ?? r.error?.message ?? '').trim()}`)
  return r.stdout
}

/** The namespaces one test created. */
export class Namespaces {
  private readonly created: string[] = []

  constructor (private readonly nameOf: (name: string) => string) {}

  /** Creates the namespace for `name` with its loopback up; returns its full name. */
  add (name: string): string {
    const n = this.nameOf(name)
    run('ip', ['netns', 'add', n])
    this.created.push(n)
    run('ip', ['-n', n, 'link', 'set', 'lo', 'up'])
    return n
  }

  /** Kills every process left in them and deletes them, newest first. */
  deleteAll (): void {
    for (const n of this.created.splice(0).reverse()) {
      const pids = spawnSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).stdout?.split('\n').filter(s => s.trim() !== '') ?? []
      for (const p of pids) { try { process.kill(Number(p), 'SIGKILL') } catch {} }
      spawnSync('ip', ['netns', 'del', n])
    }
  }
}
