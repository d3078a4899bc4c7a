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

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/i;

export class StreamFramer {
  readonly #maxBytes: number;
  #buffer: Buffer = Buffer.alloc(0);
  #failed?: SipFramingError;
  /** The head of the message that could not be framed (for a 400/513 along its Via). */
  brokenHead?: Buffer;

  /** `maxBytes`: the largest message (headers and body) taken in (sip.max_message_bytes). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held for a message not complete yet. */
  get pending(): number { return this.#buffer.length; }

  /**
   * Takes a read and returns the frames it completed. Throws SipFramingError once the
   * stream cannot be framed (and on every later call): the caller closes the connection.
   */
  push(chunk: Buffer): Frame[] {
    if (this.#failed) throw this.#failed;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.#next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  #next(): Frame | undefined {
    const buf = this.#buffer;
    // CRLFs before a start line (RFC 3261 §7.5): a double one is a ping, a single one is skipped.
    if (buf[0] === 0x0d || buf[0] === 0x0a) {
      if (buf.length >= 4 && buf.subarray(0, 4).equals(CRLF2)) {
        this.#buffer = buf.subarray(4);
        return { kind: 'ping' };
      }
      if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
        if (buf.length < 4 && CRLF2.subarray(0, buf.length).equals(buf)) return undefined;
        this.#buffer = buf.subarray(2);
        return this.#next();
      }
      if (buf.length < 2) return undefined;
      if (buf[0] === 0x0a) {
        this.#buffer = buf.subarray(1);
        return this.#next();
      }
    }
    if (buf.length === 0) return undefined;
    const end = buf.indexOf(CRLF2);
    if (end < 0) {
      if (buf.length > this.#maxBytes) this.#fail(buf.subarray(0, this.#maxBytes), 'sip.frame-too-large', `no end of the headers within ${this.#maxBytes} bytes`);
      return undefined;
    }
    const head = buf.subarray(0, end + 4);
    const length = contentLength(head);
    if (length === undefined) this.#fail(head, 'sip.frame-length', 'no Content-Length on a stream (RFC 3261 §18.3)');
    if (Number.isNaN(length)) this.#fail(head, 'sip.frame-length', 'a malformed Content-Length');
    const total = end + 4 + length!;
    if (total > this.#maxBytes) this.#fail(head, 'sip.frame-too-large', `${total} bytes, more than ${this.#maxBytes}`);
    if (buf.length < total) return undefined;
    this.#buffer = buf.subarray(total);
    return { kind: 'message', data: buf.subarray(0, total) };
  }

  #fail(head: Buffer, reason: string, why: string): never {
    this.brokenHead = Buffer.from(head);
    this.#buffer = Buffer.alloc(0);
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
