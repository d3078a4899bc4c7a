// The receiving side of a SIP stream (TCP, TLS, WebSocket): a connection's bytes framed into messages, pings
// answered, broken framing and refused messages answered or dropped and counted, requests handed to sip.js
// (their connection held for the responses) and responses matched to their client transaction.
import { SipFramingError } from '../core/index.ts';
import { topVia, unstampOwnVia, stampReceived, serialize, statelessResponse, type HostPort } from './sip-wire.ts';
import type { ClientRetransmissions } from './transactions.ts';
import { inspectInbound, WIRE_TAG, warning } from './wire-check.ts';
import type { RequestGuard } from './udp-transport.ts';
import type { InviteDestinations } from './invite-destinations.ts';
import type { Connection } from './stream-connection.ts';
import type { ConnectionTable } from './connection-table.ts';
import { isWebSocket } from './stream-dialer.ts';
import type { RequestConnections } from './request-connections.ts';
import type { StreamProtocol } from './stream-transport.ts';
import type { ParsesSip } from './transport-state.ts';

/** The transport's counters the receiving side adds to (StreamTransport's public fields). */
export interface StreamCounts {
  sent: number;
  received: number;
  rejected: number;
  dropped: number;
  framingErrors: number;
}

export interface StreamReceiverDeps {
  protocol: StreamProtocol;
  counts: StreamCounts;
  connections: Pick<ConnectionTable, 'touch' | 'forget'>;
  guard: RequestGuard | undefined;
  forceRport: boolean | undefined;
  /** Our own Via's host, taken off a response before sip.js reads it. */
  advertisedHost: string;
  retransmissions: ClientRetransmissions;
  inviteDestinations: InviteDestinations<HostPort>;
  requestConnections: RequestConnections;
  write(conn: Connection, bytes: string): Promise<void>;
  /** Hands a message to sip.js (a failure there is logged and the message dropped). */
  deliver(message: string): void;
}

export class StreamReceiver {
  readonly #deps: StreamReceiverDeps;
  /** sip.js's parser, loaded with connect(). */
  #parses?: ParsesSip;

  constructor(deps: StreamReceiverDeps) {
    this.#deps = deps;
  }

  /** sip.js's parser, loaded with the transport's connect() (transport-state.ts). */
  useParser(parses: ParsesSip): void {
    this.#parses = parses;
  }

  /** A connection's bytes (ConnectionTable's data callback). */
  read(conn: Connection, data: Buffer): void {
    this.#deps.connections.touch(conn);
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
    this.#deps.counts.framingErrors++;
    // Nothing more is read from it, and it is destroyed once the answer is out: a half-closed
    // socket would stay open as long as the peer liked, uncounted and past disconnect() (review s20 #2).
    conn.socket.removeAllListeners('data');
    const destroy = () => conn.socket.destroy();
    const head = conn.framer.brokenHead;
    const inbound = head ? inspectInbound(head, { maxBytes: Number.MAX_SAFE_INTEGER, datagram: false }) : undefined;
    const msg = inbound && inbound.kind !== 'drop' ? inbound.msg : undefined;
    if (msg?.method && msg.method !== 'ACK' && stampReceived(msg, conn.remote, this.#deps.forceRport)) {
      const tooLarge = error.why.reason === 'sip.frame-too-large';
      this.#deps.counts.rejected++;
      const reply = statelessResponse(msg, tooLarge ? 513 : 400, tooLarge ? 'Message Too Large' : 'Bad Request', WIRE_TAG, [warning(String(error.why.params.why))]);
      this.#deps.counts.sent++;
      conn.socket.end(reply, destroy);
    } else {
      this.#deps.counts.dropped++;
      conn.socket.end(destroy);
    }
    this.#deps.connections.forget(conn);
  }

  #receive(conn: Connection, data: Buffer): void {
    this.#deps.counts.received++;
    const source = conn.remote;
    const guard = this.#deps.guard;
    const admission = guard && !data.subarray(0, 4).equals(RESPONSE_START) ? guard.admit(source.host, data) : 'pass';
    if (admission === 'drop') return void this.#deps.counts.dropped++;
    // Over a WebSocket a wrong Content-Length is this message's fault, answered 400 (RFC 7118 §5, review s26 #13).
    const inbound = inspectInbound(data, { maxBytes: Number.MAX_SAFE_INTEGER, parses: this.#parses, datagram: false, wholeMessage: isWebSocket(this.#deps.protocol) });
    if (inbound.kind === 'drop') return void this.#deps.counts.dropped++;
    const msg = inbound.msg;
    if (admission === 'limited') {
      this.#deps.counts.dropped++;
      if (msg.method && msg.method !== 'ACK' && stampReceived(msg, source, this.#deps.forceRport)) {
        const reply = guard!.limitedReply();
        this.#deps.write(conn, statelessResponse(msg, reply.status, reply.reason, guard!.tag, reply.headers)).catch(() => {});
      }
      return;
    }
    if (inbound.kind === 'reject') {
      // The framing held: the message is answered and the connection stays.
      this.#deps.counts.rejected++;
      if (stampReceived(msg, source, this.#deps.forceRport)) {
        this.#deps.write(conn, statelessResponse(msg, inbound.status, inbound.reason, WIRE_TAG, [warning(inbound.why)])).catch(() => {});
      }
      return;
    }
    if (msg.method) {
      if (!stampReceived(msg, source, this.#deps.forceRport)) return void this.#deps.counts.dropped++;
      const verdict = guard?.check(msg, source);
      if (verdict?.action === 'drop') return;
      if (verdict?.action === 'reply') {
        this.#deps.write(conn, statelessResponse(msg, verdict.status, verdict.reason, guard!.tag, verdict.headers)).catch(() => {});
        return;
      }
      if (msg.method !== 'ACK') this.#deps.requestConnections.remember(msg, conn);
      this.#deps.deliver(serialize(msg));
      return;
    }
    const branch = topVia(msg)?.params.get('branch');
    if (branch) this.#deps.retransmissions.response(branch, msg.status!);
    this.#deps.inviteDestinations.response(msg);
    unstampOwnVia(msg, this.#deps.advertisedHost);
    this.#deps.deliver(serialize(msg));
  }
}

const RESPONSE_START = Buffer.from('SIP/');
