/** What every benchmark server child takes and reports. */

/** Config handed to a server child. */
export interface ServerConfig {
  /** Keys `<keyPrefix><000000…>` stored before the server reports ready. */
  preloadKeys: number
  keyPrefix: string
  /** Bytes per preloaded value. */
  valueSize: number
  /** REPRAM only: load the library from `dist` (built) or `src` (through tsx). */
  from?: 'dist' | 'src'
  /** REPRAM only: the checkout to load it from (another commit's worktree, to compare); default this one. */
  libRoot?: string
  /** Baseline only: ablation pieces added in order (see servers/baseline.ts). */
  middleware?: string[]
}

/** The `ready` payload of a server child. */
export interface ServerReady {
  port: number
  /** What was actually served, e.g. `repram 0.1.0 (dist)`. */
  label: string
}

/** The preloaded key number `i`: fixed width, so every key has the same length. */
export function preloadKey (prefix: string, i: number): string {
  return prefix + String(i).padStart(6, '0')
}

/** A fresh value, as one arriving from a socket would be (own ArrayBuffer). */
export function freshValue (size: number, seed: number): Uint8Array<ArrayBuffer> {
  const v = new Uint8Array(size)
  for (let i = 0; i < size; i++) v[i] = (seed + i) & 0xff
  return v
}
