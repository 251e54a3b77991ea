/**
 * The one place the CLI plugs in client-side encryption (DESIGN §6) from
 * `src/cli/crypto-commands.ts`: `put` seals the value with `encryptForCli` before
 * sending, `get` opens the blob with `decryptForCli` before writing it out, both take
 * their options from `addEncryptionOptions`, and `keygen` comes from
 * `registerKeygenCommand`.
 *
 * The crypto module loads the SDK (KDF, HPKE, post-quantum KEM: about 300 ms), so it is
 * loaded only when the command line may use it: `keygen`, a `put`/`get` with an option
 * the plain client does not know (e.g. `--encrypt`), or their help. Otherwise the
 * commands run with {@link PASS_THROUGH}, which leaves bytes as they are.
 *
 * @example
 * const crypto = (await loadCryptoCommands(argv)) ?? PASS_THROUGH
 * registerClientCommands(program, io, crypto)
 */
import type { Command } from 'commander'

/**
 * Every flag `put` and `get` have without encryption. Any other flag on their command
 * line makes the CLI load the encryption module; a test keeps this list equal to the
 * options `client-commands.ts` registers.
 */
export const PLAIN_CLIENT_FLAGS: ReadonlySet<string> = new Set(['--url', '--timeout', '--ttl', '-q', '--quiet', '--sign-key', '--jurisdiction'])

/** What the crypto module provides to the CLI. */
export interface CryptoCommands {
  /** Adds the encryption options (passphrase, key file, recipient…) to `put` or `get`. */
  addEncryptionOptions: (cmd: Command) => Command
  /** Encrypts `bytes` for `storageKey` when the options ask for it; else returns them unchanged. */
  encryptForCli: (opts: Record<string, unknown>, storageKey: string, bytes: Uint8Array) => Promise<Uint8Array>
  /** Decrypts `blob` stored under `storageKey` when the options ask for it; else returns it unchanged. */
  decryptForCli: (opts: Record<string, unknown>, storageKey: string, blob: Uint8Array) => Promise<Uint8Array>
  /** Registers `repram keygen`. */
  registerKeygenCommand: (program: Command) => void
}

/** No encryption: options untouched, bytes unchanged, no `keygen`. */
export const PASS_THROUGH: CryptoCommands = {
  addEncryptionOptions: (cmd) => cmd,
  encryptForCli: async (_opts, _key, bytes) => bytes,
  decryptForCli: async (_opts, _key, blob) => blob,
  registerKeygenCommand: () => {}
}

/** Whether `argv` (without node and the script) may need the crypto module. */
export function needsCrypto (argv: readonly string[]): boolean {
  const words = argv.filter(a => !a.startsWith('-'))
  const command = words[0] === 'help' ? words[1] : words[0]
  if (command === 'keygen') return true
  if (command !== 'put' && command !== 'get') return false
  if (words[0] === 'help') return true
  for (const a of argv) {
    if (a === '--') break
    if (!a.startsWith('-') || a === '-') continue
    const flag = a.split('=')[0]
    if (flag === '-h' || flag === '--help' || !PLAIN_CLIENT_FLAGS.has(flag)) return true
  }
  return false
}

/** Loads the crypto commands when `argv` may need them; undefined otherwise. */
export async function loadCryptoCommands (argv: readonly string[]): Promise<CryptoCommands | undefined> {
  if (!needsCrypto(argv)) return undefined
  return await import('./crypto-commands.js')
}
