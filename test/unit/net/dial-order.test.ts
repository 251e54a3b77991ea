/**
 * The public network's dial order and connection counts (issue 17): with the relay
 * transport a node dials a peer's direct addresses, private ones included, before any
 * relayed one, where libp2p's default order put a `/p2p-circuit` address through a public
 * relay ahead of a LAN address (and two hosts on one LAN talked through the relay).
 */
import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { countConnections, directFirstSorter, reachabilityOf } from '../../../src/net/public.js'

const RELAYED = '/ip4/198.20.100.1/tcp/9090/p2p/12D3KooWStk98dnhnQPn9epqmcuamHWJBocp39KXYH8SpyHx2XEn/p2p-circuit'
const addr = (s: string, isCertified = false): { multiaddr: ReturnType<typeof multiaddr>, isCertified: boolean } => ({ multiaddr: multiaddr(s), isCertified })

describe('directFirstSorter', () => {
  it('puts relayed addresses after every direct one, then public before private, loopback last', () => {
    const sorted = [addr(RELAYED), addr('/ip4/127.0.0.1/tcp/9090'), addr('/ip4/192.168.1.12/tcp/9090'), addr('/ip4/198.20.100.7/tcp/9090')]
      .sort(directFirstSorter).map(a => a.multiaddr.toString())
    expect(sorted).toEqual(['/ip4/198.20.100.7/tcp/9090', '/ip4/192.168.1.12/tcp/9090', RELAYED, '/ip4/127.0.0.1/tcp/9090'])
  })
  it('keeps certified addresses first among equals', () => {
    const sorted = [addr('/ip4/192.168.1.12/tcp/9090'), addr('/ip4/192.168.1.13/tcp/9090', true)].sort(directFirstSorter)
    expect(sorted[0].multiaddr.toString()).toBe('/ip4/192.168.1.13/tcp/9090')
  })
})

describe('countConnections and reachability', () => {
  it('counts relayed and direct connections by their remote address', () => {
    expect(countConnections([multiaddr(`${RELAYED}/p2p/12D3KooWDJnC6eBVHUAKGkFxQtNmtg4gcJLb4iUJsMhMnzFVrbPH`), multiaddr('/ip4/192.168.1.12/tcp/9090'), multiaddr('/ip4/198.20.100.1/tcp/9090')]))
      .toEqual({ direct: 2, relayed: 1 })
    expect(countConnections([])).toEqual({ direct: 0, relayed: 0 })
  })
  it('calls 198.20.100.0/24 public (the NAT test\'s public segment) and 198.18.0.0/15 private', () => {
    expect(reachabilityOf([{ multiaddr: multiaddr('/ip4/198.20.100.1/tcp/9090'), verified: false }])).toBe('unknown')
    expect(reachabilityOf([{ multiaddr: multiaddr('/ip4/198.20.100.1/tcp/9090'), verified: true }])).toBe('public')
    expect(reachabilityOf([{ multiaddr: multiaddr('/ip4/198.18.100.1/tcp/9090'), verified: true }])).toBe('private')
  })
})
