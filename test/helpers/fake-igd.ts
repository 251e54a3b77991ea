/**
 * A minimal UPnP Internet Gateway Device (IGD v2) for tests: just what
 * `@libp2p/upnp-nat` (through `@achingbrain/nat-port-mapper` and `@achingbrain/ssdp`)
 * needs to find a gateway and map a port, and a record of what it was asked.
 *
 * - SSDP: a UDP socket on port 1900, joined to 239.255.255.250 on `host`, answers an
 *   `M-SEARCH` for `urn:schemas-upnp-org:device:InternetGatewayDevice:2` (or `ssdp:all`)
 *   with a unicast `HTTP/1.1 200 OK` carrying `ST`, `USN`, `LOCATION` and
 *   `CACHE-CONTROL: max-age` (the ssdp client drops a response without any of them).
 * - HTTP on `host:httpPort`: `GET /desc.xml`, the device description (an IGD:2 with a
 *   WANDevice:2 → WANConnectionDevice:2 → WANIPConnection:2 service and its controlURL),
 *   and `POST /ctl`, the SOAP control endpoint: `GetExternalIPAddress`,
 *   `AddAnyPortMapping` (answers `NewReservedPort`: the requested external port) and
 *   `DeletePortMapping`; any other action gets a SOAP fault (UPnP error 401).
 *
 * It maps nothing for real (no NAT rule): a router that says yes. Run it inside a network
 * namespace (multicast must not touch the host's interfaces). As a script (`node --import
 * tsx test/helpers/fake-igd.ts <host> <externalIp> [httpPort]`) it prints one JSON line per
 * event on stdout: `{"event":"ready"}`, `{"event":"m-search",…}`, `{"event":"soap",
 * "action":…,"args":{…}}`, so a test in another namespace can follow it.
 */
import { createSocket, type Socket } from 'node:dgram'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'

export const SSDP_ADDR = '239.255.255.250'
export const SSDP_PORT = 1900
export const IGD2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2'
export const WANIP2 = 'urn:schemas-upnp-org:service:WANIPConnection:2'

/** What the fake gateway saw. */
export type IgdEvent =
  | { event: 'ready' }
  | { event: 'm-search', from: string, st: string }
  | { event: 'soap', action: string, args: Record<string, string> }

export interface FakeIgdOptions {
  /** The LAN address to serve on (and join the SSDP group on). */
  host: string
  /** What `GetExternalIPAddress` answers. */
  externalIp: string
  /** @default 5000 */
  httpPort?: number
  onEvent?: (e: IgdEvent) => void
}

export interface FakeIgd {
  events: IgdEvent[]
  /** Current mappings, `<protocol> <externalPort>` → the AddAnyPortMapping arguments. */
  mappings: Map<string, Record<string, string>>
  close: () => Promise<void>
}

const UDN = 'uuid:00000000-0000-4000-8000-fa4e16d00001'

