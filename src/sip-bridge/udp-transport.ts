// SIP over UDP for sip.js in Node: routes each message itself (sip.js's send()
// names no destination), writes the real address and port into Via, stamps
// received/rport on requests, and adds RFC 3261 §17's retransmissions.
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
// Types only: sip.js (~18 MiB) is loaded by the first account that starts, not by a gateway without SIP.
import type { Transport, Emitter, TransportState } from 'sip.js';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import { UnavailableError } from '../core/index.ts';
import {
  parseWire, topVia, registrarFor, cseqMethod, headerValue, requestTarget, responseTarget, stampOwnVia, unstampOwnVia, stampReceived,
  serialize, takeNextHop, localResponse, statelessResponse, type HostPort, type WireMessage,
} from './sip-wire.ts';
import { ClientRetransmissions, ServerRetransmissions, ServerResponseCache, DEFAULT_TIMERS, type SipTimers } from './transactions.ts';
import type { Admission, GuardVerdict } from './inbound-guard.ts';
import { inspectInbound, isKeepAlive, WIRE_TAG, warning } from './wire-check.ts';
import { InviteDestinations } from './invite-destinations.ts';
import { TransportStateMachine, type ParsesSip } from './transport-state.ts';

/** What the UDP and the stream transports are both given. */
export interface SipTransportOptions {
  clock: Clock;
  /** The address written into Via and Contact (sip.js's viaHost is this too). */
  advertisedHost: string;
  /** Every request goes here when set (RFC 3261 §8.1.2, an outbound proxy). */
  outboundProxy?: HostPort;
  /**
   * Where a request outside a dialog goes when it has no Route (a new INVITE):
   * the account's registrar, as a desk phone sends its calls to its server.
   */
  proxy?: HostPort;
  timers?: SipTimers;
  /** Resolves a host name (default: the system resolver). */
  lookup?: (host: string) => Promise<string>;
  /** Decides about each received request before sip.js sees it (inbound-guard.ts); none: all pass. */
  guard?: RequestGuard;
  /** Answer every request at its source port, as if it asked for rport (sip.force_rport). */
  forceRport?: boolean;
  /** Where an exception of sip.js on a received message is told (UDP: once per kind; none: counted only). */
  logger?: Pick<Logger, 'warn'>;
}

export interface UdpTransportOptions extends SipTransportOptions {
  /** Address to bind (0.0.0.0 for all). */
  bindHost: string;
  /** Local port; 0 = ephemeral. */
  bindPort: number;
  /** Largest message taken in (sip.max_message_bytes); a larger request is answered 513. */
  maxMessageBytes?: number;
}

/** What the transport asks before it hands a received request to sip.js. */
export interface RequestGuard {
  /** Takes the source's token before its datagram is read (inbound-guard.ts); a live dialog's requests pass free. */
  admit(host: string, datagram?: Buffer): Admission;
  /** The answer to the first request of a run over the limit. */
  limitedReply(): GuardVerdict & { action: 'reply' };
  check(msg: WireMessage, source: HostPort): GuardVerdict;
  /** The To tag of the guard's stateless responses. */
  readonly tag: string;
}

/** A UDP datagram's payload cannot be larger. */
const MAX_DATAGRAM = 65_507;

export class UdpTransport implements Transport {
  readonly protocol = 'UDP';
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  readonly #opts: UdpTransportOptions;
  readonly #states = new TransportStateMachine(this);
  readonly retransmissions: ClientRetransmissions;
  readonly responses: ServerResponseCache;
  /** Our 3xx–6xx answers to INVITEs, sent again until their ACK (Timers G/H). */
  readonly finalAnswers: ServerRetransmissions;
  /** Where each INVITE went: its CANCEL and the ACK of a failure go there too. */
  readonly #inviteDestinations: InviteDestinations<Promise<HostPort>>;
  #socket?: Socket;
  #port = 0;
  /** Datagrams sent and received (tests count them). */
  sent = 0;
  received = 0;
  /** Requests answered here (400, 505, 513) and messages dropped as malformed. */
  rejected = 0;
  dropped = 0;
  /** sip.js's parser, loaded with the socket: what it cannot parse is answered 400 here, not dropped there. */
  #parses?: ParsesSip;

  constructor(_logger: unknown, options: UdpTransportOptions) {
    this.#opts = options;
    const timers = options.timers ?? DEFAULT_TIMERS;
    this.retransmissions = new ClientRetransmissions(options.clock, timers);
    this.responses = new ServerResponseCache(options.clock, timers);
    this.finalAnswers = new ServerRetransmissions(options.clock, timers);
    this.#inviteDestinations = new InviteDestinations(options.clock, 64 * timers.t1Ms);
  }

