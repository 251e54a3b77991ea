/**
 * The streams and environment a CLI run uses. The real process by default; tests and
 * embedders may pass their own. Writes wait for the stream so binary output is never
 * cut short by the process ending.
 */

/** What a CLI run reads from and writes to. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: Record<string, string | undefined>
  /** Ends the process now (used by `start` after shutdown, whatever handles linger). */
  exit: (code: number) => void
}

/** The real process's streams and environment. */
export function processIo (): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    exit: (code) => process.exit(code)
  }
}

/** Writes `data` and resolves once the stream has taken it. */
export async function writeOut (stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.write(data, (err) => { if (err != null) reject(err); else resolve() })
  })
}

/** Reads a stream to its end as bytes, without any decoding. */
export async function readAll (stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array))
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
}

/** Resolves with the first SIGTERM or SIGINT (then stops listening): how a long-running command learns to stop. */
export function untilSignal (): Promise<NodeJS.Signals> {
  return new Promise(resolve => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      resolve(sig)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}
