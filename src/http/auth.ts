// Who is calling: a user with a session cookie or an integration with a bearer
// API token. preHandlers that demand authentication and a permission.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Accounts, Roles, Permission } from '../access/index.ts';
import type { Credentials } from '../credentials/index.ts';
import { ForbiddenError, UnauthenticatedError } from '../core/index.ts';
import type { Actor } from '../audit/index.ts';

export { SESSION_COOKIE } from '../core/index.ts';
import { SESSION_COOKIE } from '../core/index.ts';

export type Principal =
  | { type: 'user'; id: string }
  | { type: 'credential'; id: string; kind: string; siteId: string | null };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthDeps {
  accounts: Accounts;
  roles: Roles;
  credentials: Credentials;
}

export const actorOf = (p: Principal): Actor => ({ type: p.type, id: p.id });

export class Auth {
  readonly #d: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#d = deps;
  }

  /** Resolves the principal of a request; undefined when it carries no valid credential. */
  async identify(req: FastifyRequest): Promise<Principal | undefined> {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const credential = await this.#d.credentials.verify(header.slice(7).trim());
      if (!credential || credential.kind !== 'api-token') return undefined;
      return { type: 'credential', id: credential.id, kind: credential.kind, siteId: credential.siteId };
    }
    const token = req.cookies[SESSION_COOKIE];
    if (!token) return undefined;
    const userId = await this.#d.accounts.session(token);
    return userId ? { type: 'user', id: userId } : undefined;
  }

  /** Whether the request carries a principal holding `permission` (deployment-wide without a site); never throws. */
  async allows(req: FastifyRequest, permission: Permission, site?: string): Promise<boolean> {
    req.principal ??= await this.identify(req);
    return req.principal !== undefined && this.#d.roles.can(req.principal, permission, site);
  }

  authenticated(): preHandlerAsyncHookHandler {
    return async (req: FastifyRequest) => {
      req.principal ??= await this.identify(req);
      if (!req.principal) throw new UnauthenticatedError();
    };
  }

  /**
   * Requires `permission`, on the site `siteOf(req)` returns, or deployment-wide
   * when it returns undefined.
   */
  requires(permission: Permission, siteOf?: (req: FastifyRequest) => string | undefined): preHandlerAsyncHookHandler {
    return async (req: FastifyRequest, _reply: FastifyReply) => {
      req.principal ??= await this.identify(req);
      if (!req.principal) throw new UnauthenticatedError();
      const site = siteOf?.(req);
      if (!(await this.#d.roles.can(req.principal, permission, site))) {
        throw new ForbiddenError(`requires permission ${permission}${site ? ` on site ${site}` : ''}`);
      }
    };
  }
}
