// The connection each received request came in on, by server transaction (RFC 3261 §18.2.2), held for
// 64·T1: a stream transport sends the request's responses back on it.
import type { Clock } from '../core/index.ts';
import { topVia, headerValue, type WireMessage } from './sip-wire.ts';
import type { Connection } from './stream-connection.ts';

export class RequestConnections {
  readonly #clock: Clock;
  readonly #holdMs: number;
  readonly #requestConnections = new Map<string, { conn: Connection; timer: NodeJS.Timeout }>();

  /** `holdMs`: how long a request's connection is kept for its responses (64·T1). */
  constructor(clock: Clock, holdMs: number) {
    this.#clock = clock;
    this.#holdMs = holdMs;
  }

  /** The connection this response's request came in on, while it is held. */
  of(msg: WireMessage): Connection | undefined {
    const key = exchangeKey(msg);
    return key ? this.#requestConnections.get(key)?.conn : undefined;
  }

  remember(msg: WireMessage, conn: Connection): void {
    const key = exchangeKey(msg);
    if (!key) return;
    const clock = this.#clock;
    const old = this.#requestConnections.get(key);
    if (old) clock.clearTimeout(old.timer);
    const hold = this.#holdMs;
    this.#requestConnections.set(key, { conn, timer: clock.setTimeout(() => this.#requestConnections.delete(key), hold) });
  }

  /** Forgets every held connection (the transport disconnects). */
  clear(): void {
    for (const { timer } of this.#requestConnections.values()) this.#clock.clearTimeout(timer);
    this.#requestConnections.clear();
  }
}

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
