/**
 * Finding the nodes to watch from one node's `GET /v1/topology`.
 *
 * Topology names each peer by its peer id and its **libp2p** multiaddrs
 * (`/ip4/10.0.0.7/tcp/9090/p2p/12D3…`); nodes do not know each other's HTTP address. So the
 * monitor makes candidate HTTP URLs from each address's host with a template
 * (`{scheme}://{host}:{port}`, the scheme and port of the seed URL by default: nodes of one
 * deployment usually serve HTTP on the same port) and keeps a candidate only when its
 * `/v1/health` answers with that peer's own node id. A wrong guess is therefore never
 * watched as the wrong node; a peer no candidate reaches is reported as unresolved.
 *
 * @example
 * const found = await discoverNodes('http://10.0.0.5:8080', '{scheme}://{host}:{port}', { timeoutMs: 5000 })
 * for (const p of found.peers) console.log(p.nodeId, p.url ?? `unresolved: ${p.reason}`)
 */

/** One peer of the topology. */
export interface DiscoveredPeer {
  nodeId: string
  /** The HTTP base URL that answered with this node id, when one did. */
  url?: string
  /** URLs tried. */
  candidates: string[]
  /** Why no URL was found. */
  reason?: string
}

/** What discovery found. */
export interface Discovery {
  seed: { url: string, nodeId: string }
  peers: DiscoveredPeer[]
}

/** Options of {@link discoverNodes}. */
export interface DiscoverOptions {
  timeoutMs: number
  signal?: AbortSignal
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

/** The hosts of libp2p multiaddrs (ip4, ip6 in brackets, dns names), without wildcards and relayed addresses, deduplicated. */
export function hostsOf (addresses: readonly string[]): string[] {
  const hosts: string[] = []
  for (const a of addresses) {
    if (typeof a !== 'string' || a.includes('/p2p-circuit')) continue
    const parts = a.split('/')
    const proto = parts[1]
    const value = parts[2]
    if (value === undefined || value === '') continue
    let host: string | undefined
    if (proto === 'ip4' && value !== '0.0.0.0') host = value
    else if (proto === 'ip6' && value !== '::') host = `[${value}]`
    else if (proto === 'dns' || proto === 'dns4' || proto === 'dns6' || proto === 'dnsaddr') host = value
    if (host !== undefined && !hosts.includes(host)) hosts.push(host)
  }
  return hosts
}

/** Fills `{scheme}`, `{host}` and `{port}` of the template; scheme and port come from the seed URL. */
export function candidateUrl (template: string, seed: URL, host: string): string {
  const scheme = seed.protocol.replace(/:$/, '')
  const port = seed.port !== '' ? seed.port : scheme === 'https' ? '443' : '80'
  return template.replaceAll('{scheme}', scheme).replaceAll('{port}', port).replaceAll('{host}', host).replace(/\/+$/, '')
}

async function getJson (url: string, opts: DiscoverOptions): Promise<Record<string, unknown>> {
  const doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const signals = [AbortSignal.timeout(opts.timeoutMs), ...(opts.signal !== undefined ? [opts.signal] : [])]
  const res = await doFetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.any(signals) })
  if (!res.ok) {
    await res.arrayBuffer().catch(() => {})
    throw new Error(`HTTP ${res.status} from ${url}`)
  }
  const body = await res.json() as unknown
  if (body === null || typeof body !== 'object') throw new Error(`${url} did not answer a JSON object`)
  return body as Record<string, unknown>
}

/**
 * Reads the seed's topology and resolves each peer's HTTP URL (see the module comment).
 * Throws when the seed itself cannot be read; never for a peer.
 */
export async function discoverNodes (seedUrl: string, template: string, opts: DiscoverOptions): Promise<Discovery> {
  const seed = new URL(seedUrl)
  const base = seedUrl.replace(/\/+$/, '')
  const topo = await getJson(`${base}/v1/topology`, opts)
  if (typeof topo.node_id !== 'string' || !Array.isArray(topo.peers)) throw new Error(`${base}/v1/topology is not a REPRAM topology`)
  const peers = await Promise.all((topo.peers as unknown[]).map(async (p): Promise<DiscoveredPeer | undefined> => {
    const peer = p as { id?: unknown, addresses?: unknown }
    if (typeof peer?.id !== 'string') return undefined
    const candidates = hostsOf(Array.isArray(peer.addresses) ? peer.addresses as string[] : []).map(h => candidateUrl(template, seed, h))
    const out: DiscoveredPeer = { nodeId: peer.id, candidates }
    const errors: string[] = []
    for (const url of candidates) {
      try {
        const health = await getJson(`${url}/v1/health`, opts)
        if (health.node_id === peer.id) { out.url = url; return out }
        errors.push(`${url} is node ${String(health.node_id)}`)
      } catch (err) {
        errors.push(`${url}: ${(err as Error).message}`)
      }
    }
    out.reason = candidates.length === 0 ? 'no usable address in the topology' : errors.join('; ')
    return out
  }))
  return { seed: { url: base, nodeId: topo.node_id }, peers: peers.filter((p): p is DiscoveredPeer => p !== undefined) }
}
