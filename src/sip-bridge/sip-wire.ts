// The little SIP a datagram transport must read itself (sip.js parses everything
// else): start line, top Via, Route, CSeq; where a message goes; Via rewriting.
export interface HostPort { host: string; port: number }

export interface WireMessage {
  /** The request's method, or undefined for a response. */
  method?: string;
  status?: number;
  requestUri?: string;
  lines: string[];
  /** Index of the blank line that ends the headers. */
  headerEnd: number;
}

const COMPACT: Record<string, string> = { v: 'via', i: 'call-id', f: 'from', t: 'to', m: 'contact', l: 'content-length' };

/** Splits a datagram into start line and header lines; undefined when it is not SIP. */
export function parseWire(text: string): WireMessage | undefined {
  const lines = text.split('\r\n');
  const headerEnd = lines.indexOf('');
  if (headerEnd < 1) return undefined;
  const start = lines[0]!;
  const response = /^SIP\/2\.0 (\d{3}) /.exec(start + ' ');
  if (response) return { status: Number(response[1]), lines, headerEnd };
  const request = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!request) return undefined;
  return { method: request[1]!.toUpperCase(), requestUri: request[2], lines, headerEnd };
}

function headerName(line: string): string | undefined {
  const colon = line.indexOf(':');
  if (colon < 1) return undefined;
  const name = line.slice(0, colon).trim().toLowerCase();
  return COMPACT[name] ?? name;
}

/** Index of the first header line with this (long-form) name. */
export function headerIndex(msg: WireMessage, name: string): number {
  for (let i = 1; i < msg.headerEnd; i++) if (headerName(msg.lines[i]!) === name) return i;
  return -1;
}

export function headerValue(msg: WireMessage, name: string): string | undefined {
  const i = headerIndex(msg, name);
  return i < 0 ? undefined : msg.lines[i]!.slice(msg.lines[i]!.indexOf(':') + 1).trim();
}

/** The first value of a header that may carry several, comma-separated (outside <> and quotes). */
function firstValue(value: string): string {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth--;
    else if (!quoted && depth === 0 && c === ',') return value.slice(0, i).trim();
  }
  return value.trim();
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Map<string, string | undefined>;
}

/** Parses `SIP/2.0/UDP host[:port];params`. */
export function parseVia(value: string): Via | undefined {
  // Any version: a request of another (SIP/7.0) is answered 505 along its Via.
  const m = /^SIP\s*\/\s*\d+\.\d+\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^;:\s]+)(?::(\d+))?\s*(.*)$/.exec(firstValue(value));
  if (!m) return undefined;
  const params = new Map<string, string | undefined>();
  for (const part of m[4]!.split(';').slice(1)) {
    const [k, v] = part.split('=', 2);
    if (k?.trim()) params.set(k.trim().toLowerCase(), v?.trim());
  }
  return { transport: m[1]!.toUpperCase(), host: m[2]!, port: m[3] ? Number(m[3]) : undefined, params };
}

export function topVia(msg: WireMessage): Via | undefined {
  const value = headerValue(msg, 'via');
  return value === undefined ? undefined : parseVia(value);
}

/** Method of the CSeq header (what a response answers). */
export function cseqMethod(msg: WireMessage): string | undefined {
  return headerValue(msg, 'cseq')?.split(/\s+/)[1]?.toUpperCase();
}

/** host and port of a `sip:` URI (default port 5060); `<…>` and a display name are allowed. */
export function uriTarget(uri: string): HostPort | undefined {
  const inner = /<([^>]*)>/.exec(uri)?.[1] ?? uri.trim();
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^;:?>]+)(?::(\d+))?/i.exec(inner);
  if (!m) return undefined;
  return { host: stripBrackets(m[1]!), port: m[2] ? Number(m[2]) : 5060 };
}

const stripBrackets = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/**
 * Where a response goes (RFC 3261 §18.2.2 with RFC 3581): the top Via's `received`
 * address (else its host), and its `rport` value (else its port, else 5060).
 */
export function responseTarget(msg: WireMessage): HostPort | undefined {
  const via = topVia(msg);
  if (!via) return undefined;
  const rport = via.params.get('rport');
  const host = via.params.get('received') ?? stripBrackets(via.host);
  const port = rport ? Number(rport) : via.port ?? 5060;
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host, port } : undefined;
}

/** Where a request goes: the outbound proxy, else the first Route (loose routing), else the Request-URI. */
export function requestTarget(msg: WireMessage, outboundProxy?: HostPort): HostPort | undefined {
  if (outboundProxy) return outboundProxy;
  const route = headerValue(msg, 'route');
  if (route) return uriTarget(firstValue(route));
  return msg.requestUri ? uriTarget(msg.requestUri) : undefined;
}

/**
 * Portier's own header naming the server a request goes to when its Request-URI names another
 * (a REGISTER to `sip:<registrar domain>` sent to one of the domain's SRV targets, review s26 #15).
 * The transports take it out before the request leaves (takeNextHop): it never reaches the wire.
 */
export const NEXT_HOP_HEADER = 'X-Portier-Next-Hop';

