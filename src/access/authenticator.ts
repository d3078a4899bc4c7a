// Who a request is: the one authenticator every adapter asks (HTTP, socket.io).
// Single sign-on (oidc.ts) ends in a session like a password, so it resolves as
// 'session'. It reads the request's headers only, so a fastify request and a
// socket.io handshake resolve identically.
import { SESSION_COOKIE, TERMINAL_COOKIE } from '../core/index.ts';
import type { Credential } from '../credentials/index.ts';

/** What the authenticator reads of a request: its headers (fastify request, Node IncomingMessage, socket.io handshake). */
export interface RequestLike {
  headers: { cookie?: string | undefined; authorization?: string | undefined };
}

/** How a principal proved who it is. */
/** probe: the synthetic probe's bearer secret, asked for only by signaling's /probe namespace. */
export type Scheme = 'session' | 'api-token' | 'terminal' | 'probe';

export type Principal =
  /** A person signed in (session cookie); the token lets logout and session checks find the session. */
  | { type: 'user'; id: string; scheme: 'session'; sessionToken: string }
  /** An integration (bearer API token), a paired terminal (terminal cookie) or the synthetic probe (bearer, /probe only). */
  | { type: 'credential'; id: string; scheme: 'api-token' | 'terminal' | 'probe'; kind: Credential['kind']; siteId: string | null; credential: Credential };

export interface AuthenticatorDeps {
  /** A session token's user, or undefined when it ended or expired (Accounts.session). */
  sessions: { session(token: string): Promise<string | undefined> };
  /** A secret's credential, or undefined when unknown, wrong or revoked (Credentials.verify). */
  credentials: { verify(secret: string): Promise<Credential | undefined> };
}

/** Reads one cookie from a Cookie header: the gateway's only cookie parser. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined; // a malformed escape is no credential
    }
  }
  return undefined;
}

/** The bearer token of an Authorization header, '' when the header is Bearer without a token, undefined without one. */
const bearer = (header: string | undefined): string | undefined => (header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);

export class Authenticator {
  readonly #d: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#d = deps;
  }

  /**
   * The principal a request proves with one of `schemes`, tried in order; undefined
   * when it carries none of them, or a wrong, revoked or ended one. A bearer header
   * decides alone when 'api-token' is accepted: a wrong token never falls back to a cookie.
   */
  async resolve(req: RequestLike, schemes: readonly Scheme[] = ['api-token', 'session']): Promise<Principal | undefined> {
    for (const scheme of schemes) {
      if (scheme === 'api-token' || scheme === 'probe') {
        const token = bearer(req.headers.authorization);
        if (token === undefined) continue;
        return this.#credential(token, scheme);
      }
      const value = readCookie(req.headers.cookie, scheme === 'session' ? SESSION_COOKIE : TERMINAL_COOKIE);
      if (!value) continue;
      const principal = scheme === 'session' ? await this.#session(value) : await this.#credential(value, 'terminal');
      if (principal) return principal;
    }
    return undefined;
  }

  async #session(token: string): Promise<Principal | undefined> {
    const userId = await this.#d.sessions.session(token);
    return userId ? { type: 'user', id: userId, scheme: 'session', sessionToken: token } : undefined;
  }

  async #credential(secret: string, scheme: 'api-token' | 'terminal' | 'probe'): Promise<Principal | undefined> {
    if (!secret) return undefined;
    const credential = await this.#d.credentials.verify(secret);
    if (!credential || credential.kind !== scheme || (scheme === 'terminal' && !credential.siteId)) return undefined;
    return { type: 'credential', id: credential.id, scheme, kind: credential.kind, siteId: credential.siteId, credential };
  }
}
