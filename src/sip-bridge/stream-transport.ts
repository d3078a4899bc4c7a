// SIP over TCP and TLS for sip.js in Node (RFC 3261 §18): messages framed by
// Content-Length (stream-framing.ts), one connection per destination reused for
// every request to it (stream-connection.ts), responses on the connection their
// request came in on, Via/Contact with the real address and port, no retransmissions
// (Timers A/E are for unreliable transports) but Timer B/F, idle connections closed,
// and over TLS the peer's certificate verified against the account's CA with SNI
// (stream-dialer.ts).
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Transport, Emitter, TransportState } from 'sip.js';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import { SipFramingError, type SipTlsError, UnavailableError } from '../core/index.ts';
import {
  parseWire, topVia, addressedToServer, headerIndex, requestTarget, responseTarget, stampOwnVia, unstampOwnVia, stampReceived,
  serialize, localResponse, statelessResponse, formatHost, headerValue, type HostPort, type WireMessage,
} from './sip-wire.ts';
import { ClientRetransmissions, DEFAULT_TIMERS, type SipTimers } from './transactions.ts';
import { inspectInbound, WIRE_TAG, warning } from './wire-check.ts';
import { StateEmitter, type RequestGuard } from './udp-transport.ts';
import { InviteDestinations } from './invite-destinations.ts';
import { Connection, keyOf, sourceOf } from './stream-connection.ts';
import { StreamDialer } from './stream-dialer.ts';

export type StreamProtocol = 'TCP' | 'TLS';

export interface StreamTlsOptions {
  /** PEM of the CA(s) the peer's certificate must chain to; undefined: Node's bundled public CAs. */
  ca?: string | Buffer;
  /**
   * SNI and the name every certificate must carry; '' or undefined: each server's own host name —
   * the name the request goes to; for an address, the configured server name resolving to that
   * address:port (StreamTransportOptions.servers), else the address itself (review s23 #3).
   */
  serverName?: string;
}

export interface StreamTransportOptions {
  clock: Clock;
  protocol: StreamProtocol;
  /** Address the TCP listener binds (and outgoing connections leave from). */
  bindHost: string;
  /** TCP listener port (0 = ephemeral); TLS has no listener: the peer reaches Portier over Portier's own connection. */
  bindPort: number;
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

export class StreamTransport implements Transport {
  readonly protocol: StreamProtocol;
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  readonly #opts: StreamTransportOptions;
  readonly #stateChange = new StateEmitter();
  readonly retransmissions: ClientRetransmissions;
  #state: TransportState = 'Disconnected' as TransportState;
  #server?: Server;
  #port = 0;
  #running = false;
  /**
   * Open connections by the peer's address (ip:port), inbound and outbound alike: a request to that address reuses it.
   * Over TLS by address and the name the certificate was verified as (connectionKey): a connection verified for one
   * name is not reused for a request to another name at the same address (review s23 #3).
   */
  readonly #connections = new Map<string, Connection>();
  /** Connections being opened, by destination: a second request waits for the same one. */
  readonly #connecting = new Map<string, Promise<Connection>>();
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
  /** Connections opened (both ways), refused past maxConnections (or past maxConnectionsPerSource: refusedPerSource too), closed for idleness, closed for broken framing. */
  opened = 0;
  refused = 0;
  refusedPerSource = 0;
  idleClosed = 0;
  framingErrors = 0;
  /** The last TLS failure, until a TLS connection succeeds. */
  get tlsFailure(): SipTlsError | undefined { return this.#dialer.tlsFailure; }
  /** Outgoing connections: TCP or verified TLS (stream-dialer.ts). */
  readonly #dialer: StreamDialer;

  constructor(_logger: unknown, options: StreamTransportOptions) {
    this.#opts = options;
    this.protocol = options.protocol;
    this.#dialer = new StreamDialer(options);
    this.retransmissions = new ClientRetransmissions(options.clock, options.timers ?? DEFAULT_TIMERS);
    this.#inviteDestinations = new InviteDestinations(options.clock, 64 * (options.timers ?? DEFAULT_TIMERS).t1Ms);
  }

  get state(): TransportState { return this.#state; }
  get stateChange(): Emitter<TransportState> { return this.#stateChange; }
  /** The TCP listener's port (0 over TLS: no listener). */
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
    await this.#resolveServers();
    if (this.protocol === 'TCP') {
      const server = createServer((socket) => this.#accept(socket));
      this.#server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#opts.bindPort, this.#opts.bindHost, () => { server.off('error', reject); resolve(); });
      }).catch((error: unknown) => {
        this.#server = undefined;
        server.close();
        this.#transition('Disconnected' as TransportState);
        throw error;
      });
      server.on('error', () => {});
      this.#port = (server.address() as { port: number }).port;
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
    for (const conn of [...this.#connections.values()]) this.#close(conn);
    this.#dialer.close();
    this.#serverNames.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#transition('Disconnected' as TransportState);
  }

  async dispose(): Promise<void> {
    await this.disconnect();
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
    const target = this.#inviteDestinations.of(msg) ?? requestTarget(msg, this.#opts.outboundProxy ?? this.#proxyFor(msg));
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
      const conn = await this.#connectionTo(target);
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
    if (!isIP(target.host) && this.#isServer(target.host)) this.#serverNames.set(peer, target.host);
    const serverName = this.#verifiedAs(target, peer);
    const key = this.protocol === 'TLS' ? connectionKey(peer, serverName ?? address) : peer;
    const existing = this.#connections.get(key);
    if (existing?.open) return existing;
    const pending = this.#connecting.get(key);
    if (pending) return pending;
    const opening = this.#open(address, target, key, serverName).finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, opening);
    return opening;
  }

  #lookup(host: string): Promise<string> {
    const lookup = this.#opts.lookup ?? (async (name: string) => (await dnsLookup(name)).address);
    return lookup(host);
  }

  #open(address: string, target: HostPort, key: string, serverName: string | undefined): Promise<Connection> {
    return this.#dialer.dial(address, target, serverName, () => this.#running).then((socket) => this.#adopt(socket, key, false));
  }

  /** address:port → the configured server name that resolves to it (servers; refreshed whenever one is reached by name). */
  readonly #serverNames = new Map<string, string>();

  #isServer(host: string): boolean {
    return (this.#opts.servers ?? []).some((s) => s.host.toLowerCase() === host.toLowerCase());
  }

  /** Resolves the configured servers given by name (a failed lookup: that server is verified by name only). */
  async #resolveServers(): Promise<void> {
    if (this.protocol !== 'TLS') return;
    await Promise.all((this.#opts.servers ?? []).filter((s) => !isIP(s.host)).map(async (s) => {
      const address = await this.#lookup(s.host).catch(() => undefined);
      if (address) this.#serverNames.set(keyOf(address, s.port), s.host);
    }));
  }

  /**
   * The name a TLS connection's certificate is verified as: tls.server_name, else the host name the request
   * goes to, else (an address) the configured server name resolving to it; undefined: the address itself.
   */
  #verifiedAs(target: HostPort, peer: string): string | undefined {
    if (this.protocol !== 'TLS') return undefined;
    return this.#opts.tls?.serverName || (isIP(target.host) ? this.#serverNames.get(peer) : target.host);
  }

