// Browser-facing defences of the web front door: a state-changing request or a
// socket.io handshake from a foreign Origin is refused (CSRF; SameSite=Strict
// cookies are not the only guard), and every answer carries nosniff, a CSP
// that forbids framing, and HSTS when it went over TLS.
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../core/index.ts';

/** A request a browser sent from another site's page. */
export class CrossOriginError extends ForbiddenError {
  constructor(message: string) {
    super(message);
    this.name = 'CrossOriginError';
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route a foreign page posts to by design (the SAML ACS: the IdP's form), which
     * proves itself by what it carries, not by its Origin. Exempt from the Origin check.
     */
    crossSitePost?: boolean;
  }
}

/** For pages and answers that set none themselves: only this origin's files, no inline code, never in a frame. */
export const DEFAULT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const HSTS = 'max-age=31536000';

/** Decides whether a request's Origin is this gateway, believing X-Forwarded-Host only from trusted proxies. */
export class OriginCheck {
  readonly #proxies?: BlockList;

  constructor(trustProxy: string[]) {
    if (trustProxy.length === 0) return;
    this.#proxies = new BlockList();
    for (const entry of trustProxy) {
      const [address, prefix] = entry.split('/');
      const type = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.#proxies.addAddress(address!, type);
      else this.#proxies.addSubnet(address!, Number(prefix), type);
    }
  }

  /**
   * Why the request's Origin is foreign, or undefined when it is this gateway
   * or absent (browsers send Origin with every cross-origin request and every
   * POST; a request without one is not a browser's cross-site request).
   */
  problem(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string | undefined {
    const origin = headers.origin;
    if (origin === undefined) return undefined;
    const host = this.#host(headers, remoteAddress);
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `cross-origin request refused: Origin ${origin} is not this gateway`;
    }
    if (!host || originHost !== host.toLowerCase()) return `cross-origin request refused: Origin ${origin} is not this gateway`;
    return undefined;
  }

  /** engine.io's allowRequest: refuses a socket.io handshake (polling or WebSocket) from a foreign page. */
  allowHandshake = (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void): void => {
    const problem = this.problem(req.headers, req.socket.remoteAddress);
    fn(problem ?? null, problem === undefined);
  };

  #host(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string | undefined {
    const forwarded = headers['x-forwarded-host'];
    if (forwarded && remoteAddress && this.#trusted(remoteAddress)) return String(forwarded).split(',')[0]!.trim();
    return headers.host;
  }

  #trusted(address: string): boolean {
    if (!this.#proxies) return false;
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
    return this.#proxies.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Adds the Origin check and the security headers to every route of the app. */
export function webDefences(app: FastifyInstance, origins: OriginCheck): void {
  app.addHook('onRequest', async (req) => {
    if (SAFE_METHODS.has(req.method)) return;
    // API tokens are not sent by browsers on their own: only cookie-style credentials need this.
    if (req.headers.authorization?.startsWith('Bearer ')) return;
    if (req.routeOptions.config.crossSitePost === true) return;
    const problem = origins.problem(req.headers, req.socket.remoteAddress);
    if (problem) throw new CrossOriginError(problem);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('referrer-policy', 'same-origin');
    if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', DEFAULT_CSP);
    if ((req.raw.socket as TLSSocket).encrypted || req.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    return payload;
  });
}
