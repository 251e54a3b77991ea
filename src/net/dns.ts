/**
 * The DNS libp2p asks for `/dnsaddr` addresses (TXT records `_dnsaddr.<name>`), from
 * `REPRAM_DNS_SERVERS`: plain DNS servers (node:dns with those servers instead of
 * /etc/resolv.conf) and DNS-over-HTTPS URLs, tried in the order given. Without any,
 * libp2p's default (node:dns with the system's servers) is kept.
 *
 * @example
 * createLibp2p({ ..., dns: dnsFromServers(['127.0.0.1:5353', 'https://cloudflare-dns.com/dns-query']) })
 */
import { Resolver } from 'node:dns/promises'
import { dns, RecordType, type Answer, type DNS } from '@multiformats/dns'
import { dnsOverHttps, type DNSResolver } from '@multiformats/dns/resolvers'

/** A resolver that asks `servers` (IP[:port]) with node:dns (c-ares: UDP, TCP on truncation). */
function serversResolver (servers: string[]): DNSResolver {
  return async (fqdn, options = {}) => {
    const resolver = new Resolver()
    resolver.setServers(servers)
    const cancel = (): void => resolver.cancel()
    options.signal?.addEventListener('abort', cancel)
    const types = options.types === undefined ? [RecordType.A, RecordType.AAAA] : Array.isArray(options.types) ? options.types : [options.types]
    const answer = (type: RecordType, data: string): Answer => ({ name: fqdn, type, data, TTL: 60 })
    try {
      const answers = await Promise.all(types.map(async (type): Promise<Answer[]> => {
        switch (type) {
          case RecordType.A: return (await resolver.resolve4(fqdn)).map(d => answer(type, d))
          case RecordType.AAAA: return (await resolver.resolve6(fqdn)).map(d => answer(type, d))
          case RecordType.CNAME: return (await resolver.resolveCname(fqdn)).map(d => answer(type, d))
          // A TXT record longer than 255 bytes comes in chunks: one answer per record.
          case RecordType.TXT: return (await resolver.resolveTxt(fqdn)).map(chunks => answer(type, chunks.join('')))
          default: throw new TypeError(`unsupported DNS record type ${String(type)}`)
        }
      }))
      return { Status: 0, TC: false, RD: true, RA: true, AD: false, CD: false, Question: types.map(type => ({ name: fqdn, type })), Answer: answers.flat() }
    } finally {
      options.signal?.removeEventListener('abort', cancel)
    }
  }
}

/**
 * A DNS-over-HTTPS resolver whose TXT answers are strings. @multiformats/dns 1.0.15's
 * dnsOverHttps passes on what its packet decoder gives for a TXT record, an array of
 * Uint8Array chunks, and libp2p's dnsaddr resolver calls `data.replace` on it: every
 * `/dnsaddr` dial through DNS over HTTPS failed (test/integration/dnsaddr.test.ts).
 */
function dohResolver (url: string): DNSResolver {
  const doh = dnsOverHttps(url)
  const text = (data: unknown): string => {
    if (typeof data === 'string') return data
    if (data instanceof Uint8Array) return Buffer.from(data).toString('utf8')
    if (Array.isArray(data)) return data.map(text).join('')
    return String(data)
  }
  return async (fqdn, options) => {
    const res = await doh(fqdn, options)
    return { ...res, Answer: res.Answer.map(a => ({ ...a, data: text(a.data) })) }
  }
}

/** libp2p's `dns` for the configured servers; undefined (libp2p's default) when there are none. */
export function dnsFromServers (servers: readonly string[]): DNS | undefined {
  if (servers.length === 0) return undefined
  const resolvers: DNSResolver[] = []
  let plain: string[] = []
  for (const s of servers) {
    if (/^https?:\/\//i.test(s)) {
      if (plain.length > 0) resolvers.push(serversResolver(plain))
      plain = []
      resolvers.push(dohResolver(s))
    } else {
      plain.push(s)
    }
  }
  if (plain.length > 0) resolvers.push(serversResolver(plain))
  // In the order given (the library shuffles them by default).
  return dns({ resolvers: { '.': resolvers }, sorter: () => 0 })
}