  #accept(socket: Socket): void {
    const inbound = [...this.#connections.values()].filter((c) => c.inbound);
    if (!this.#running || inbound.length >= this.#opts.maxConnections) {
      this.refused++;
      socket.destroy();
      return;
    }
    // One address must not hold every place (review s20 #7): past its share a new connection is closed at once.
    const source = sourceOf(socket);
    const perSource = this.#opts.maxConnectionsPerSource ?? this.#opts.maxConnections;
    if (inbound.filter((c) => c.source === source).length >= perSource) {
      this.refused++;
      this.refusedPerSource++;
      socket.destroy();
      this.#tellSourceLimited(source, perSource);
      return;
    }
    this.#adopt(socket, keyOf(socket.remoteAddress ?? '', socket.remotePort ?? 0), true);
  }

  /** Sources refused for holding their share, logged once until one of their connections closes (bounded: maxConnections / share). */
  readonly #limitedSources = new Set<string>();

  #tellSourceLimited(source: string, limit: number): void {
    if (this.#limitedSources.has(source)) return;
    this.#limitedSources.add(source);
    this.#opts.logger?.warn({ reason: 'sip.source-connections', source, limit, protocol: this.protocol },
      'sip: a source holds its share of connections, more from it are refused / eine Quelle hält ihren Anteil an Verbindungen, weitere von ihr werden abgewiesen');
  }

  #adopt(socket: Socket, key: string, inbound: boolean): Connection {
    const conn = new Connection(socket, key, Math.min(this.#opts.maxMessageBytes ?? DEFAULT_MAX_BYTES, 1_048_576), inbound);
    this.opened++;
    this.#connections.get(key)?.socket.destroy();
    this.#connections.set(key, conn);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.#read(conn, data));
    socket.on('error', () => {});
    socket.on('close', () => this.#forget(conn));
    this.#touch(conn);
    return conn;
  }

  /** Re-arms the connection's idle timer (any byte either way counts). */
  #touch(conn: Connection): void {
    const clock = this.#opts.clock;
    if (conn.idle) clock.clearTimeout(conn.idle);
    conn.idle = clock.setTimeout(() => {
      conn.idle = undefined;
      this.idleClosed++;
      this.#close(conn);
    }, this.#opts.idleMs);
  }

  #forget(conn: Connection): void {
    if (conn.idle) this.#opts.clock.clearTimeout(conn.idle);
    conn.idle = undefined;
    if (conn.inbound) this.#limitedSources.delete(conn.source);
    if (this.#connections.get(conn.key) === conn) this.#connections.delete(conn.key);
  }

  #close(conn: Connection): void {
    this.#forget(conn);
    conn.socket.destroy();
  }

  #write(conn: Connection, bytes: string): Promise<void> {
    if (!conn.open) return Promise.reject(new UnavailableError('SIP connection closed'));
    this.sent++;
    this.#touch(conn);
    return new Promise((resolve, reject) => conn.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  #read(conn: Connection, data: Buffer): void {
    this.#touch(conn);
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
    this.#forget(conn);
  }

  #receive(conn: Connection, data: Buffer): void {
    this.received++;
    const source = conn.remote;
    const guard = this.#opts.guard;
    const admission = guard && !data.subarray(0, 4).equals(RESPONSE_START) ? guard.admit(source.host, data) : 'pass';
    if (admission === 'drop') return void this.dropped++;
    const inbound = inspectInbound(data, { maxBytes: Number.MAX_SAFE_INTEGER, parses: this.#parses, datagram: false });
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
