/** The peers table, from `GET /v1/topology`. Peer ids and addresses are inserted as text. */
import { getJson, type Topology } from './api.js'
import { byId, el, row } from './dom.js'
import { formatAgo, shortId } from './format.js'

/** Redraws the peers table. */
export async function refreshPeers (): Promise<void> {
  const t = await getJson<Topology>('../v1/topology')
  const withScore = t.peers.some(p => typeof p.score === 'number')
  const head = byId('peers-head')
  const scoreHead = head.querySelector('th.score')
  if (withScore && scoreHead === null) head.append(el('th', { class: 'score', text: 'score' }))
  if (!withScore && scoreHead !== null) scoreHead.remove()

  const now = Date.now()
  const peers = [...t.peers].sort((a, b) => Number(b.healthy) - Number(a.healthy) || a.id.localeCompare(b.id))
  byId('peers-body').replaceChildren(...peers.map(p => {
    const cells: Array<string | Node> = [
      el('td', { class: 'mono', text: shortId(p.id), title: p.id }),
      el('td', { class: 'addr', text: p.addresses.join('\n') }),
      el('td', { class: 'num', text: p.rtt_ms === null ? '–' : `${p.rtt_ms.toFixed(p.rtt_ms < 1 ? 2 : p.rtt_ms < 10 ? 1 : 0)} ms` }),
      el('td', { class: p.healthy ? 'ok' : 'bad', text: p.healthy ? 'healthy' : 'unhealthy' }),
      el('td', { class: 'num', text: formatAgo(p.last_seen, now) })
    ]
    if (withScore) cells.push(typeof p.score === 'number' ? p.score.toFixed(2) : '–')
    const tr = row(cells, 'peer')
    tr.dataset.peerId = p.id
    return tr
  }))
  const empty = byId('peers-empty')
  empty.hidden = t.peers.length > 0
  empty.textContent = `No peers: this node is alone in enclave ${t.enclave}.`
}
