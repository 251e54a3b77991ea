/**
 * A test LAN of network namespaces for the partition and slow-link scenarios (root and
 * iproute2; see STACK.md "A test LAN from network namespaces"). No traffic leaves the
 * namespaces this creates, except HTTP from the runner to the nodes over one veth.
 *
 * ```
 *  root ns ── rc<id>r (198.19.S.254) ─┐
 *                                     │  lan ns rc<id>l:  brc (control: HTTP only)
 *  host ns rc<id>h<i>:                │                   bra, brb (data: libp2p)
 *    c<i> 198.19.S.i ─────────────────┘ brc
 *    d<i> 198.18.S.i ──────────────────  bra (or brb while partitioned)
 * ```
 *
 * Nodes listen for libp2p on their data address only, so a partition moves some hosts'
 * data ports from bridge `bra` to `brb`: each side still talks within itself, packets
 * across are lost (no reset), and the runner keeps reaching every node's HTTP on the
 * control bridge. Heal moves them back. `shape()` slows a host's data link both ways:
 * netem delay and loss when the kernel has it, else a token bucket (tbf) whose small
 * queue drops what waits too long.
 *
 * Every name carries a run id, so runs do not collide; {@link NetnsLan.destroy} (also
 * called synchronously on process exit) deletes every namespace and the root veth.
 *
 * @example
 * const lan = await NetnsLan.create(5)
 * try { lan.partition([3, 4]); lan.heal() } finally { lan.destroy() }
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

/** Runs `ip …` (or another command) and throws with its stderr on failure. */
function run (cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr ?? r.error?.message ?? '').trim()}`)
  return r.stdout
}

/** Whether namespaces can be made here, and whether netem exists; with the reason when not. */
export function probeNetns (): { netns: boolean, netem: boolean, reason?: string } {
  const ns = `rc${randomBytes(2).toString('hex')}p`
  try {
    run('ip', ['netns', 'add', ns])
  } catch (err) {
    return { netns: false, netem: false, reason: `network namespaces unavailable (${(err as Error).message.split('\n')[0]}); needs root and iproute2` }
  }
  try {
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    let netem = true
    try { run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']) } catch { netem = false }
    return { netns: true, netem }
  } catch (err) {
    return { netns: false, netem: false, reason: `network namespaces unusable: ${(err as Error).message}` }
  } finally {
    spawnSync('ip', ['netns', 'del', ns])
  }
}

const live = new Set<NetnsLan>()
process.once('exit', () => { for (const lan of live) lan.destroy() })

/** How a host's link is shaped. */
export interface Shape { kind: 'netem' | 'tbf', spec: string }

/** The namespaces of one run. */
export class NetnsLan {
  readonly id: string
  /** Third octet of this run's subnets. */
  readonly subnet: number
  private readonly created: string[] = []
  private rootLink?: string
  private readonly shaped = new Set<number>()

  private constructor (readonly hosts: number) {
    this.id = randomBytes(2).toString('hex')
    this.subnet = this.freeSubnet()
  }

  /** Creates the lan namespace with its bridges and `hosts` host namespaces (1-based). */
  static async create (hosts: number): Promise<NetnsLan> {
    const lan = new NetnsLan(hosts)
    live.add(lan)
    try {
      lan.build()
    } catch (err) {
      lan.destroy()
      throw err
    }
    return lan
  }

  get lanNs (): string { return `rc${this.id}l` }
  hostNs (i: number): string { return `rc${this.id}h${i}` }
  /** Data (libp2p) address of host `i`. */
  dataAddr (i: number): string { return `198.18.${this.subnet}.${i}` }
  /** Control (HTTP) address of host `i`, reached from the root namespace. */
  ctlAddr (i: number): string { return `198.19.${this.subnet}.${i}` }

  private freeSubnet (): number {
    const routes = run('ip', ['-4', 'route', 'show'])
    for (let tries = 0; tries < 50; tries++) {
      const s = 1 + Math.floor(Math.random() * 250)
      if (!routes.includes(`198.19.${s}.0/24`)) return s
    }
    throw new Error('no free 198.19.x.0/24 subnet for the control bridge')
  }

  private addNs (name: string): void {
    run('ip', ['netns', 'add', name])
    this.created.push(name)
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  }

  private build (): void {
    const L = this.lanNs
    this.addNs(L)
    for (const br of ['bra', 'brb', 'brc']) {
      run('ip', ['-n', L, 'link', 'add', br, 'type', 'bridge'])
      run('ip', ['-n', L, 'link', 'set', br, 'up'])
    }
    // The runner's way in: one veth from the root namespace to the control bridge.
    const r = `rc${this.id}r`
    run('ip', ['link', 'add', r, 'type', 'veth', 'peer', 'name', `rc${this.id}R`])
    this.rootLink = r
    run('ip', ['link', 'set', `rc${this.id}R`, 'netns', L])
    run('ip', ['-n', L, 'link', 'set', `rc${this.id}R`, 'master', 'brc', 'up'])
    run('ip', ['addr', 'add', `${this.ctlAddr(254)}/24`, 'dev', r])
    run('ip', ['link', 'set', r, 'up'])
    for (let i = 1; i <= this.hosts; i++) {
      const H = this.hostNs(i)
      this.addNs(H)
      for (const [kind, br, addr] of [['d', 'bra', this.dataAddr(i)], ['c', 'brc', this.ctlAddr(i)]] as const) {
        const inner = `${kind}${i}`
        const outer = `rc${this.id}${kind.toUpperCase()}${i}`
        run('ip', ['link', 'add', inner, 'netns', H, 'type', 'veth', 'peer', 'name', outer, 'netns', L])
        run('ip', ['-n', L, 'link', 'set', outer, 'master', br, 'up'])
        run('ip', ['-n', H, 'addr', 'add', `${addr}/24`, 'dev', inner])
        run('ip', ['-n', H, 'link', 'set', inner, 'up'])
      }
    }
  }

  /** Moves the data ports of `hosts` to the other bridge: they talk among themselves only. */
  partition (hosts: number[]): void {
    for (const i of hosts) run('ip', ['-n', this.lanNs, 'link', 'set', `rc${this.id}D${i}`, 'master', 'brb'])
  }

  /** Every data port back on one bridge. */
  heal (): void {
    for (let i = 1; i <= this.hosts; i++) run('ip', ['-n', this.lanNs, 'link', 'set', `rc${this.id}D${i}`, 'master', 'bra'])
  }

  /**
   * Slows host `i`'s data link in both directions: `netem delay 50ms loss 5%` when the
   * kernel has netem, else a token bucket (`tbf rate 1mbit burst 16kb latency 30ms`:
   * queueing delay, and drops once a packet would wait longer). Returns what was applied.
   */
  shape (i: number, netem: boolean): Shape {
    const spec = netem ? ['netem', 'delay', '50ms', 'loss', '5%'] : ['tbf', 'rate', '1mbit', 'burst', '16kb', 'latency', '30ms']
    run('ip', ['netns', 'exec', this.hostNs(i), 'tc', 'qdisc', 'add', 'dev', `d${i}`, 'root', ...spec])
    run('ip', ['netns', 'exec', this.lanNs, 'tc', 'qdisc', 'add', 'dev', `rc${this.id}D${i}`, 'root', ...spec])
    this.shaped.add(i)
    return { kind: netem ? 'netem' : 'tbf', spec: spec.join(' ') }
  }

  /** Removes the shaping of host `i`. */
  unshape (i: number): void {
    spawnSync('ip', ['netns', 'exec', this.hostNs(i), 'tc', 'qdisc', 'del', 'dev', `d${i}`, 'root'])
    spawnSync('ip', ['netns', 'exec', this.lanNs, 'tc', 'qdisc', 'del', 'dev', `rc${this.id}D${i}`, 'root'])
    this.shaped.delete(i)
  }

  /** Deletes the namespaces (their veths and qdiscs go with them) and the root veth. Synchronous and safe to call twice. */
  destroy (): void {
    for (const i of [...this.shaped]) this.unshape(i)
    if (this.rootLink !== undefined) { spawnSync('ip', ['link', 'del', this.rootLink]); this.rootLink = undefined }
    for (const ns of this.created.splice(0).reverse()) {
      // Anything still running inside would keep the namespace's processes alive: kill it first.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').filter(s => s.trim() !== '') ?? []
      for (const p of pids) { try { process.kill(Number(p), 'SIGKILL') } catch { /* gone */ } }
      spawnSync('ip', ['netns', 'del', ns])
    }
    live.delete(this)
  }
}

/** For tests: the namespaces of this machine whose names look like a chaos run's. */
export function chaosNamespaces (): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map(l => l.split(' ')[0]).filter(n => /^rc[0-9a-f]{4}[lhp]/.test(n))
}
