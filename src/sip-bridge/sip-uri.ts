// SIP URI equivalence (RFC 3261 §19.1.4), for the digest check of an inbound
// INVITE: the `uri` its Authorization was computed over must name the same
// resource as its Request-URI (RFC 2617 §3.2.2.5, RFC 7616 §3.4.6), or the
// credentials of one request could be lifted onto another.

interface SipUri {
  scheme: string;
  user?: string;
  password?: string;
  host: string;
  port?: string;
  params: Map<string, string | null>;
  headers: Map<string, string>;
}

/** Parameters that, present in one URI, must be present and equal in the other (§19.1.4). */
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

function unescape(value: string): string | undefined {
  try { return decodeURIComponent(value); } catch { return undefined; }
}

/** Parses sip: and sips: URIs (no name-addr); undefined when it is none or its escapes are broken. */
export function parseSipUri(text: string): SipUri | undefined {
  const m = /^(sips?):(?:([^@]*)@)?([^;?]+)((?:;[^?]*)?)(?:\?(.*))?$/i.exec(text.trim());
  if (!m) return undefined;
  const [, scheme, userinfo, hostport, paramText, headerText] = m;
  const hp = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d{1,5}))?$/i.exec(hostport!);
  if (!hp) return undefined;
  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = unescape(colon < 0 ? userinfo : userinfo.slice(0, colon));
    password = colon < 0 ? undefined : unescape(userinfo.slice(colon + 1));
    if (user === undefined || (colon >= 0 && password === undefined)) return undefined;
  }
  const params = new Map<string, string | null>();
  for (const p of paramText!.split(';').slice(1)) {
    const eq = p.indexOf('=');
    const name = unescape(eq < 0 ? p : p.slice(0, eq))?.toLowerCase();
    const value = eq < 0 ? null : unescape(p.slice(eq + 1))?.toLowerCase();
    if (!name || value === undefined) return undefined;
    params.set(name, value);
  }
  const headers = new Map<string, string>();
  for (const h of headerText ? headerText.split('&') : []) {
    const eq = h.indexOf('=');
    const name = unescape(eq < 0 ? h : h.slice(0, eq))?.toLowerCase();
    const value = unescape(eq < 0 ? '' : h.slice(eq + 1))?.toLowerCase();
    if (!name || value === undefined) return undefined;
    headers.set(name, value);
  }
  const host = unescape(hp[1]!)?.toLowerCase();
  if (!host) return undefined;
  return { scheme: scheme!.toLowerCase(), user, password, host, port: hp[2], params, headers };
}

/**
 * Whether two SIP URIs are equivalent by RFC 3261 §19.1.4: same scheme, user and password
 * (case-sensitive, after unescaping), host (case-insensitive), port (an omitted port does not
 * equal an explicit 5060), the parameters user/ttl/method/maddr/transport in both or neither and
 * equal, other parameters equal where both have them, and the same headers.
 */
export function sameSipUri(a: string, b: string): boolean {
  const x = parseSipUri(a);
  const y = parseSipUri(b);
  if (!x || !y) return false;
  if (x.scheme !== y.scheme || x.user !== y.user || x.password !== y.password || x.host !== y.host) return false;
  if ((x.port === undefined ? undefined : Number(x.port)) !== (y.port === undefined ? undefined : Number(y.port))) return false;
  for (const name of MUST_MATCH) if (x.params.get(name) !== y.params.get(name)) return false;
  for (const [name, value] of x.params) if (y.params.has(name) && y.params.get(name) !== value) return false;
  if (x.headers.size !== y.headers.size) return false;
  for (const [name, value] of x.headers) if (y.headers.get(name) !== value) return false;
  return true;
}
