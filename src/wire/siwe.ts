/**
 * Sign-In with Ethereum messages (EIP-4361, the ERC text's ABNF): a strict parser and its
 * serializer, written here from the spec (no `siwe`/`ethers` dependency). The parser
 * accepts exactly the ABNF: field order, case-sensitive tags, one LF between lines, no
 * trailing LF, an EIP-55 checksummed address, an RFC 3339 date-time for each time field,
 * RFC 3986 URIs for `uri` and each resource; `serializeSiwe(parseSiwe(m)) === m` for every
 * message it accepts. Owned keys (docs/owned-keys.md) use it to read a wallet's delegation
 * to a session key. Browser-safe: no Node APIs.
 *
 * @example
 * ```ts
 * const m = parseSiwe(text)            // throws SiweError naming the first bad line
 * m.address                            // '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2'
 * serializeSiwe(m) === text            // true
 * ```
 */
import { keccak_256 } from '@noble/hashes/sha3.js'

/** A parsed SIWE message. Times are kept as written (RFC 3339 text) so serialising gives back the same bytes. */
export interface SiweMessage {
  /** RFC 3986 scheme before `://`, when the message names one. */
  scheme?: string
  /** RFC 3986 authority requesting the signature. */
  domain: string
  /** EIP-55 checksummed address. */
  address: string
  statement?: string
  uri: string
  version: '1'
  chainId: number
  nonce: string
  issuedAt: string
  expirationTime?: string
  notBefore?: string
  requestId?: string
  resources?: string[]
}

/** A message that does not conform to the EIP-4361 ABNF. */
export class SiweError extends Error {
  constructor (message: string) { super(message); this.name = 'SiweError' }
}

const HEADER = ' wants you to sign in with your Ethereum account:'
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/
// RFC 3986 character classes.
const UNRESERVED = 'A-Za-z0-9\\-._~'
const SUB_DELIMS = "!$&'()*+,;="
const PCT = '%[0-9A-Fa-f]{2}'
const esc = (s: string): string => s.replace(/[\\\]^-]/g, '\\$&')
const PCHAR = `(?:[${UNRESERVED}${esc(SUB_DELIMS)}:@]|${PCT})`
const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
const IPV4 = `${DEC_OCTET}\\.${DEC_OCTET}\\.${DEC_OCTET}\\.${DEC_OCTET}`
const H16 = '[0-9A-Fa-f]{1,4}'
const LS32 = `(?:${H16}:${H16}|${IPV4})`
const IPV6 = '(?:' + [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`
].join('|') + ')'
const IPVFUTURE = `v[0-9A-Fa-f]+\\.[${UNRESERVED}${esc(SUB_DELIMS)}:]+`
const IP_LITERAL = `\\[(?:${IPV6}|${IPVFUTURE})\\]`
const REG_NAME = `(?:[${UNRESERVED}${esc(SUB_DELIMS)}]|${PCT})*`
const HOST = `(?:${IP_LITERAL}|${IPV4}|${REG_NAME})`
const USERINFO = `(?:[${UNRESERVED}${esc(SUB_DELIMS)}:]|${PCT})*`
const AUTHORITY_SRC = `(?:${USERINFO}@)?${HOST}(?::[0-9]*)?`
const AUTHORITY = new RegExp(`^${AUTHORITY_SRC}$`)
const SEGMENT = `${PCHAR}*`
const PATH_ABEMPTY = `(?:/${SEGMENT})*`
const PATH_ABSOLUTE = `/(?:${PCHAR}+(?:/${SEGMENT})*)?`
const PATH_ROOTLESS = `${PCHAR}+(?:/${SEGMENT})*`
const QUERY = `(?:${PCHAR}|[/?])*`
/** RFC 3986 `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]`. */
const URI = new RegExp(`^[A-Za-z][A-Za-z0-9+.-]*:(?://${AUTHORITY_SRC}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS}|)(?:\\?${QUERY})?(?:#${QUERY})?$`)
const REQUEST_ID = new RegExp(`^${PCHAR}*$`)
/** `*( reserved / unreserved / " " )`: RFC 3986 gen-delims and sub-delims, unreserved, space. */
const STATEMENT = new RegExp(`^[${UNRESERVED}${esc(":/?#[]@" + SUB_DELIMS)} ]*$`)
const NONCE = /^[A-Za-z0-9]{8,}$/
const CHAIN_ID = /^[0-9]+$/
/** RFC 3339 `date-time`: full-date "T" full-time, fractional seconds and a Z or numeric offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/

/** True when `s` is an RFC 3986 URI. */
export function isUri (s: string): boolean { return URI.test(s) }

/** Milliseconds since the epoch of an RFC 3339 date-time; throws {@link SiweError} when it is not one. */
export function parseDateTime (s: string, field = 'time'): number {
  const m = DATE_TIME.exec(s)
  if (m === null) throw new SiweError(`${field} is not an RFC 3339 date-time`)
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number)
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  const offH = m[9] === undefined ? 0 : Number(m[9])
  const offM = m[10] === undefined ? 0 : Number(m[10])
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1] || hour > 23 || minute > 59 || second > 60 || offH > 23 || offM > 59) {
    throw new SiweError(`${field} is not an RFC 3339 date-time`)
  }
  const t = Date.parse(s.toUpperCase().replace(/:60(?=[.Z+-])/, ':59'))
  if (!Number.isFinite(t)) throw new SiweError(`${field} is not an RFC 3339 date-time`)
  return t
}