function description (host: string, port: number): string {
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <URLBase>http://${host}:${port}/</URLBase>
  <device>
    <deviceType>${IGD2}</deviceType>
    <friendlyName>REPRAM test gateway</friendlyName>
    <UDN>${UDN}</UDN>
    <deviceList>
      <device>
        <deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType>
        <UDN>${UDN}-wan</UDN>
        <deviceList>
          <device>
            <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>
            <UDN>${UDN}-wanconn</UDN>
            <serviceList>
              <service>
                <serviceType>${WANIP2}</serviceType>
                <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
                <SCPDURL>/wanip.xml</SCPDURL>
                <controlURL>/ctl</controlURL>
                <eventSubURL>/evt</eventSubURL>
              </service>
            </serviceList>
          </device>
        </deviceList>
      </device>
    </deviceList>
  </device>
</root>`
}

function soap (body: string): string {
  return `<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
  <s:Body>${body}</s:Body>
</s:Envelope>`
}

/** The action's arguments: the child elements of `<u:Action>` (flat, text only). */
function soapArgs (xml: string, action: string): Record<string, string> {
  const inner = new RegExp(`<(?:\\w+:)?${action}\\b[^>]*>([\\s\\S]*?)</(?:\\w+:)?${action}>`).exec(xml)?.[1] ?? ''
  const args: Record<string, string> = {}
  for (const m of inner.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) args[m[1]] = m[2]
  return args
}

/** Starts the fake gateway on `opts.host`. */
export async function startFakeIgd (opts: FakeIgdOptions): Promise<FakeIgd> {
  const port = opts.httpPort ?? 5000
  const events: IgdEvent[] = []
  const mappings = new Map<string, Record<string, string>>()
  const emit = (e: IgdEvent): void => { events.push(e); opts.onEvent?.(e) }

  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const xml = (status: number, text: string): void => { res.writeHead(status, { 'content-type': 'text/xml; charset="utf-8"' }).end(text) }
      if (req.method === 'GET' && req.url === '/desc.xml') { xml(200, description(opts.host, port)); return }
      if (req.method !== 'POST' || req.url !== '/ctl') { res.writeHead(404).end(); return }
      const action = /#(\w+)"?$/.exec(String(req.headers.soapaction ?? ''))?.[1] ?? ''
      const args = soapArgs(Buffer.concat(chunks).toString('utf8'), action)
      emit({ event: 'soap', action, args })
      const u = `xmlns:u="${WANIP2}"`
      if (action === 'GetExternalIPAddress') {
        xml(200, soap(`<u:GetExternalIPAddressResponse ${u}><NewExternalIPAddress>${opts.externalIp}</NewExternalIPAddress></u:GetExternalIPAddressResponse>`))
      } else if (action === 'AddAnyPortMapping') {
        mappings.set(`${args.NewProtocol} ${args.NewExternalPort}`, args)
        xml(200, soap(`<u:AddAnyPortMappingResponse ${u}><NewReservedPort>${args.NewExternalPort}</NewReservedPort></u:AddAnyPortMappingResponse>`))
      } else if (action === 'DeletePortMapping') {
        // NewProtocol may be empty (nat-port-mapper sends ''): delete that port for any protocol.
        for (const key of [...mappings.keys()]) {
          const [proto, ext] = key.split(' ')
          if (ext === args.NewExternalPort && (args.NewProtocol === '' || args.NewProtocol === proto)) mappings.delete(key)
        }
        xml(200, soap(`<u:DeletePortMappingResponse ${u}></u:DeletePortMappingResponse>`))
      } else {
        xml(500, soap('<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>401</errorCode><errorDescription>Invalid Action</errorDescription></UPnPError></detail></s:Fault>'))
      }
    })
  })
  await new Promise<void>((resolve, reject) => { http.once('error', reject); http.listen(port, opts.host, resolve) })

  const udp: Socket = createSocket({ type: 'udp4', reuseAddr: true })
  udp.on('message', (buf, rinfo) => {
    const text = buf.toString('utf8')
    if (!text.startsWith('M-SEARCH * HTTP/1.1')) return
    const st = /^ST:\s*(.*?)\s*$/im.exec(text)?.[1]?.replace(/^"|"$/g, '') ?? ''
    emit({ event: 'm-search', from: `${rinfo.address}:${rinfo.port}`, st })
    if (st !== IGD2 && st !== 'ssdp:all' && st !== 'upnp:rootdevice') return
    const reply = [
      'HTTP/1.1 200 OK',
      'CACHE-CONTROL: max-age=1800',
      'EXT:',
      `LOCATION: http://${opts.host}:${port}/desc.xml`,
      'SERVER: Linux/6 UPnP/2.0 repram-fake-igd/1',
      `ST: ${IGD2}`,
      `USN: ${UDN}::${IGD2}`,
      '', ''
    ].join('\r\n')
    udp.send(reply, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject)
    udp.bind(SSDP_PORT, () => {
      try { udp.addMembership(SSDP_ADDR, opts.host); resolve() } catch (err) { reject(err) }
    })
  })
  emit({ event: 'ready' })

  return {
    events,
    mappings,
    close: async () => {
      udp.close()
      http.closeAllConnections()
      await new Promise<void>(resolve => http.close(() => resolve()))
    }
  }
}

// As a script: run in a namespace, report events as JSON lines, stop on SIGTERM.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [host, externalIp, httpPort] = process.argv.slice(2)
  const igd = await startFakeIgd({ host, externalIp, httpPort: httpPort !== undefined ? Number(httpPort) : undefined, onEvent: e => { process.stdout.write(JSON.stringify(e) + '\n') } })
  const stop = (): void => { void igd.close().finally(() => process.exit(0)) }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
