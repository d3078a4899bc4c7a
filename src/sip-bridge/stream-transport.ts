// SIP over TCP and TLS for sip.js in Node (RFC 3261 §18): messages framed by
// Content-Length (stream-framing.ts; over a WebSocket by its messages, ws-framing.ts), one connection per destination reused for
// every request to it (connection-table.ts), responses on the connection their
// request came in on, Via/Contact with the real address and port, no retransmissions
// (Timers A/E are for unreliable transports) but Timer B/F, idle connections closed,
// and over TLS the peer's certificate verified against the account's CA with SNI
// (stream-dialer.ts) as the name tls-server-names.ts gives.
import { isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Transport, Emitter, TransportState } from 'sip.js';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import { SipFramingError, type SipTlsError, UnavailableError } from '../core/index.ts';
import {
  parseWire, topVia, addressedToServer, headerIndex, requestTarget, responseTarget, stampOwnVia, unstampOwnVia, stampReceived,
  serialize, takeNextHop, localResponse, statelessResponse, formatHost, headerValue, type HostPort, type WireMessage,
} from './sip-wire.ts';
import { ClientRetransmissions, DEFAULT_TIMERS, type SipTimers } from './transactions.ts';
import { inspectInbound, WIRE_TAG, warning } from './wire-check.ts';
import { StateEmitter, type RequestGuard } from './udp-transport.ts';
import { InviteDestinations } from './invite-destinations.ts';
import { type Connection, keyOf } from './stream-connection.ts';
import { ConnectionTable } from './connection-table.ts';
import { TlsServerNames } from './tls-server-names.ts';
import { StreamDialer, secureProtocol, isWebSocket } from './stream-dialer.ts';
import { StreamListener, type ServerCertificate } from './stream-listener.ts';
import { flowHooks, type StreamFlows } from './stream-flows.ts';

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

