// SIP over TCP and TLS for sip.js in Node (RFC 3261 §18): messages framed by
// Content-Length (stream-framing.ts; over a WebSocket by its messages, ws-framing.ts), one connection per destination reused for
// every request to it (connection-table.ts), messages read and answered or handed on by stream-receiver.ts,
// responses on the connection their request came in on (request-connections.ts), Via/Contact with the real address and port, no retransmissions
// (Timers A/E are for unreliable transports) but Timer B/F, idle connections closed,
// and over TLS the peer's certificate verified against the account's CA with SNI
// (stream-dialer.ts) as the name tls-server-names.ts gives.
import { isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Transport, Emitter, TransportState } from 'sip.js';
import { type SipTlsError, UnavailableError } from '../core/index.ts';
import {
  parseWire, topVia, registrarFor, headerIndex, requestTarget, responseTarget, stampOwnVia,
  serialize, takeNextHop, localResponse, formatHost, type HostPort, type WireMessage,
} from './sip-wire.ts';
import { ClientRetransmissions, DEFAULT_TIMERS } from './transactions.ts';
import type { SipTransportOptions } from './udp-transport.ts';
import { TransportStateMachine } from './transport-state.ts';
import { InviteDestinations } from './invite-destinations.ts';
import { type Connection, keyOf } from './stream-connection.ts';
import { ConnectionTable } from './connection-table.ts';
import { TlsServerNames } from './tls-server-names.ts';
import { StreamDialer, secureProtocol, isWebSocket } from './stream-dialer.ts';
import { StreamListener, type ServerCertificate } from './stream-listener.ts';
import { flowHooks, type StreamFlows } from './stream-flows.ts';
import { StreamReceiver } from './stream-receiver.ts';
import { RequestConnections } from './request-connections.ts';

/** SIP over TCP, TLS, or a WebSocket over TCP/TLS (RFC 7118; outgoing only, like TLS without a certificate). */
export type StreamProtocol = 'TCP' | 'TLS' | 'WS' | 'WSS';
export type { StreamFlows } from './stream-flows.ts';

export interface StreamTlsOptions {
  /** PEM of the CA(s) the peer's certificate must chain to; undefined: Node's bundled public CAs. */
  ca?: string | Buffer;
  /**
   * SNI and the name every certificate must carry; '' or undefined: each server's own host name —
   * the name the request goes to; for an address, the configured server name resolving to that
   * address:port (StreamTransportOptions.servers), else the address itself (review s23 #3).
   */
  serverName?: string;
  /**
   * The registrar domain when `host` is a server learned from its SRV records: such a server is verified
   * (and SNI sent) as the domain, never as its own name (RFC 5922 §4, review s26 #14); undefined: not one.
   */
  srvDomainOf?: (host: string) => string | undefined;
}

export interface StreamTransportOptions extends SipTransportOptions {
  protocol: StreamProtocol;
  /** Address the TCP listener binds (and outgoing connections leave from). */
  bindHost: string;
  /** Listener port (0 = ephemeral); TLS has none unless `certificate` is given: the peer reaches Portier over Portier's own connection. */
  bindPort: number;
  /** TLS: listen on bindPort too, presenting this certificate (Portier's own: the door stations' TLS socket). */
  certificate?: ServerCertificate;
  /** Peers reached only over the connections they opened (see StreamFlows). */
  flows?: StreamFlows;
  /** Largest message (headers and body) taken in; past it 513 and the connection closes (sip.max_message_bytes). */
  maxMessageBytes?: number;
  /** A connection without a byte either way for this long is closed (sip.stream_idle_seconds). */
  idleMs: number;
  /** Connections accepted from peers at once; past it a new one is closed at once (sip.stream_max_connections). */
  maxConnections: number;
  /** Of those, connections one source address may hold at once (sip.stream_max_connections_per_source); none: maxConnections. */
  maxConnectionsPerSource?: number;
  tls?: StreamTlsOptions;
  /** WS/WSS: the HTTP path of the WebSocket upgrade (default '/'). */
  wsPath?: string;
  /**
   * The account's configured servers (registrar, secondaries, outbound proxy): over TLS a request to
   * an address one of their names resolves to (a Record-Route, a Via received) is verified as that
   * name. Only these: a name from a message never becomes the identity of an address (review s23 #3).
   */
  servers?: HostPort[];
  /** Told when a TLS connection fails (an untrusted certificate …) and when one succeeds again (undefined). */
  onTlsState?: (error: SipTlsError | undefined) => void;
}

