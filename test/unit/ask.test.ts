import { afterEach, describe, expect, it } from 'vitest'
import { spawn, spawnStateless, start, stop } from 'nact'
import { Asker, type ReplyTo } from '../../actors/runtime/ask.js'
import { NodeStoppedError, TimeoutError } from '../../src/errors.js'

type Msg = { type: 'echo', n: number, replyTo: ReplyTo<number> } | { type: 'ignore', replyTo: ReplyTo<number> }
let system: ReturnType<typeof start> | undefined
afterEach(() => { if (system !== undefined) stop(system); system = undefined })

describe('Asker', () => {
  it('resolves 100k concurrent asks (no id collisions, unlike nact query)', async () => {
    system = start()
    const echo = spawnStateless(system, (msg: Msg) => { if (msg.type === 'echo') msg.replyTo(msg.n) })
    const asker = new Asker()
    const replies = await Promise.all(Array.from({ length: 100_000 }, (_, n) => asker.ask<number, Msg>(echo, replyTo => ({ type: 'echo', n, replyTo }), 30_000)))
    expect(replies.every((r, i) => r === i)).toBe(true)
    expect(asker.inFlight).toBe(0)
    asker.close()
  })

  it('rejects with TimeoutError when no reply comes', async () => {
    system = start()
    const silent = spawn(system, (s: null) => s, 'silent', { initialState: null })
    const asker = new Asker(10)
    await expect(asker.ask<number, Msg>(silent, replyTo => ({ type: 'ignore', replyTo }), 30)).rejects.toThrow(TimeoutError)
    asker.close()
  })

  it('rejects pending and new asks once closed', async () => {
    system = start()
    const silent = spawn(system, (s: null) => s, 'silent', { initialState: null })
    const asker = new Asker()
    const pending = asker.ask<number, Msg>(silent, replyTo => ({ type: 'ignore', replyTo }), 10_000)
    asker.close()
    await expect(pending).rejects.toThrow(NodeStoppedError)
    await expect(asker.ask<number, Msg>(silent, replyTo => ({ type: 'ignore', replyTo }), 10)).rejects.toThrow(NodeStoppedError)
  })
})