export interface StreamTransportOptions {
  clock: Clock;
  protocol: StreamProtocol;
  /** Address the TCP listener binds (and outgoing connections leave from). */
  bindHost: string;
  /** Listener port (0 = ephemeral); TLS has none unless `certificate` is given: the peer reaches Portier over Portier's own connection. */
  bindPort: number;
  /** TLS: listen on bindPort too, presenting this certificate (Portier's own: the door stations' TLS socket). */
  certificate?: ServerCertificate;
  /** Peers reached only over the connections they opened (see StreamFlows). */
  flows?: StreamFlows;
  advertisedHost: string;
  outboundProxy?: HostPort;
  proxy?: HostPort;
  timers?: SipTimers;
  lookup?: (host: string) => Promise<string>;
  guard?: RequestGuard;
  /** Largest message (headers and body) taken in; past it 513 and the connection closes (sip.max_message_bytes). */
  maxMessageBytes?: number;
  forceRport?: boolean;
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
  logger?: Pick<Logger, 'warn'>;
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
  readonly #stateChange = new StateEmitter();
  readonly retransmissions: ClientRetransmissions;
  #state: TransportState = 'Disconnected' as TransportState;
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
  readonly #requestConnections = new Map<string, { conn: Connection; timer: NodeJS.Timeout }>();
  /** Where each INVITE went: its CANCEL and the ACK of a failure go there too, on its connection (RFC 3261 §17.1.1.3). */
  readonly #inviteDestinations: InviteDestinations<HostPort>;
  /** sip.js's parser, loaded with connect(). */
  #parses?: (text: string) => boolean;
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
    }, (conn, data) => this.#read(conn, data));
    // A flow a station's binding or call left idles out after idleMs, not after the binding's hour (review s26 #10).
    options.flows?.onReleased?.((peer) => this.#connections.rearm(keyOf(peer.host, peer.port)));
    this.#serverNames = new TlsServerNames(options.servers ?? [], options.tls?.serverName, (host) => this.#lookup(host), options.tls?.srvDomainOf);
    this.retransmissions = new ClientRetransmissions(options.clock, options.timers ?? DEFAULT_TIMERS);
    this.#inviteDestinations = new InviteDestinations(options.clock, 64 * (options.timers ?? DEFAULT_TIMERS).t1Ms);
  }

  get state(): TransportState { return this.#state; }
  get stateChange(): Emitter<TransportState> { return this.#stateChange; }
  /** The listener's port (0 over TLS without a certificate: no listener). */
  get port(): number { return this.#port; }
  /** Open connections now. */
  get connections(): number { return this.#connections.size; }
  isConnected(): boolean { return this.#state === 'Connected'; }

  #transition(state: TransportState, error?: Error): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#stateChange.emit(state);
    if (state === 'Connected') this.onConnect?.();
    if (state === 'Disconnected') this.onDisconnect?.(error);
  }

  /** Binds the TCP listener (TLS: none); connections to peers open with the first message to each. */
  async connect(): Promise<void> {
    if (this.#running) return;
    this.#transition('Connecting' as TransportState);
    const { Core } = await import('sip.js');
    this.#parses = (text) => Core.Parser.parseMessage(text, SILENT) !== undefined;
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
        this.#transition('Disconnected' as TransportState);
        throw error;
      }
      this.#listener = listener;
      this.#port = listener.port;
    }
    this.#running = true;
    this.#transition('Connected' as TransportState);
  }

  async disconnect(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#transition('Disconnecting' as TransportState);
    this.retransmissions.close();
    this.#inviteDestinations.close();
    for (const { timer } of this.#requestConnections.values()) this.#opts.clock.clearTimeout(timer);
    this.#requestConnections.clear();
    this.#connections.closeAll();
    this.#dialer.close();
    this.#serverNames.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
    this.#transition('Disconnected' as TransportState);
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
    const target = this.#inviteDestinations.of(msg) ?? requestTarget(msg, this.#opts.outboundProxy ?? nextHop ?? this.#proxyFor(msg));
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

  #proxyFor(msg: WireMessage): HostPort | undefined {
    if (!this.#opts.proxy || headerValue(msg, 'route') !== undefined || addressedToServer(msg)) return undefined;
    return /;\s*tag=/i.test(headerValue(msg, 'to') ?? '') ? undefined : this.#opts.proxy;
  }

  async #sendResponse(msg: WireMessage): Promise<void> {
    const key = exchangeKey(msg);
    let conn = key ? this.#requestConnections.get(key)?.conn : undefined;
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

  #read(conn: Connection, data: Buffer): void {
    this.#connections.touch(conn);
    let frames;
    try {
      frames = conn.framer.push(data);
    } catch (error) {
      // Never rethrown from a socket's data handler: that would end the process (review s20 #1).
      this.#unframeable(conn, error instanceof SipFramingError ? error : new SipFramingError(`SIP stream: ${String(error)}`, { reason: 'sip.frame-length', params: { why: 'unreadable stream' } }));
      return;
    }
    for (const frame of frames) {
      if (!conn.open) return;
      // A double-CRLF ping gets a single CRLF (RFC 5626 §3.5.1).
      if (frame.kind === 'ping') conn.socket.write('\r\n');
      else this.#receive(conn, frame.data);
    }
  }

  /** A stream that lost its framing: a 400/513 if the broken message was a request with a Via, then the connection closes. */
  #unframeable(conn: Connection, error: SipFramingError): void {
    this.framingErrors++;
    // Nothing more is read from it, and it is destroyed once the answer is out: a half-closed
    // socket would stay open as long as the peer liked, uncounted and past disconnect() (review s20 #2).
    conn.socket.removeAllListeners('data');
    const destroy = () => conn.socket.destroy();
    const head = conn.framer.brokenHead;
    const inbound = head ? inspectInbound(head, { maxBytes: Number.MAX_SAFE_INTEGER, datagram: false }) : undefined;
    const msg = inbound && inbound.kind !== 'drop' ? inbound.msg : undefined;
    if (msg?.method && msg.method !== 'ACK' && stampReceived(msg, conn.remote, this.#opts.forceRport)) {
      const tooLarge = error.why.reason === 'sip.frame-too-large';
      this.rejected++;
      const reply = statelessResponse(msg, tooLarge ? 513 : 400, tooLarge ? 'Message Too Large' : 'Bad Request', WIRE_TAG, [warning(String(error.why.params.why))]);
      this.sent++;
      conn.socket.end(reply, destroy);
    } else {
      this.dropped++;
      conn.socket.end(destroy);
    }
    this.#connections.forget(conn);
  }

  #receive(conn: Connection, data: Buffer): void {
    this.received++;
    const source = conn.remote;
    const guard = this.#opts.guard;
    const admission = guard && !data.subarray(0, 4).equals(RESPONSE_START) ? guard.admit(source.host, data) : 'pass';
    if (admission === 'drop') return void this.dropped++;
    // Over a WebSocket a wrong Content-Length is this message's fault, answered 400 (RFC 7118 §5, review s26 #13).
    const inbound = inspectInbound(data, { maxBytes: Number.MAX_SAFE_INTEGER, parses: this.#parses, datagram: false, wholeMessage: isWebSocket(this.protocol) });
    if (inbound.kind === 'drop') return void this.dropped++;
    const msg = inbound.msg;
    if (admission === 'limited') {
      this.dropped++;
      if (msg.method && msg.method !== 'ACK' && stampReceived(msg, source, this.#opts.forceRport)) {
        const reply = guard!.limitedReply();
        this.#write(conn, statelessResponse(msg, reply.status, reply.reason, guard!.tag, reply.headers)).catch(() => {});
      }
      return;
    }
    if (inbound.kind === 'reject') {
      // The framing held: the message is answered and the connection stays.
      this.rejected++;
      if (stampReceived(msg, source, this.#opts.forceRport)) {
        this.#write(conn, statelessResponse(msg, inbound.status, inbound.reason, WIRE_TAG, [warning(inbound.why)])).catch(() => {});
      }
      return;
    }
    if (msg.method) {
      if (!stampReceived(msg, source, this.#opts.forceRport)) return void this.dropped++;
      const verdict = guard?.check(msg, source);
      if (verdict?.action === 'drop') return;
      if (verdict?.action === 'reply') {
        this.#write(conn, statelessResponse(msg, verdict.status, verdict.reason, guard!.tag, verdict.headers)).catch(() => {});
        return;
      }
      if (msg.method !== 'ACK') this.#rememberConnection(msg, conn);
      this.#deliver(serialize(msg));
      return;
    }
    const branch = topVia(msg)?.params.get('branch');
    if (branch) this.retransmissions.response(branch, msg.status!);
    this.#inviteDestinations.response(msg);
    unstampOwnVia(msg, this.#opts.advertisedHost);
    this.#deliver(serialize(msg));
  }

  #rememberConnection(msg: WireMessage, conn: Connection): void {
    const key = exchangeKey(msg);
    if (!key) return;
    const clock = this.#opts.clock;
    const old = this.#requestConnections.get(key);
    if (old) clock.clearTimeout(old.timer);
    const hold = 64 * (this.#opts.timers ?? DEFAULT_TIMERS).t1Ms;
    this.#requestConnections.set(key, { conn, timer: clock.setTimeout(() => this.#requestConnections.delete(key), hold) });
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

const RESPONSE_START = Buffer.from('SIP/');

/**
 * A request and its responses alike: Call-ID, CSeq and the top Via's branch as parsed (sip.js rewrites
 * the request's headers' spacing in its response, and an RFC 2543 peer may send no magic cookie).
 */
function exchangeKey(msg: WireMessage): string | undefined {
  const callId = headerValue(msg, 'call-id');
  const cseq = /^(\d+)\s+(\S+)/.exec(headerValue(msg, 'cseq') ?? '');
  if (!callId || !cseq) return undefined;
  return `${callId}|${Number(cseq[1])} ${cseq[2]!.toUpperCase()}|${topVia(msg)?.params.get('branch') ?? ''}`;
}
const SILENT = { error: () => {}, warn: () => {}, log: () => {}, debug: () => {} } as unknown as Parameters<typeof import('sip.js').Core.Parser.parseMessage>[1];

/** A TLS connection's key: the peer's address:port and the name its certificate was verified as. */
const connectionKey = (peer: string, verifiedAs: string): string => `${peer} ${verifiedAs.toLowerCase()}`;
