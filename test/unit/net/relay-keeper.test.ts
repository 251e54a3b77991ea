/**
 * The relay keeper alone (issue 17): a relay client without a relayed address asks a
 * connected relay for a reservation each interval, round robin, and stops asking once it
 * has one. ManualClock, fake host.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/clock.js'
import { RelayKeeper } from '../../../src/net/public.js'
import { until } from '../../helpers/until.js'

function keeper (relays: string[]): { clock: ManualClock, k: RelayKeeper, listened: string[], addrs: string[], armed: () => number } {
  const clock = new ManualClock()
  let armed = 0
  const counting = { setTimeout: (fn: () => void, ms: number) => { armed++; return clock.setTimeout(fn, ms) }, clearTimeout: (h: any) => { clock.clearTimeout(h) } }
  const listened: string[] = []
  const addrs: string[] = ['/ip4/10.0.0.2/tcp/9090/p2p/12D3KooWself']
  const k = new RelayKeeper({
    addresses: () => addrs,
    relays: async () => relays,
    listen: async (a) => { listened.push(a) }
  }, { clock: counting, intervalMs: 5000 })
  return { clock, k, listened, addrs, armed: () => armed }
}

describe('relay keeper', () => {
  it('asks connected relays for a reservation in turn while the node has no relayed address, and stops once it has one', async () => {
    const { clock, k, listened, addrs, armed } = keeper(['/ip4/198.18.100.1/tcp/9090/p2p/R1', '/ip4/198.18.100.9/tcp/9090/p2p/R2'])
    k.start()
    clock.advance(4999)
    await Promise.resolve()
    expect(listened).toEqual([])
    clock.advance(1)
    await until(() => listened.length === 1, { what: 'the first ask' })
    expect(listened).toEqual(['/ip4/198.18.100.1/tcp/9090/p2p/R1/p2p-circuit'])
    // The next timer is armed once the first ask has ended.
    await until(() => armed() === 2, { what: 'the next timer' })
    clock.advance(5000)
    await until(() => listened.length === 2, { what: 'the second ask' })
    expect(listened[1]).toBe('/ip4/198.18.100.9/tcp/9090/p2p/R2/p2p-circuit')
    addrs.push('/ip4/198.18.100.1/tcp/9090/p2p/R1/p2p-circuit/p2p/12D3KooWself')
    expect(await k.check()).toBe(false)
    k.stop()
    clock.advance(60_000)
    await Promise.resolve()
    expect(listened).toHaveLength(2)
    k.stop()
  })

  it('asks nothing when no relay is connected', async () => {
    const { k, listened } = keeper([])
    expect(await k.check()).toBe(false)
    expect(listened).toEqual([])
  })
})
