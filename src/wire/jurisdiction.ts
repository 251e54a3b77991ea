/**
 * Jurisdictions (issue 19, docs/compliance.md "Jurisdictions"): the rules every path
 * applies to them, shared by the node, its network layer, the SDK and the attestation
 * encoding. A node declares at most one jurisdiction (`REPRAM_JURISDICTION`, a short
 * lower-case code such as `eu` or `us-east`); a write may name the jurisdictions it may
 * live in, and only nodes in one of them store or replicate it.
 *
 * Browser-safe and import-free: the SDK runs in browsers.
 *
 * @example
 * ```ts
 * import { parseJurisdictions, admits } from './jurisdiction.js'
 * const set = parseJurisdictions('US, eu')     // ['eu', 'us']: trimmed, lower-cased, sorted, unique
 * admits(set, 'eu')                            // true: a node in eu may hold it
 * admits(set, null)                            // false: a node that declares none may not
 * admits(undefined, null)                      // true: an unrestricted write lives anywhere
 * ```
 */

/**
 * A jurisdiction code: 2 to 16 characters, a lower-case letter first, then lower-case
 * letters, digits and `-` (`eu`, `us`, `us-east`, `ch`). It appears in gossip topic names,
 * metrics-free logs and signed attestations, so the alphabet is small on purpose.
 */
export const JURISDICTION_CODE = /^[a-z][a-z0-9-]{1,15}$/

/** Most jurisdictions one write may name: bounds every record's metadata and the per-jurisdiction digests. */
export const MAX_JURISDICTIONS = 8

/** Whether `s` is a valid jurisdiction code. */
export function isJurisdictionCode (s: unknown): s is string {
  return typeof s === 'string' && JURISDICTION_CODE.test(s)
}

/**
 * Why a list of codes is not the canonical form of a jurisdiction set (1 to
 * {@link MAX_JURISDICTIONS} valid codes, sorted, no duplicates), or undefined when it is.
 * Honest nodes only ever send canonical sets.
 */
export function jurisdictionSetError (codes: readonly unknown[]): string | undefined {
  if (codes.length === 0) return 'a jurisdiction set names at least one jurisdiction'
  if (codes.length > MAX_JURISDICTIONS) return `a write names at most ${MAX_JURISDICTIONS} jurisdictions`
  for (let i = 0; i < codes.length; i++) {
    if (!isJurisdictionCode(codes[i])) return 'a jurisdiction is 2-16 of a-z 0-9 -, starting with a letter'
    if (i > 0 && (codes[i - 1] as string) >= (codes[i] as string)) return 'jurisdictions must be sorted and unique'
  }
  return undefined
}

/**
 * Parses what a client names (a header value `"eu, US"`, or a list) into the canonical
 * set: each entry trimmed and lower-cased, then checked, sorted and deduplicated. Throws
 * `TypeError` naming the problem (the HTTP layer answers 400 with it); an empty input is
 * an error too, since it is ambiguous.
 */
export function parseJurisdictions (input: string | readonly string[]): string[] {
  const parts = (typeof input === 'string' ? input.split(',') : [...input]).map(s => typeof s === 'string' ? s.trim().toLowerCase() : s)
  if (parts.length === 0 || parts.every(s => s === '')) throw new TypeError('no jurisdiction named: give one or more codes, comma separated (e.g. "eu" or "eu,ch")')
  for (const p of parts) {
    if (!isJurisdictionCode(p)) throw new TypeError(`"${String(p).slice(0, 32)}" is not a jurisdiction code: 2-16 of a-z 0-9 -, starting with a letter`)
  }
  const set = [...new Set(parts)].sort()
  if (set.length > MAX_JURISDICTIONS) throw new TypeError(`a write names at most ${MAX_JURISDICTIONS} jurisdictions; got ${set.length}`)
  return set
}

/**
 * Whether a node in jurisdiction `node` (null or undefined: it declares none, or it is not
 * known) may hold a record restricted to `set` (undefined or empty: unrestricted).
 */
export function admits (set: readonly string[] | undefined, node: string | null | undefined): boolean {
  if (set === undefined || set.length === 0) return true
  return node !== undefined && node !== null && set.includes(node)
}

/** The header form of a set: `eu,us`. */
export function formatJurisdictions (set: readonly string[]): string {
  return set.join(',')
}
