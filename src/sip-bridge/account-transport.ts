// An account's signalling transport (UDP, or TCP/TLS): the options its sip.js user
// agent hands the transport — where requests go, the inbound guard, the limits, the
// TLS check — and the local address the account advertises in Via, Contact and SDP.
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import type { UdpTransport, UdpTransportOptions, RequestGuard } from './udp-transport.ts';
import type { StreamProtocol, StreamTransport, StreamTransportOptions } from './stream-transport.ts';
import type { HostPort } from './sip-wire.ts';
import type { SipAccountSettings, SipSettings, SipTransportName } from './settings.ts';

/** The stream transport's protocol for each account transport but udp. */
const STREAM_PROTOCOLS: Partial<Record<SipTransportName, StreamProtocol>> = { tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

/** The account's signalling transport: UDP, or TCP/TLS/WS/WSS. */
export type SipTransport = UdpTransport | StreamTransport;

export interface AccountTransportParts {
  account: SipAccountSettings;
  settings: SipSettings;
  clock: Clock;
  logger: Logger;
  /** The address written into Via and Contact. */
  advertised: string;
  /** The server in use now (server-registration.ts), read at each send. */
  active: () => HostPort;
  guard: RequestGuard;
  /** One address of a server's name (sip-dns.ts: sip.dns_servers when set, else the system's resolver). */
  lookup: (host: string) => Promise<string>;
  /** The registrar domain when `host` is one of its SRV targets (server-registration.ts), else undefined. */
  srvDomainOf?: (host: string) => string | undefined;
}

/** Options for either transport class (each reads its own; the TCP/TLS ones are ignored over UDP). */
export function accountTransportOptions(p: AccountTransportParts): UdpTransportOptions & StreamTransportOptions {
  const { account, settings } = p;
  return {
    clock: p.clock, bindHost: settings.bindAddress, bindPort: account.localPort,
    advertisedHost: p.advertised, outboundProxy: account.outboundProxy, timers: settings.timers,
    // New calls go to the server in use (read at each send); REGISTER and OPTIONS to their Request-URI.
    get proxy() { return p.active(); },
    guard: p.guard, lookup: p.lookup,
    maxMessageBytes: settings.maxMessageBytes, forceRport: settings.forceRport, logger: p.logger,
    // TCP/TLS only (stream-transport.ts).
    protocol: STREAM_PROTOCOLS[account.transport ?? 'tcp'] ?? 'TCP', wsPath: account.wsPath,
    idleMs: settings.streamIdleMs ?? 180_000, maxConnections: settings.streamMaxConnections ?? 64,
    maxConnectionsPerSource: settings.streamMaxConnectionsPerSource ?? 8,
    // Each server (registrar, secondaries) is verified against its own host name unless tls.server_name names one for all;
    // a server learned from the registrar domain's SRV records against the domain (RFC 5922 §4, review s26 #14).
    tls: account.tls && { ca: account.tls.ca, serverName: account.tls.serverName, srvDomainOf: p.srvDomainOf },
    // The only names an address (a Record-Route, a Via received) may be verified as (review s23 #3).
    servers: [account.registrar, ...account.secondaryRegistrars ?? [], ...account.outboundProxy ? [account.outboundProxy] : []],
  };
}

/** The local address the kernel would use towards a peer (a connected UDP socket sends nothing). */
export async function localAddressTowards(peer: HostPort, bindAddress: string): Promise<string> {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return bindAddress;
  const socket = createSocket(isIP(peer.host) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(peer.port, peer.host, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
