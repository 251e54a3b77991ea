/**
 * A tiny authoritative DNS server for tests (UDP, RFC 1035 wire format, no dependency):
 * answers A and TXT questions from a table, NXDOMAIN for names it does not hold, and
 * an empty NOERROR answer for a held name without records of the asked type. Queries
 * it received are kept, so a test can show its node asked it.
 *
 * @example
 * const dns = await startDnsServer({ '_dnsaddr.boot.repram.test': { TXT: ['dnsaddr=/ip4/127.0.0.1/tcp/9090/p2p/12D3...'] } })
 * // node config: { dnsServers: [dns.address] }   ('127.0.0.1:<port>')
 * await dns.close()
 * // Or over HTTP (RFC 8484 GET ?dns=<base64url>, what @multiformats/dns's dnsOverHttps sends):
 * const doh = await startDohServer(records) // doh.address: 'http://127.0.0.1:<port>/dns-query'
 */
import { createSocket, type Socket } from 'node:dgram'
import { createServer } from 'node:http'

export interface DnsRecords { A?: string[], TXT?: string[] }

export interface DnsServer {
  /** `127.0.0.1:<port>`, as REPRAM_DNS_SERVERS takes it. */
  address: string
  /** Questions received, as `<name> <type>` (TXT, A, AAAA or the type number). */
  queries: string[]
  close: () => Promise<void>
}

const TYPES: Record<number, string> = { 1: 'A', 16: 'TXT', 28: 'AAAA', 5: 'CNAME' }

/** Reads the question's name (labels, no compression in a question) and its end offset. */
function readName (msg: Buffer, at: number): { name: string, end: number } {
  const labels: string[] = []
  while (msg[at] !== 0) {
    const len = msg[at]
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1'))
    at += 1 + len
  }
  return { name: labels.join('.'), end: at + 1 }
}

function rdata (type: string, value: string): Buffer {
  if (type === 'A') return Buffer.from(value.split('.').map(Number))
  // TXT: character-strings of at most 255 bytes each.
  const bytes = Buffer.from(value, 'utf8')
  const parts: Buffer[] = []
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255)
    parts.push(Buffer.from([chunk.length]), chunk)
  }
  return Buffer.concat(parts)
}

/** The response to one query. */
export function answerQuery (query: Buffer, records: Record<string, DnsRecords>): { response: Buffer, question: string } {
  const { name, end } = readName(query, 12)
  const qtype = query.readUInt16BE(end)
  const type = TYPES[qtype] ?? String(qtype)
  const question = query.subarray(12, end + 4)
  const held = Object.entries(records).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1]
  const values = held === undefined || (type !== 'A' && type !== 'TXT') ? [] : held[type] ?? []
  const header = Buffer.alloc(12)
  query.copy(header, 0, 0, 2) // id
  // QR, AA, RD as asked, RA; RCODE 3 (NXDOMAIN) for a name it does not hold.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (held === undefined ? 3 : 0), 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(values.length, 6)
  const answers = values.map(v => {
    const data = rdata(type, v)
    const rr = Buffer.alloc(12)
    rr.writeUInt16BE(0xc00c, 0) // the name: a pointer to the question's
    rr.writeUInt16BE(qtype, 2)
    rr.writeUInt16BE(1, 4) // IN
    rr.writeUInt32BE(5, 6) // TTL 5 s
    rr.writeUInt16BE(data.length, 10)
    return Buffer.concat([rr, data])
  })
  return { response: Buffer.concat([header, question, ...answers]), question: `${name} ${type}` }
}

/** Starts the server on 127.0.0.1 (a free UDP port). */
export async function startDnsServer (records: Record<string, DnsRecords>): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4')
  const queries: string[] = []
  socket.on('message', (msg, rinfo) => {
    try {
      const { response, question } = answerQuery(msg, records)
      queries.push(question)
      socket.send(response, rinfo.port, rinfo.address)
    } catch {
      // A malformed query gets no answer.
    }
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => resolve())
  })
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    close: async () => await new Promise<void>(resolve => socket.close(() => resolve()))
  }
}

/** The same answers over DNS-over-HTTP (GET `/dns-query?dns=<base64url query>`), on 127.0.0.1. */
export async function startDohServer (records: Record<string, DnsRecords>): Promise<DnsServer> {
  const queries: string[] = []
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams.get('dns')
    if (q === null) {
      res.writeHead(400).end()
      return
    }
    try {
      const { response, question } = answerQuery(Buffer.from(q, 'base64url'), records)
      queries.push(question)
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(response)
    } catch {
      res.writeHead(400).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as { port: number }
  return {
    address: `http://127.0.0.1:${port}/dns-query`,
    queries,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
