/**
 * `crypto` (issue 5): benchmark of the SDK's envelope encryption:
 * 1. seal / open throughput for 1 KiB and 1 MiB values in each mode (MB/s, ops/s);
 * 2. the passphrase KDF cost with the default parameters (must be ≥ ~50 ms);
 * 3. the put+get latency that encryption adds over plaintext, against a
 *    local in-process node over 127.0.0.1.
 *
 * Runs in the runner's process (the SDK and a node from `src/`, through tsx). Prints the
 * tables and writes them to `crypto.md` (and the raw figures to `crypto.json`) in the
 * results directory.
 *
 * @example
 * npx tsx simulations/load/run.ts crypto            # ~1-2 min
 * npx tsx simulations/load/run.ts crypto --quick    # shorter, noisier
 * npx tsx simulations/load/run.ts crypto --json     # also print the raw figures as JSON
 */
import { cpus, loadavg } from 'node:os'
import { writeResults } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'
import type { OpenOptions, SealOptions } from '../../../src/sdk/index.js'

export const name = 'crypto'
export const description = 'SDK envelope encryption: seal/open throughput per mode, KDF cost, put+get latency added over plaintext'
export const options = {
  quick: { type: 'boolean', default: false, help: 'shorter, noisier run' },
  json: { type: 'boolean', default: false, help: 'also print the raw figures as JSON' }
} satisfies ScenarioOptions

const KiB = 1024
/** Short TTL (the test profile allows 1 s) so MiB-sized records expire instead of growing the heap and GC pauses. */
const LATENCY_TTL = 2
const MiB = 1024 * KiB

interface Mode {
  name: string
  seal: Omit<SealOptions, 'storageKey'>
  open: Omit<OpenOptions, 'storageKey'>
}

/** Per-op wall times (ms) plus the process CPU time (ms, all threads) spent per op. */
interface Measured { times: number[], cpuMsPerOp: number }

/**
 * Run `fn` at least `minIters` times and until `budgetMs` has passed. CPU time
 * (`process.cpuUsage`, which counts WebCrypto's worker threads too) is robust
 * to other load on the machine; wall time is what a caller waits.
 */
async function measure (fn: () => Promise<unknown>, minIters: number, budgetMs: number, maxIters = 10_000): Promise<Measured> {
  await fn() // warm-up
  const times: number[] = []
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  while (times.length < maxIters && (times.length < minIters || performance.now() - start < budgetMs)) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  const cpu = process.cpuUsage(cpu0)
  return { times, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / times.length }
}

function quantile (xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

function mean (xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

function table (headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map(r => r.map(c => typeof c === 'number' ? fmt(c) : c))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map(r => r[i].length)))
  const line = (r: string[]): string => r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  return [line(headers), widths.map(w => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

function fmt (n: number): string {
  if (n >= 1000) return n.toFixed(0)
  if (n >= 100) return n.toFixed(1)
  if (n >= 1) return n.toFixed(2)
  return n.toFixed(3)
}

function randomValue (n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)))
  return b
}

