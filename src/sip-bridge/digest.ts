// Digest authentication on Portier's side of a trunk (RFC 3261 §22.4 with RFC
// 2617 MD5, qop=auth): the challenge an inbound INVITE gets and the check of the
// Authorization its retry carries. The nonce is stateless — a timestamp and an
// HMAC over it, the request's Call-ID and its source address — so a challenge
// costs no memory, and a nonce lifted from one call is worthless for another
// call or from another address. A
// nonce opens one INVITE transaction (its branch) and one call: a second
// transaction, or the same bytes once that call ended, gets a new challenge
// (stale; digest-gate.ts keeps the used nonces).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DigestCredentials {
  username: string;
  password: string;
  realm: string;
}

export interface Authorization {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
}

/** Why an Authorization was not accepted. */
export type DigestFailure = 'malformed' | 'foreign-nonce' | 'stale' | 'wrong-user' | 'wrong-realm' | 'wrong-response';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parses `Digest k=v, k="v", …` (quoted values may contain commas). */
export function parseAuthorization(value: string): Authorization | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/giy;
  const rest = m[1]!;
  re.lastIndex = 0;
  while (re.lastIndex < rest.length) {
    const p = re.exec(rest);
    if (!p) return undefined;
    params.set(p[1]!.toLowerCase(), p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!);
    while (rest[re.lastIndex] === ' ') re.lastIndex++;
  }
  const [username, realm, nonce, uri, response] = ['username', 'realm', 'nonce', 'uri', 'response'].map((k) => params.get(k));
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  return {
    username, realm, nonce, uri, response,
    qop: params.get('qop'), nc: params.get('nc'), cnonce: params.get('cnonce'), algorithm: params.get('algorithm'),
  };
}

export class DigestServer {
  readonly #key: Buffer;
  readonly #ttlMs: number;

  /** `key`: the HMAC key of nonces (random per process unless given); `ttlMs`: how long a nonce is good. */
  constructor(opts: { ttlMs: number; key?: Buffer }) {
    this.#key = opts.key ?? randomBytes(32);
    this.#ttlMs = opts.ttlMs;
  }

  nonce(now: number, callId: string, source: string): string {
    const ts = Math.floor(now).toString(36);
    return `${ts}.${this.#mac(ts, callId, source)}`;
  }

  /** The WWW-Authenticate value of a 401 (stale=true when the old nonce was only too old). */
  challenge(realm: string, nonce: string, stale = false): string {
    return `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /** Checks an Authorization against the trunk's credentials; undefined = accepted. */
  verify(auth: Authorization, req: { method: string; callId: string; source: string; now: number }, creds: DigestCredentials): DigestFailure | undefined {
    if (auth.algorithm && auth.algorithm.toUpperCase() !== 'MD5') return 'malformed';
    const [ts, mac] = auth.nonce.split('.', 2);
    if (!ts || !mac || !safeEqual(mac, this.#mac(ts, req.callId, req.source))) return 'foreign-nonce';
    const issued = parseInt(ts, 36);
    if (!Number.isFinite(issued) || req.now - issued > this.#ttlMs || issued - req.now > 1000) return 'stale';
    if (auth.username !== creds.username) return 'wrong-user';
    if (auth.realm !== creds.realm) return 'wrong-realm';
    const ha1 = md5(`${creds.username}:${creds.realm}:${creds.password}`);
    const ha2 = md5(`${req.method}:${auth.uri}`);
    let expected: string;
    if (auth.qop === undefined) expected = md5(`${ha1}:${auth.nonce}:${ha2}`);
    else if (auth.qop === 'auth' && auth.nc && auth.cnonce) expected = md5(`${ha1}:${auth.nonce}:${auth.nc}:${auth.cnonce}:auth:${ha2}`);
    else return 'malformed';
    return safeEqual(expected, auth.response.toLowerCase()) ? undefined : 'wrong-response';
  }

  #mac(ts: string, callId: string, source: string): string {
    return createHmac('sha256', this.#key).update(`${ts}\n${callId}\n${source}`).digest('base64url').slice(0, 32);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
