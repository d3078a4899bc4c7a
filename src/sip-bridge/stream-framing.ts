// SIP over a byte stream (TCP, TLS; RFC 3261 §18.3): one message ends where its
// Content-Length says, whatever the segments were — a message split over many
// reads, several in one read. CRLFs between messages are keep-alives (RFC 5626
// §3.5.1: a double CRLF is a ping, answered with one CRLF). A message without a
// usable Content-Length or past the size cap cannot be framed: the stream is lost.
import { SipFramingError } from '../core/index.ts';

export type Frame =
  /** One whole message, headers and body (its Content-Length bytes). */
  | { kind: 'message'; data: Buffer }
  /** A double CRLF between messages: the peer wants a single CRLF back. */
  | { kind: 'ping' };

/** What a connection's reads go through: a byte stream's framer, or a WebSocket's (ws-framing.ts). */
export interface Framing {
  /** Takes a read and returns the frames it completed; throws SipFramingError once the stream cannot be framed. */
  push(chunk: Buffer): Frame[];
  /** The head of the message that could not be framed (for a 400/513 along its Via). */
  readonly brokenHead?: Buffer;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/i;

export class StreamFramer implements Framing {
  readonly #maxBytes: number;
  /** Bytes held live in #store[#start, #end): appends grow it by doubling, so a message dribbled byte by byte costs linear time. */
  #store: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Where the search for the end of the headers resumes (nothing ends before it): each byte is searched once. */
  #scanFrom = 0;
  /** The held message's whole length (headers and body) once its headers were read, from #start. */
  #total?: number;
  /** CRs and LFs skipped since the last message or ping: more than a message's size of them is no keep-alive. */
  #skipped = 0;
  #failed?: SipFramingError;
  /** The head of the message that could not be framed (for a 400/513 along its Via). */
  brokenHead?: Buffer;

  /** `maxBytes`: the largest message (headers and body) taken in (sip.max_message_bytes). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held for a message not complete yet. */
  get pending(): number { return this.#end - this.#start; }

  /**
   * Takes a read and returns the frames it completed. Throws SipFramingError once the
   * stream cannot be framed (and on every later call): the caller closes the connection.
   */
  push(chunk: Buffer): Frame[] {
    if (this.#failed) throw this.#failed;
    this.#append(chunk);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.#next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  #append(chunk: Buffer): void {
    if (this.#end + chunk.length > this.#store.length) {
      const held = this.#end - this.#start;
      const next = Buffer.allocUnsafe(Math.max(2 * (held + chunk.length), 4096));
      this.#store.copy(next, 0, this.#start, this.#end);
      this.#scanFrom -= this.#start;
      this.#start = 0;
      this.#end = held;
      this.#store = next;
    }
    chunk.copy(this.#store, this.#end);
    this.#end += chunk.length;
  }

  /** Drops n bytes from the front; an empty store starts over at its beginning. */
  #consume(n: number): void {
    this.#start += n;
    this.#scanFrom = Math.max(this.#scanFrom, this.#start);
    if (this.#start === this.#end) this.#start = this.#end = this.#scanFrom = 0;
  }

  #next(): Frame | undefined {
    const s = this.#store;
    // CRLFs before a start line (RFC 3261 §7.5): a double one is a ping, a single one (or a lone LF) is skipped — in a loop, bounded.
    while (this.#total === undefined && this.#start < this.#end && (s[this.#start] === 0x0d || s[this.#start] === 0x0a)) {
      const held = s.subarray(this.#start, this.#end);
      if (held[0] === 0x0a) { this.#skip(1); continue; }
      if (held.length >= 4 && held.subarray(0, 4).equals(CRLF2)) {
        this.#consume(4);
        this.#skipped = 0;
        return { kind: 'ping' };
      }
      if (held.length < 4 && CRLF2.subarray(0, held.length).equals(held)) return undefined;
      if (held[1] !== 0x0a) break;
      this.#skip(2);
    }
    const held = this.#end - this.#start;
    if (held === 0) return undefined;
    if (this.#total === undefined) {
      const end = s.subarray(0, this.#end).indexOf(CRLF2, Math.max(this.#start, this.#scanFrom - 3));
      if (end < 0) {
        this.#scanFrom = this.#end;
        if (held > this.#maxBytes) this.#fail(s.subarray(this.#start, this.#start + this.#maxBytes), 'sip.frame-too-large', `no end of the headers within ${this.#maxBytes} bytes`);
        return undefined;
      }
      const head = s.subarray(this.#start, end + 4);
      const length = contentLength(head);
      if (length === undefined) this.#fail(head, 'sip.frame-length', 'no Content-Length on a stream (RFC 3261 §18.3)');
      if (Number.isNaN(length)) this.#fail(head, 'sip.frame-length', 'a malformed Content-Length');
      const total = head.length + length!;
      if (total > this.#maxBytes) this.#fail(head, 'sip.frame-too-large', `${total} bytes, more than ${this.#maxBytes}`);
      this.#total = total;
    }
    if (held < this.#total) return undefined;
    // A copy: the store's bytes are reused for what comes next.
    const data = Buffer.from(s.subarray(this.#start, this.#start + this.#total));
    this.#consume(this.#total);
    this.#total = undefined;
    this.#skipped = 0;
    return { kind: 'message', data };
  }

  #skip(n: number): void {
    this.#consume(n);
    this.#skipped += n;
    if (this.#skipped > this.#maxBytes) this.#fail(Buffer.alloc(0), 'sip.frame-too-large', `more than ${this.#maxBytes} bytes of line breaks without a message`);
  }

  #fail(head: Buffer, reason: string, why: string): never {
    this.brokenHead = Buffer.from(head);
    this.#store = Buffer.alloc(0);
    this.#start = this.#end = this.#scanFrom = 0;
    this.#total = undefined;
    this.#failed = new SipFramingError(`SIP stream: ${why}`, { reason, params: { why, max: this.#maxBytes } });
    throw this.#failed;
  }
}

/** The Content-Length of a message head: undefined when absent, NaN when malformed or given twice differently. */
function contentLength(head: Buffer): number | undefined {
  let found: number | undefined;
  for (const line of head.toString('latin1').split('\r\n').slice(1)) {
    const m = CONTENT_LENGTH.exec(line);
    if (!m) continue;
    const value = /^\d{1,10}$/.test(m[1]!) ? Number(m[1]) : NaN;
    if (found !== undefined && found !== value) return NaN;
    found = value;
  }
  return found;
}