const DEFAULT_MAX_BYTES = 65_535;
/** The listener's TLS handshake bound (the door stations'): a station's handshake takes well under a second; 64·T1 let silent ones hold places for 32 s. */
const STATION_HANDSHAKE_MS = 5_000;

export class StreamTransport implements Transport {
  readonly protocol: StreamProtocol;
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  readonly #opts: StreamTransportOptions;
  readonly #states = new TransportStateMachine(this);
  readonly retransmissions: ClientRetransmissions;
  #listener?: StreamListener;
  #port = 0;
  #running = false;
  /**
   * Open connections by the peer's address (ip:port), inbound and outbound alike: a request to that address reuses it.
   * Over TLS by address and the name the certificate was verified as (connectionKey): a connection verified for one
   * name is not reused for a request to another name at the same address (review s23 #3).
   */
  readonly #connections: ConnectionTable;
  /** Over TLS: the name each connection's certificate is verified as. */
  readonly #serverNames: TlsServerNames;
  /** The connection each received request came in on, by server transaction (RFC 3261 §18.2.2), for 64·T1. */
  readonly #requestConnections: RequestConnections;
  /** Where each INVITE went: its CANCEL and the ACK of a failure go there too, on its connection (RFC 3261 §17.1.1.3). */
  readonly #inviteDestinations: InviteDestinations<HostPort>;
  /** Messages read off the connections (stream-receiver.ts). */
  readonly #receiver: StreamReceiver;
  /** Messages sent and received, answered here (400/505/513), dropped. */
  sent = 0;
  received = 0;
  rejected = 0;
  dropped = 0;
  /** Connections opened (both ways), refused past maxConnections (or past maxConnectionsPerSource: refusedPerSource too), closed for idleness (connection-table.ts). */
  get opened(): number { return this.#connections.opened; }
  get refused(): number { return this.#connections.refused; }
  get refusedPerSource(): number { return this.#connections.refusedPerSource; }
  get idleClosed(): number { return this.#connections.idleClosed; }
  /** Connections closed for broken framing. */
  framingErrors = 0;
  /**
   * Connections this side opened to peers. A registered account reads it: one more opened to reach its
   * registrar means the connection its binding was made on is gone (RFC 5626 §4.4.1's flow failure —
   * a registrar that restarted closes it).
   */
  dialed = 0;
  /** The last TLS failure, until a TLS connection succeeds. */
  get tlsFailure(): SipTlsError | undefined { return this.#dialer.tlsFailure; }
  /** Outgoing connections: TCP or verified TLS (stream-dialer.ts). */
  readonly #dialer: StreamDialer;

  constructor(_logger: unknown, options: StreamTransportOptions) {
    this.#opts = options;
    this.protocol = options.protocol;
    this.#dialer = new StreamDialer(options);
    this.#connections = new ConnectionTable({
      clock: options.clock, protocol: options.protocol, idleMs: options.idleMs, maxConnections: options.maxConnections,
      maxConnectionsPerSource: options.maxConnectionsPerSource, maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_BYTES, logger: options.logger,
      webSocket: isWebSocket(options.protocol),
      ...(options.flows ? flowHooks(options.flows) : {}),
    }, (conn, data) => this.#receiver.read(conn, data));
    // A flow a station's binding or call left idles out after idleMs, not after the binding's hour (review s26 #10).
    options.flows?.onReleased?.((peer) => this.#connections.rearm(keyOf(peer.host, peer.port)));
    this.#serverNames = new TlsServerNames(options.servers ?? [], options.tls?.serverName, (host) => this.#lookup(host), options.tls?.srvDomainOf);
    this.retransmissions = new ClientRetransmissions(options.clock, options.timers ?? DEFAULT_TIMERS);
    this.#inviteDestinations = new InviteDestinations(options.clock, 64 * (options.timers ?? DEFAULT_TIMERS).t1Ms);
    this.#requestConnections = new RequestConnections(options.clock, 64 * (options.timers ?? DEFAULT_TIMERS).t1Ms);
    this.#receiver = new StreamReceiver({
      protocol: options.protocol, counts: this, connections: this.#connections, guard: options.guard, forceRport: options.forceRport,
      advertisedHost: options.advertisedHost, retransmissions: this.retransmissions, inviteDestinations: this.#inviteDestinations,
      requestConnections: this.#requestConnections, write: (conn, bytes) => this.#write(conn, bytes), deliver: (message) => this.#deliver(message),
    });
  }

  get state(): TransportState { return this.#states.state; }
  get stateChange(): Emitter<TransportState> { return this.#states.stateChange; }
  /** The listener's port (0 over TLS without a certificate: no listener). */
  get port(): number { return this.#port; }
  /** Open connections now. */
  get connections(): number { return this.#connections.size; }
  isConnected(): boolean { return this.#states.isConnected(); }

  /** Binds the TCP listener (TLS: none); connections to peers open with the first message to each. */
  async connect(): Promise<void> {
    if (this.#running) return;
    this.#receiver.useParser(await this.#states.connecting());
    if (secureProtocol(this.protocol)) await this.#serverNames.resolve();
    // WS/WSS, and TLS without a certificate: no listener (the server reaches Portier over Portier's connection).
    if (this.protocol === 'TCP' || (this.protocol === 'TLS' && this.#opts.certificate)) {
      const listener = new StreamListener({
        protocol: this.protocol, bindHost: this.#opts.bindHost, bindPort: this.#opts.bindPort, certificate: this.#opts.certificate,
        handshakeMs: STATION_HANDSHAKE_MS, maxConnections: this.#opts.maxConnections,
        maxConnectionsPerSource: this.#opts.maxConnectionsPerSource ?? this.#opts.maxConnections,
        onSourceRefused: (source, limit) => this.#connections.refusedBySource(source, limit),
        onSocket: (socket) => this.#connections.accept(socket, this.#running),
      });
      try {
        await listener.listen();
      } catch (error) {
        await listener.close();
        this.#states.transition('Disconnected');
        throw error;
      }
      this.#listener = listener;
      this.#port = listener.port;
    }
    this.#running = true;
    this.#states.transition('Connected');
  }

  async disconnect(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#states.transition('Disconnecting');
    this.retransmissions.close();
    this.#inviteDestinations.close();
    this.#requestConnections.clear();
    this.#connections.closeAll();
    this.#dialer.close();
    this.#serverNames.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
    this.#states.transition('Disconnected');
  }

  async dispose(): Promise<void> {
    await this.disconnect();
  }

  /** TLS with a listener: a renewed certificate, presented from the next handshake on. */
  setCertificate(certificate: ServerCertificate): void {
    this.#listener?.setCertificate(certificate);
  }

  async send(text: string): Promise<void> {
    const msg = parseWire(text);
    if (!msg) throw new Error('not a SIP message');
    if (msg.method) return this.#sendRequest(msg, text);
    return this.#sendResponse(msg);
  }

  async #sendRequest(msg: WireMessage, original: string): Promise<void> {
    // The ACK of a failure carries the failure's To tag: routed like an in-dialog request, by its
    // Request-URI, it went to the callee's domain instead of the registrar (a failed lookup, then sip.js
    // failed the authenticated retry of the INVITE with a 503 if Kamailio's 100 had not come yet).
    const nextHop = takeNextHop(msg);
    const target = this.#inviteDestinations.of(msg) ?? requestTarget(msg, this.#opts.outboundProxy ?? nextHop ?? registrarFor(msg, this.#opts.proxy));
    if (!target) throw new Error(`no destination for ${msg.method}`);
    this.#inviteDestinations.remember(msg, target);
    const branch = topVia(msg)?.params.get('branch');
    // Timer B/F from the send on (a connection that never opens times out too); no Timer A/E.
    if (branch && msg.method !== 'ACK') {
      this.retransmissions.start(branch, msg.method === 'INVITE', {
        resend: () => {},
        timedOut: () => this.#deliver(localResponse(parseWire(original)!, 408, 'Request Timeout')),
      }, true);
    }
    try {
      const conn = this.#opts.flows ? this.#flowTo(this.#opts.flows, msg, target) : await this.#connectionTo(target);
      this.#stampOwn(msg, conn);
      await this.#write(conn, serialize(msg));
    } catch (error) {
      // sip.js answers its transaction with a local 503 (the send rejected); Timer F has nothing left to do.
      if (branch) this.retransmissions.stop(branch);
      throw error;
    }
  }

  /** Via sent-by and our Contact: the advertised address with the listener's port, else the connection's own. */
  #stampOwn(msg: WireMessage, conn: Connection): void {
    const port = this.#port || conn.localPort;
    if (msg.method) stampOwnVia(msg, { host: this.#opts.advertisedHost, port });
    const i = headerIndex(msg, 'contact');
    if (i < 0) return;
    const line = msg.lines[i]!;
    const host = formatHost(this.#opts.advertisedHost);
    // sip.js writes <sip:user@viaHost[:port];transport=…>: the real port (over TLS the connection's).
    msg.lines[i] = line.replace(/(<sips?:[^@>]*@)([^;>]+)/i, (whole, prefix: string, hostPort: string) =>
      (hostPort.replace(/:\d+$/, '') === host ? `${prefix}${host}:${port}` : whole));
  }

  async #sendResponse(msg: WireMessage): Promise<void> {
    let conn = this.#requestConnections.of(msg);
    if (!conn?.open && this.#opts.flows) throw new UnavailableError('the peer\'s connection is gone');
    if (!conn?.open) {
      // The request's connection is gone: a new one to its Via's received/rport, else its sent-by (§18.2.2).
      const target = responseTarget(msg);
      if (!target) throw new Error('response without a usable Via');
      conn = await this.#connectionTo(target);
    }
    this.#stampOwn(msg, conn);
    await this.#write(conn, serialize(msg));
  }

  /** An open connection to the destination (reused), else a new one. */
  async #connectionTo(target: HostPort): Promise<Connection> {
    if (!this.#running) throw new UnavailableError('SIP transport closed');
    const address = isIP(target.host) ? target.host : await this.#lookup(target.host);
    const peer = keyOf(address, target.port);
    this.#serverNames.reached(target, peer);
    const secure = secureProtocol(this.protocol);
    const serverName = secure ? this.#serverNames.verifiedAs(target, peer) : undefined;
    const key = secure ? connectionKey(peer, serverName ?? address) : peer;
    return this.#connections.reuseOrOpen(key, () =>
      this.#dialer.dial(address, target, serverName, () => this.#running).then((socket) => {
        this.dialed++;
        return this.#connections.adopt(socket, key, false);
      }));
  }

  /** The open connection the peer of this request's flow opened; none: the request fails (Portier does not connect to such peers). */
  #flowTo(flows: StreamFlows, msg: WireMessage, target: HostPort): Connection {
    if (!this.#running) throw new UnavailableError('SIP transport closed');
    const peer = flows.flowOf(msg, target);
    const conn = peer && this.#connections.get(keyOf(peer.host, peer.port));
    if (!conn) throw new UnavailableError(`no open connection from ${formatHost(target.host)}:${target.port} to send over`);
    return conn;
  }

  #lookup(host: string): Promise<string> {
    const lookup = this.#opts.lookup ?? (async (name: string) => (await dnsLookup(name)).address);
    return lookup(host);
  }

  #write(conn: Connection, bytes: string): Promise<void> {
    if (!conn.open) return Promise.reject(new UnavailableError('SIP connection closed'));
    this.sent++;
    this.#connections.touch(conn);
    return new Promise((resolve, reject) => conn.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  #deliver(message: string): void {
    try {
      this.onMessage?.(message);
    } catch (error) {
      this.dropped++;
      this.#opts.logger?.warn({ error: error instanceof Error ? error.message : String(error) },
        'sip: sip.js failed on a received message (dropped) / sip.js scheiterte an einer empfangenen Nachricht (verworfen)');
    }
  }
}

/** A TLS connection's key: the peer's address:port and the name its certificate was verified as. */
const connectionKey = (peer: string, verifiedAs: string): string => `${peer} ${verifiedAs.toLowerCase()}`;