/** EIP-55 mixed-case checksum of a 40-hex-digit address (any case in, `0x` + checksummed out). */
export function toChecksumAddress (address: string): string {
  const hex = address.replace(/^0x/, '').toLowerCase()
  if (!/^[0-9a-f]{40}$/.test(hex)) throw new SiweError('an address is 0x and 40 hex digits')
  const hash = keccak_256(new TextEncoder().encode(hex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf
    out += nibble >= 8 ? hex[i].toUpperCase() : hex[i]
  }
  return out
}

/**
 * Parses a SIWE message strictly (EIP-4361 ABNF). Throws {@link SiweError} with the reason;
 * the message text is never echoed.
 */
export function parseSiwe (text: string): SiweMessage {
  if (typeof text !== 'string') throw new SiweError('a SIWE message is text')
  const lines = text.split('\n')
  let i = 0
  const next = (what: string): string => {
    if (i >= lines.length) throw new SiweError(`the message ends before ${what}`)
    return lines[i++]
  }
  const first = next('the header')
  if (!first.endsWith(HEADER)) throw new SiweError('the first line is not "<domain> wants you to sign in with your Ethereum account:"')
  let origin = first.slice(0, -HEADER.length)
  let scheme: string | undefined
  const sep = origin.indexOf('://')
  if (sep >= 0) {
    scheme = origin.slice(0, sep)
    origin = origin.slice(sep + 3)
    if (!SCHEME.test(scheme)) throw new SiweError('the scheme is not an RFC 3986 scheme')
  }
  if (origin === '' || !AUTHORITY.test(origin)) throw new SiweError('the domain is not an RFC 3986 authority')
  const address = next('the address')
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new SiweError('the address is not 0x and 40 hex digits')
  if (toChecksumAddress(address) !== address) throw new SiweError('the address is not EIP-55 checksummed')
  if (next('the blank line') !== '') throw new SiweError('a blank line must follow the address')
  let statement: string | undefined
  const maybe = next('the statement')
  if (maybe !== '') {
    statement = maybe
    if (!STATEMENT.test(statement)) throw new SiweError('the statement has characters outside RFC 3986 reserved, unreserved and space')
    if (next('the blank line') !== '') throw new SiweError('a blank line must follow the statement')
  }
  const tagged = (tag: string): string => {
    const line = next(`"${tag}"`)
    if (!line.startsWith(tag)) throw new SiweError(`expected "${tag}" (fields are in the ABNF's order)`)
    return line.slice(tag.length)
  }
  const uri = tagged('URI: ')
  if (!URI.test(uri)) throw new SiweError('URI is not an RFC 3986 URI')
  const version = tagged('Version: ')
  if (version !== '1') throw new SiweError('Version must be 1')
  const chain = tagged('Chain ID: ')
  if (!CHAIN_ID.test(chain) || !Number.isSafeInteger(Number(chain))) throw new SiweError('Chain ID is not a number')
  if (String(Number(chain)) !== chain) throw new SiweError('Chain ID has leading zeros')
  const nonce = tagged('Nonce: ')
  if (!NONCE.test(nonce)) throw new SiweError('Nonce is not at least 8 letters and digits')
  const issuedAt = tagged('Issued At: ')
  parseDateTime(issuedAt, 'Issued At')
  const m: SiweMessage = { domain: origin, address, uri, version: '1', chainId: Number(chain), nonce, issuedAt }
  if (scheme !== undefined) m.scheme = scheme
  if (statement !== undefined) m.statement = statement
  const optional = (tag: string): string | undefined => {
    if (i < lines.length && lines[i].startsWith(tag)) return lines[i++].slice(tag.length)
    return undefined
  }
  const exp = optional('Expiration Time: ')
  if (exp !== undefined) { parseDateTime(exp, 'Expiration Time'); m.expirationTime = exp }
  const nbf = optional('Not Before: ')
  if (nbf !== undefined) { parseDateTime(nbf, 'Not Before'); m.notBefore = nbf }
  const rid = optional('Request ID: ')
  if (rid !== undefined) {
    if (!REQUEST_ID.test(rid)) throw new SiweError('Request ID has characters outside RFC 3986 pchar')
    m.requestId = rid
  }
  if (i < lines.length && lines[i] === 'Resources:') {
    i++
    const resources: string[] = []
    while (i < lines.length) {
      const line = lines[i++]
      if (!line.startsWith('- ')) throw new SiweError('each resource is a line "- <URI>"')
      const r = line.slice(2)
      if (!URI.test(r)) throw new SiweError('a resource is not an RFC 3986 URI')
      resources.push(r)
    }
    m.resources = resources
  }
  if (i < lines.length) throw new SiweError('unexpected text after the last field (fields are in the ABNF\'s order; no trailing newline)')
  return m
}

/** The message text of `m`, per the ABNF. Checks every field as {@link parseSiwe} does. */
export function serializeSiwe (m: SiweMessage): string {
  const lines = [`${m.scheme !== undefined ? `${m.scheme}://` : ''}${m.domain}${HEADER}`, m.address, '']
  if (m.statement !== undefined) lines.push(m.statement)
  lines.push('', `URI: ${m.uri}`, `Version: ${m.version}`, `Chain ID: ${m.chainId}`, `Nonce: ${m.nonce}`, `Issued At: ${m.issuedAt}`)
  if (m.expirationTime !== undefined) lines.push(`Expiration Time: ${m.expirationTime}`)
  if (m.notBefore !== undefined) lines.push(`Not Before: ${m.notBefore}`)
  if (m.requestId !== undefined) lines.push(`Request ID: ${m.requestId}`)
  if (m.resources !== undefined) {
    lines.push('Resources:')
    for (const r of m.resources) lines.push(`- ${r}`)
  }
  const text = lines.join('\n')
  // The same rules both ways: a field that would not parse back is refused here.
  parseSiwe(text)
  return text
}
