// What an inbound SIP message must be before sip.js sees it (RFC 3261 §7, §8.2,
// §18.3 and the cases of RFC 4475): a request that fails is answered here with
// 400 (505 for another SIP version, 513 past the size limit) — sip.js would drop
// it silently or, for some responses, throw —, a response that fails is dropped.
import { topVia, type WireMessage } from './sip-wire.ts';

export type Inbound =
  /** Well-formed: unfolded headers, the body cut to its Content-Length. */
  | { kind: 'message'; msg: WireMessage }
  /** A request to answer with this status (its top Via is usable). */
  | { kind: 'reject'; msg: WireMessage; status: number; reason: string; why: string }
  /** Nothing can or should be answered. */
  | { kind: 'drop'; why: string };

export interface WireCheckOptions {
  /** Largest message accepted, in bytes (sip.max_message_bytes). */
  maxBytes: number;
  /** Whether sip.js's own parser takes the text (it drops what it cannot parse). */
  parses?: (text: string) => boolean;
  /** A datagram carries one whole message: a body shorter than Content-Length is an error (§18.3). */
  datagram: boolean;
  /**
   * The frame is exactly one message (a WebSocket message, RFC 7118 §5): without Content-Length the body is the
   * rest of the frame; with one, it must be the body's length — any other is refused, not cut or waited for.
   */
  wholeMessage?: boolean;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const COMPACT: Record<string, string> = { v: 'via', i: 'call-id', f: 'from', t: 'to', m: 'contact', l: 'content-length', c: 'content-type', s: 'subject', k: 'supported', e: 'content-encoding', o: 'event', r: 'refer-to', u: 'allow-events', x: 'session-expires', y: 'identity', b: 'referred-by', a: 'accept-contact', j: 'reject-contact', d: 'request-disposition' };
const MANDATORY = ['via', 'from', 'to', 'call-id', 'cseq'];
const SINGLE = ['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type', 'expires', 'date'];
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const CRLF2 = Buffer.from('\r\n\r\n');

interface Head { start: string; headers: Array<{ name: string; line: string; value: string }> }

/** Reads a datagram or a framed stream message. */
export function inspectInbound(data: Buffer, opts: WireCheckOptions): Inbound {
  const split = data.indexOf(CRLF2);
  // A datagram ends the message; without the blank line its headers run to the end.
  const headText = (split < 0 ? data : data.subarray(0, split)).toString('utf8').replace(/(\r\n)+$/, '');
  const head = unfold(headText);
  if (!head) return { kind: 'drop', why: 'no start line' };
  const isResponse = head.start.startsWith('SIP/');
  const msg = toWire(head, '');
  const reject = (status: number, reason: string, why: string): Inbound =>
    isResponse || !topVia(msg) || /^ACK\s/.test(head.start) ? { kind: 'drop', why } : { kind: 'reject', msg, status, reason, why };

  if (data.length > opts.maxBytes) return reject(513, 'Message Too Large', `${data.length} bytes, more than ${opts.maxBytes}`);
  const bad = headerError(head, isResponse);
  if (bad) return reject(bad.status ?? 400, bad.reason ?? 'Bad Request', bad.why);

  const lengthValue = valueOf(head, 'content-length');
  const rest = split < 0 ? Buffer.alloc(0) : data.subarray(split + 4);
  let body = rest;
  if (lengthValue !== undefined) {
    const length = Number(lengthValue);
    // A WebSocket message is the SIP message (RFC 7118 §5): shorter than its Content-Length is an error, as for a datagram.
    if (opts.wholeMessage && rest.length < length) return reject(400, 'Bad Request', `Content-Length ${length} but ${rest.length} bytes in the WebSocket message (RFC 7118 §5)`);
    if (rest.length < length && opts.datagram) return reject(400, 'Bad Request', `Content-Length ${length} but ${rest.length} bytes`);
    // Bytes past Content-Length are discarded (RFC 3261 §18.3).
    body = rest.subarray(0, length);
  }
  const result = toWire(head, body.toString('utf8'));
  if (opts.parses && !safeParses(opts.parses, result)) return reject(400, 'Bad Request', 'a header sip.js cannot parse');
  return { kind: 'message', msg: result };
}

/** Joins folded header lines (RFC 3261 §7.3.1: a line starting with SP/HT continues the previous one). */
function unfold(text: string): Head | undefined {
  const lines = text.split('\r\n');
  const start = lines[0];
  if (!start) return undefined;
  const headers: Head['headers'] = [];
  for (const raw of lines.slice(1)) {
    const last = headers.at(-1);
    if (/^[ \t]/.test(raw)) {
      if (!last) return { start, headers: [{ name: '', line: raw, value: raw }] };
      last.line += ` ${raw.trim()}`;
      last.value = `${last.value} ${raw.trim()}`.trim();
      continue;
    }
    const colon = raw.indexOf(':');
    const name = colon < 0 ? '' : raw.slice(0, colon).trim().toLowerCase();
    headers.push({ name: COMPACT[name] ?? name, line: raw, value: colon < 0 ? '' : raw.slice(colon + 1).trim() });
  }
  return { start, headers };
}

function toWire(head: Head, body: string): WireMessage {
  const lines = [head.start, ...head.headers.map((h) => h.line), '', body];
  const request = /^(\S+) (\S+) SIP\/2\.0$/.exec(head.start);
  const response = /^SIP\/2\.0 (\d{3})(?: |$)/.exec(head.start);
  if (response) return { status: Number(response[1]), lines, headerEnd: lines.length - 2 };
  return { method: request?.[1], requestUri: request?.[2], lines, headerEnd: lines.length - 2 };
}

const valueOf = (head: Head, name: string): string | undefined => head.headers.find((h) => h.name === name)?.value;

interface Problem { why: string; status?: number; reason?: string }

/** The first reason this message is not well-formed, or undefined. */
function headerError(head: Head, isResponse: boolean): Problem | undefined {
  const start = startLineError(head.start, isResponse);
  if (start) return start;
  for (const h of head.headers) {
    if (!h.name || !TOKEN.test(h.line.slice(0, h.line.indexOf(':')).trim())) return { why: `malformed header line "${h.line.slice(0, 40)}"` };
  }
  for (const name of MANDATORY) if (!head.headers.some((h) => h.name === name)) return { why: `no ${name} header` };
  for (const name of SINGLE) if (head.headers.filter((h) => h.name === name).length > 1) return { why: `${name} appears twice` };
  const cseq = /^(\d{1,10})\s+(\S+)$/.exec(valueOf(head, 'cseq')!);
  if (!cseq || Number(cseq[1]) >= 2 ** 31 || !TOKEN.test(cseq[2]!)) return { why: 'malformed CSeq' };
  if (!isResponse && cseq[2] !== head.start.split(' ')[0]) return { why: 'CSeq method differs from the request method' };
  const maxForwards = valueOf(head, 'max-forwards');
  if (maxForwards !== undefined && (!/^\d{1,10}$/.test(maxForwards) || Number(maxForwards) > 255)) return { why: 'malformed Max-Forwards' };
  const length = valueOf(head, 'content-length');
  if (length !== undefined && !/^\d{1,10}$/.test(length)) return { why: 'malformed Content-Length' };
  const date = valueOf(head, 'date');
  if (date !== undefined && !RFC1123.test(date)) return { why: 'malformed Date' };
  return undefined;
}

function startLineError(start: string, isResponse: boolean): Problem | undefined {
  if (isResponse) return /^SIP\/2\.0 [1-6]\d\d(?: [^\r\n]*)?$/.test(start) ? undefined : { why: 'malformed status line' };
  const parts = start.split(' ');
  if (parts.length === 3 && /^SIP\/\d+\.\d+$/.test(parts[2]!) && parts[2] !== 'SIP/2.0') {
    return { why: `version ${parts[2]}`, status: 505, reason: 'Version Not Supported' };
  }
  if (parts.length !== 3 || parts[2] !== 'SIP/2.0' || !TOKEN.test(parts[0]!)) return { why: 'malformed request line' };
  const uri = parts[1]!;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^<>"]+$/.test(uri)) return { why: 'malformed Request-URI' };
  // sip.js handles SIP URIs only (it throws on others); RFC 3261 §8.2.2.1 answers 416.
  if (!/^sips?:/i.test(uri)) return { why: `Request-URI scheme ${uri.split(':')[0]}`, status: 416, reason: 'Unsupported URI Scheme' };
  // Header fields are not allowed in a SIP Request-URI (RFC 3261 §19.1.1, table 1); a ? in the user part is.
  if (uri.slice(uri.lastIndexOf('@') + 1).includes('?')) return { why: 'headers in the Request-URI' };
  return undefined;
}

function safeParses(parses: (text: string) => boolean, msg: WireMessage): boolean {
  try {
    return parses(msg.lines.join('\r\n'));
  } catch {
    return false;
  }
}

/** The To tag of the transport's own answers to malformed requests. */
export const WIRE_TAG = 'portier-wire';

/** Why a request was refused, for its sender (RFC 3261 §20.43, code 399: miscellaneous). */
export const warning = (why: string): string => `Warning: 399 portier "${why.replace(/["\\\r\n]/g, "'")}"`;

/** CRLF keep-alives (RFC 5626 §3.5.1) and empty datagrams carry no message. */
export const isKeepAlive = (data: Buffer): boolean => data.toString('latin1').trim() === '';