export async function run (ctx: ScenarioContext): Promise<void> {
  const QUICK = ctx.flags.boolean('quick')
  const JSON_OUT = ctx.flags.boolean('json')
  const LOAD_AT_START = loadavg()[0].toFixed(1)
  // Loaded here, so listing scenarios does not load the SDK, HPKE and a node.
  const { argon2idAsync } = await import('@noble/hashes/argon2.js')
  const { scryptAsync } = await import('@noble/hashes/scrypt.js')
  const { createRepramNode, startHttpServer } = await import('../../../src/index.js')
  const { DEFAULT_ARGON2ID_PARAMS, DEFAULT_SCRYPT_PARAMS, generateKey, generateRecipientKeyPair, open, RepramClient, seal } = await import('../../../src/sdk/index.js')
  const out: string[] = []
  const print = (s: string): void => { out.push(s); console.log(s) }
  const key = generateKey()
  const classic = await generateRecipientKeyPair()
  const pq = await generateRecipientKeyPair({ pq: true })
  const modes: Mode[] = [
    { name: 'key (AES-256-GCM)', seal: { key }, open: { key } },
    { name: 'passphrase (Argon2id default)', seal: { passphrase: 'bench passphrase' }, open: { passphrase: 'bench passphrase' } },
    { name: 'recipient X25519 (HPKE)', seal: { recipientPublicKey: classic.publicKey }, open: { recipientPrivateKey: classic.privateKey } },
    { name: 'recipient X-Wing (HPKE, PQ)', seal: { recipientPublicKey: pq.publicKey }, open: { recipientPrivateKey: pq.privateKey } }
  ]
  const sizes = [{ label: '1 KiB', bytes: KiB }, { label: '1 MiB', bytes: MiB }]
  const budget = QUICK ? 400 : 1500
  const raw: Record<string, unknown> = {}

  // 1. Throughput
  const rows: Array<Array<string | number>> = []
  for (const m of modes) {
    for (const size of sizes) {
      const value = randomValue(size.bytes)
      const storageKey = `bench/${size.bytes}`
      const heavy = m.name.startsWith('passphrase')
      const blob = await seal(value, { ...m.seal, storageKey } as SealOptions)
      const sealM = await measure(async () => await seal(value, { ...m.seal, storageKey } as SealOptions), heavy ? 3 : 5, heavy ? budget / 2 : budget)
      const openM = await measure(async () => await open(blob, { ...m.open, storageKey } as OpenOptions), heavy ? 3 : 5, heavy ? budget / 2 : budget)
      const sealMs = mean(sealM.times)
      const openMs = mean(openM.times)
      const mib = size.bytes / MiB
      rows.push([m.name, size.label, blob.length - size.bytes,
        1000 / sealM.cpuMsPerOp, mib * 1000 / sealM.cpuMsPerOp, 1000 / openM.cpuMsPerOp, mib * 1000 / openM.cpuMsPerOp,
        1000 / sealMs, 1000 / openMs])
      raw[`${m.name} ${size.label}`] = {
        overheadBytes: blob.length - size.bytes,
        sealWallMsMean: sealMs,
        openWallMsMean: openMs,
        sealCpuMsPerOp: sealM.cpuMsPerOp,
        openCpuMsPerOp: openM.cpuMsPerOp,
        sealIters: sealM.times.length,
        openIters: openM.times.length
      }
    }
  }
  print('\n## Seal / open throughput (one caller; per CPU-second, and ops/s of wall time)\n')
  print(table(['mode', 'size', 'overhead B', 'seal ops/s', 'seal MiB/s', 'open ops/s', 'open MiB/s', 'seal ops/s wall', 'open ops/s wall'], rows))

  // 2. KDF cost
  const salt = randomValue(16)
  const pw = new TextEncoder().encode('bench passphrase')
  const kdfIters = QUICK ? 3 : 7
  const argon = await measure(async () => await argon2idAsync(pw, salt, { m: DEFAULT_ARGON2ID_PARAMS.memoryKiB, t: DEFAULT_ARGON2ID_PARAMS.iterations, p: DEFAULT_ARGON2ID_PARAMS.parallelism, dkLen: 32 }), kdfIters, 0, kdfIters)
  const scr = await measure(async () => await scryptAsync(pw, salt, { N: 2 ** DEFAULT_SCRYPT_PARAMS.log2N, r: DEFAULT_SCRYPT_PARAMS.r, p: DEFAULT_SCRYPT_PARAMS.p, dkLen: 32 }), kdfIters, 0, kdfIters)
  const argonT = argon.times
  const scryptT = scr.times
  print('\n## Passphrase KDF cost per derivation (one per seal, one per open)\n')
  print(table(['KDF (parameters)', 'CPU ms', 'wall min ms', 'wall median ms', 'wall max ms', '≥ 50 ms?'], [
    [`Argon2id m=${DEFAULT_ARGON2ID_PARAMS.memoryKiB} KiB t=${DEFAULT_ARGON2ID_PARAMS.iterations} p=${DEFAULT_ARGON2ID_PARAMS.parallelism} (default)`,
      argon.cpuMsPerOp, Math.min(...argonT), quantile(argonT, 0.5), Math.max(...argonT), Math.min(argon.cpuMsPerOp, ...argonT) >= 50 ? 'yes' : 'NO'],
    [`scrypt N=2^${DEFAULT_SCRYPT_PARAMS.log2N} r=${DEFAULT_SCRYPT_PARAMS.r} p=${DEFAULT_SCRYPT_PARAMS.p}`,
      scr.cpuMsPerOp, Math.min(...scryptT), quantile(scryptT, 0.5), Math.max(...scryptT), Math.min(scr.cpuMsPerOp, ...scryptT) >= 50 ? 'yes' : 'NO']
  ]))
  raw.kdf = { argon2idWallMs: argonT, argon2idCpuMs: argon.cpuMsPerOp, scryptWallMs: scryptT, scryptCpuMs: scr.cpuMsPerOp }

  // 3. put+get latency against a local node
  const node = await createRepramNode({ config: { profile: 'test', logLevel: 'silent', rateLimit: 0 } })
  const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  try {
    const client = new RepramClient(server.url)
    const latRows: Array<Array<string | number>> = []
    // Variants are interleaved round by round, so load from anything else on
    // the machine hits them all alike; the passphrase variant (two KDF runs
    // per round trip) joins only the first rounds.
    const rounds = QUICK ? 15 : 40
    const heavyRounds = QUICK ? 2 : 4
    for (const size of sizes) {
      const value = randomValue(size.bytes)
      let i = 0
      const variants: Array<{ name: string, heavy: boolean, run: () => Promise<void>, times: number[], cpu: number[] }> = [
        {
          name: 'plaintext',
          heavy: false,
          times: [],
          cpu: [],
          run: async () => { const k = `lat/plain/${i++}`; await client.put(k, value, { ttl: LATENCY_TTL }); await client.get(k) }
        },
        ...modes.map(m => ({
          name: m.name,
          heavy: m.name.startsWith('passphrase'),
          times: [] as number[],
          cpu: [] as number[],
          run: async () => {
            const k = `lat/enc/${i++}`
            await client.putEncrypted(k, value, { ...m.seal, ttl: LATENCY_TTL } as never)
            await client.getDecrypted(k, m.open as never)
          }
        }))
      ]
      for (const v of variants) await v.run() // warm-up
      for (let r = 0; r < rounds; r++) {
        for (const v of variants) {
          if (v.heavy && r >= heavyRounds) continue
          const c0 = process.cpuUsage()
          const t0 = performance.now()
          await v.run()
          v.times.push(performance.now() - t0)
          const c = process.cpuUsage(c0)
          v.cpu.push((c.user + c.system) / 1000)
        }
      }
      const plainP50 = quantile(variants[0].times, 0.5)
      const plainCpu = quantile(variants[0].cpu, 0.5)
      for (const v of variants) {
        const p50 = quantile(v.times, 0.5)
        const cpu = quantile(v.cpu, 0.5)
        latRows.push([v.name, size.label, p50, quantile(v.times, 0.9), p50 - plainP50, cpu, cpu - plainCpu, v.times.length])
        raw[`latency ${v.name} ${size.label}`] = { p50, p90: quantile(v.times, 0.9), cpuMsMedian: cpu, n: v.times.length }
      }
    }
    print('\n## put + get round trip against a local node (127.0.0.1, one client, sequential, variants interleaved)\n')
    print('(CPU ms = process CPU per round trip, client and node together: the work encryption adds, independent of other load)\n')
    print(table(['mode', 'size', 'p50 ms', 'p90 ms', 'added p50 ms', 'CPU ms', 'added CPU ms', 'n'], latRows))
  } finally {
    await server.close()
    await node.stop()
  }
  print(`\nNode ${process.version}, ${cpus().length} CPUs, load average at start ${LOAD_AT_START}, at end ${loadavg()[0].toFixed(1)}${QUICK ? ', --quick' : ''}`)
  if (JSON_OUT) console.log(JSON.stringify(raw, null, 2))
  await writeResults(await ctx.resultsDir(), { 'crypto.md': `# crypto\n\n\`\`\`\n${out.join('\n').trim()}\n\`\`\`\n`, 'crypto.json': JSON.stringify(raw, null, 2) + '\n' })
}