  get state(): TransportState { return this.#states.state; }
  get stateChange(): Emitter<TransportState> { return this.#states.stateChange; }
  /** The bound local port (after connect). */
  get port(): number { return this.#port; }
  isConnected(): boolean { return this.#states.isConnected(); }

  /** Binds the socket (UDP has no connection; "connected" means ready to send). */
  async connect(): Promise<void> {
    if (this.#socket) return;
    this.#parses = await this.#states.connecting();
    const host = this.#opts.bindHost;
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.#opts.bindPort, host, () => { socket.off('error', reject); resolve(); });
    }).catch((error: unknown) => {
      this.#socket = undefined;
      socket.close();
      this.#states.transition('Disconnected');
      throw error;
    });
    // A send error on UDP (EHOSTUNREACH …) is not fatal for the socket; the transaction times out.
    socket.on('error', () => {});
    socket.on('message', (data, rinfo) => this.#receive(data, { host: rinfo.address, port: rinfo.port }));
    this.#port = socket.address().port;
    this.#states.transition('Connected');
  }

  async disconnect(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    this.#states.transition('Disconnecting');
    this.retransmissions.close();
    this.responses.close();
    this.finalAnswers.close();
    this.#inviteDestinations.close();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.#states.transition('Disconnected');
  }

  async dispose(): Promise<void> {
    await this.disconnect();
  }

  /** sip.js hands over a serialized message; where it goes is read from the message. */
  async send(text: string): Promise<void> {
    const msg = parseWire(text);
    if (!msg) throw new Error('not a SIP message');
    if (msg.method) return this.#sendRequest(msg);
    return this.#sendResponse(msg);
  }

  #sendRequest(msg: WireMessage): Promise<void> {
    const nextHop = takeNextHop(msg);
    stampOwnVia(msg, { host: this.#opts.advertisedHost, port: this.#port });
    const branch = topVia(msg)?.params.get('branch');
    const sameAsInvite = this.#inviteDestinations.of(msg);
    const target = sameAsInvite ? undefined : requestTarget(msg, this.#opts.outboundProxy ?? nextHop ?? registrarFor(msg, this.#opts.proxy));
    if (!sameAsInvite && !target) return Promise.reject(new Error(`no destination for ${msg.method}`));
    const to = sameAsInvite ?? this.#resolve(target!);
    this.#inviteDestinations.remember(msg, to);
    const bytes = serialize(msg);
    // Timers start with the send, not after a name lookup. ACK is never retransmitted by its client (§17.1.1.3).
    if (branch && msg.method !== 'ACK') {
      this.retransmissions.start(branch, msg.method === 'INVITE', {
        resend: () => { to.then((dest) => this.#write(bytes, dest)).catch(() => {}); },
        timedOut: () => this.#deliver(localResponse(parseWire(text(msg, this.#opts.advertisedHost))!, 408, 'Request Timeout')),
      });
    }
    return to.then((dest) => this.#write(bytes, dest));
  }

  async #sendResponse(msg: WireMessage): Promise<void> {
    const target = responseTarget(msg);
    if (!target) throw new Error('response without a usable Via');
    const bytes = serialize(msg);
    const method = cseqMethod(msg);
    if (msg.status! >= 200 && method && method !== 'INVITE') {
      const key = serverKey(msg, method);
      if (key) this.responses.remember(key, bytes);
    }
    const dest = this.#resolve(target);
    if (msg.status! >= 300 && method === 'INVITE') {
      // Timer G starts with the send, not after a name lookup; the ACK of a non-2xx has the INVITE's branch (hop by hop).
      const key = finalAnswerKey(msg);
      if (key) this.finalAnswers.start(key, () => { dest.then((to) => this.#write(bytes, to)).catch(() => {}); });
    }
    await this.#write(bytes, await dest);
  }

  async #resolve(target: HostPort): Promise<HostPort> {
    if (isIP(target.host)) return target;
    const lookup = this.#opts.lookup ?? (async (host: string) => (await dnsLookup(host)).address);
    return { host: await lookup(target.host), port: target.port };
  }

  #write(bytes: string, to: HostPort): Promise<void> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new UnavailableError('SIP transport closed'));
    this.sent++;
    return new Promise((resolve, reject) => socket.send(bytes, to.port, to.host, (error) => (error ? reject(error) : resolve())));
  }

  #receive(data: Buffer, source: HostPort): void {
    if (isKeepAlive(data)) return;
    this.received++;
    const guard = this.#opts.guard;
    // A request's source pays before its datagram is parsed: a flood of garbage or ACKs is bounded too.
    // A response (start line SIP/) is never answered and only matches our own transactions: no token.
    const admission = guard && !isResponseStart(data) ? guard.admit(source.host, data) : 'pass';
    if (admission === 'drop') return void this.dropped++;
    const maxBytes = Math.min(this.#opts.maxMessageBytes ?? MAX_DATAGRAM, MAX_DATAGRAM);
    const inbound = inspectInbound(data, { maxBytes, parses: this.#parses, datagram: true });
    if (inbound.kind === 'drop') {
      this.dropped++;
      return;
    }
    const msg = inbound.msg;
    if (admission === 'limited') {
      // Over its limit: one 503 for a request, nothing else answered, nothing delivered.
      this.dropped++;
      if (msg.method && msg.method !== 'ACK' && stampReceived(msg, source, this.#opts.forceRport)) {
        const target = responseTarget(msg);
        const reply = guard!.limitedReply();
        if (target) this.#write(statelessResponse(msg, reply.status, reply.reason, guard!.tag, reply.headers), target).catch(() => {});
      }
      return;
    }
    if (inbound.kind === 'reject') {
      const target = stampReceived(msg, source, this.#opts.forceRport) ? responseTarget(msg) : undefined;
      this.rejected++;
      if (target) this.#write(statelessResponse(msg, inbound.status, inbound.reason, WIRE_TAG, [warning(inbound.why)]), target).catch(() => {});
      return;
    }
    if (msg.method) {
      if (!stampReceived(msg, source, this.#opts.forceRport)) return void this.dropped++;
      if (msg.method === 'ACK') {
        const key = finalAnswerKey(msg);
        if (key) this.finalAnswers.ack(key);
      }
      const key = msg.method === 'ACK' || msg.method === 'INVITE' ? undefined : serverKey(msg, msg.method);
      const cached = key ? this.responses.lookup(key) : undefined;
      if (cached !== undefined) {
        this.#write(cached, source).catch(() => {});
        return;
      }
      const verdict = guard?.check(msg, source);
      if (verdict?.action === 'drop') return;
      if (verdict?.action === 'reply') {
        const target = responseTarget(msg);
        if (target) this.#write(statelessResponse(msg, verdict.status, verdict.reason, guard!.tag, verdict.headers), target).catch(() => {});
        return;
      }
      this.#deliver(serialize(msg));
      return;
    }
    const branch = topVia(msg)?.params.get('branch');
    if (branch) this.retransmissions.response(branch, msg.status!);
    this.#inviteDestinations.response(msg);
    unstampOwnVia(msg, this.#opts.advertisedHost);
    this.#deliver(serialize(msg));
  }

  #deliver(message: string): void {
    try {
      this.onMessage?.(message);
    } catch (error) {
      // sip.js throws on a few malformed messages (a response whose CSeq it cannot parse); one message, not the socket.
      this.dropped++;
      this.#tellFailure(message, error);
    }
  }

  /** Kinds (start line's method or status, error name and text) already logged: each once, at warn. */
  readonly #failureKinds = new Set<string>();

  #tellFailure(message: string, error: unknown): void {
    const msg = parseWire(message);
    const method = msg?.method ?? (msg ? cseqMethod(msg) : undefined);
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const kind = `${msg?.method ?? msg?.status ?? '?'}|${text}`;
    if (this.#failureKinds.has(kind) || this.#failureKinds.size >= 100) return;
    this.#failureKinds.add(kind);
    this.#opts.logger?.warn({ callId: msg ? headerValue(msg, 'call-id') : undefined, method, status: msg?.status, error: text },
      'sip: sip.js failed on a received message (dropped) / sip.js scheiterte an einer empfangenen Nachricht (verworfen)');
  }
}

const RESPONSE_START = Buffer.from('SIP/');
const isResponseStart = (data: Buffer): boolean => data.subarray(0, RESPONSE_START.length).equals(RESPONSE_START);

/** Server transaction key (RFC 3261 §17.2.3): branch, sent-by and method. */
export function serverKey(msg: WireMessage, method: string): string | undefined {
  const via = topVia(msg);
  const branch = via?.params.get('branch');
  if (!via || !branch?.startsWith('z9hG4bK')) return undefined;
  return `${branch}|${via.host}:${via.port ?? ''}|${method}`;
}

/** An INVITE's non-2xx answer and its ACK share this: the top Via's branch and the Call-ID. */
function finalAnswerKey(msg: WireMessage): string | undefined {
  const branch = topVia(msg)?.params.get('branch');
  const callId = headerValue(msg, 'call-id');
  return branch && callId ? `${branch}|${callId}` : undefined;
}

/** The request as sip.js wrote it (its own Via host, no port), for a local response. */
function text(msg: WireMessage, viaHost: string): string {
  const copy: WireMessage = { ...msg, lines: [...msg.lines] };
  unstampOwnVia(copy, viaHost);
  return serialize(copy);
}