/** The header line for `server` (sip.js extraHeaders). */
export const nextHopHeader = (server: HostPort): string => `${NEXT_HOP_HEADER}: ${formatHost(server.host)}:${server.port}`;

/** Removes Portier's next-hop header from an outgoing request; the server it named, if any. */
export function takeNextHop(msg: WireMessage): HostPort | undefined {
  const i = headerIndex(msg, NEXT_HOP_HEADER.toLowerCase());
  if (i < 0) return undefined;
  const value = msg.lines[i]!.slice(msg.lines[i]!.indexOf(':') + 1).trim();
  msg.lines.splice(i, 1);
  msg.headerEnd--;
  return uriTarget(`sip:${value}`);
}

/**
 * A request addressed to a server itself (a Request-URI without a user part: REGISTER, the OPTIONS
 * keep-alive and failover probe) goes to that server, not to the account's active one (server-pool.ts).
 */
export function addressedToServer(msg: WireMessage): boolean {
  return msg.requestUri !== undefined && !msg.requestUri.includes('@');
}

/**
 * Where a request outside a dialog (no To tag) without a Route of its own goes when nothing else names its next hop:
 * the account's registrar (`proxy`), as a desk phone sends its calls to its server; undefined otherwise.
 */
export function registrarFor(msg: WireMessage, proxy: HostPort | undefined): HostPort | undefined {
  if (!proxy || headerValue(msg, 'route') !== undefined || addressedToServer(msg)) return undefined;
  return /;\s*tag=/i.test(headerValue(msg, 'to') ?? '') ? undefined : proxy;
}

/** Replaces the top Via value's sent-by, keeping its branch and other parameters. */
function rewriteTopVia(msg: WireMessage, rewrite: (via: Via) => string): boolean {
  const i = headerIndex(msg, 'via');
  if (i < 0) return false;
  const line = msg.lines[i]!;
  const colon = line.indexOf(':');
  const value = line.slice(colon + 1).trim();
  const first = firstValue(value);
  const via = parseVia(first);
  if (!via) return false;
  msg.lines[i] = `${line.slice(0, colon)}: ${rewrite(via)}${value.slice(first.length)}`;
  return true;
}

function formatVia(via: Via): string {
  const params = [...via.params].map(([k, v]) => (v === undefined ? `;${k}` : `;${k}=${v}`)).join('');
  return `SIP/2.0/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}${params}`;
}

/** Our own request: the sent-by carries the real address and port, and asks for rport. */
export function stampOwnVia(msg: WireMessage, sentBy: HostPort): boolean {
  return rewriteTopVia(msg, (via) => {
    if (!via.params.has('rport')) via.params.set('rport', undefined);
    return formatVia({ ...via, host: formatHost(sentBy.host), port: sentBy.port });
  });
}

/** A response to our request: sip.js expects the sent-by it wrote (host only). */
export function unstampOwnVia(msg: WireMessage, viaHost: string): boolean {
  return rewriteTopVia(msg, (via) => formatVia({ ...via, host: viaHost, port: undefined }));
}

/**
 * A received request (RFC 3261 §18.2.1, RFC 3581): note the source in `received` and `rport`
 * (rport also when not asked for, with `forceRport`: the answer goes back where the request came from).
 * A `received` already in the top Via is dropped first: only the receiver writes it.
 */
export function stampReceived(msg: WireMessage, source: HostPort, forceRport = false): boolean {
  return rewriteTopVia(msg, (via) => {
    // A `received` the sender wrote itself is forged: answers go to the real source only (no reflection).
    via.params.delete('received');
    if (stripBrackets(via.host) !== source.host) via.params.set('received', source.host);
    if (forceRport || via.params.has('rport')) via.params.set('rport', String(source.port));
    return formatVia(via);
  });
}

export const formatHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export const serialize = (msg: WireMessage): string => msg.lines.join('\r\n');

/** A locally generated final response to a request we sent (a timeout counts as 408, RFC 3261 §8.1.3.1). */
export function localResponse(request: WireMessage, status: number, reason: string): string {
  const keep = ['via', 'from', 'to', 'call-id', 'cseq'];
  const headers: string[] = [];
  for (const name of keep) {
    const i = headerIndex(request, name);
    if (i >= 0) headers.push(request.lines[i]!);
  }
  return [`SIP/2.0 ${status} ${reason}`, ...headers, 'Content-Length: 0', '', ''].join('\r\n');
}

/**
 * A response to a received request that no transaction keeps (RFC 3261 §8.2.6):
 * its Via (as stamped with received/rport), From, Call-ID and CSeq, its To with our tag.
 */
export function statelessResponse(request: WireMessage, status: number, reason: string, toTag: string, extra: string[] = []): string {
  const headers: string[] = [];
  for (let i = 1; i < request.headerEnd; i++) {
    const line = request.lines[i]!;
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    const long = COMPACT[name] ?? name;
    if (long === 'via' || long === 'from' || long === 'call-id' || long === 'cseq') headers.push(line);
    else if (long === 'to') headers.push(/;\s*tag=/i.test(line) ? line : `${line};tag=${toTag}`);
  }
  return [`SIP/2.0 ${status} ${reason}`, ...headers, ...extra, 'Server: Portier', 'Content-Length: 0', '', ''].join('\r\n');
}
