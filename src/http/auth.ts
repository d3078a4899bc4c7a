// HTTP's side of identity: asks the access component's Authenticator who a request
// is (session cookie or bearer API token) and checks permissions — the one
// permission helper every route uses.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator, Roles, Permission, Principal, Scheme } from '../access/index.ts';
import { ForbiddenError, UnauthenticatedError } from '../core/index.ts';
import type { Actor } from '../audit/index.ts';

export { SESSION_COOKIE } from '../core/index.ts';
export type { Principal } from '../access/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthDeps {
  authenticator: Authenticator;
  roles: Pick<Roles, 'can'>;
}

/** The schemes of the admin API: integrations' bearer tokens and people's session cookies. */
const API_SCHEMES: readonly Scheme[] = ['api-token', 'session'];

/** Where a permission is needed: a site, or deployment-wide (undefined). */
type SiteOf = (req: FastifyRequest) => string | undefined | Promise<string | undefined>;
/** A permission that depends on the object the request names (e.g. a credential's kind). */
type NeedOf = (req: FastifyRequest) => Promise<{ permission: Permission; site?: string }>;

export const actorOf = (p: Principal): Actor => ({ type: p.type, id: p.id });

export class Auth {
  readonly #d: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#d = deps;
  }

  /** Resolves the principal of a request; undefined when it carries no valid credential. */
  async identify(req: FastifyRequest, schemes: readonly Scheme[] = API_SCHEMES): Promise<Principal | undefined> {
    return this.#d.authenticator.resolve(req, schemes);
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
   * Throws unless the request's principal holds `permission` on `site` (deployment-wide
   * without one): the check behind every route, in a preHandler or inside a handler.
   */
  async demand(req: FastifyRequest, permission: Permission, site?: string): Promise<void> {
    req.principal ??= await this.identify(req);
    if (!req.principal) throw new UnauthenticatedError();
    if (!(await this.#d.roles.can(req.principal, permission, site))) {
      throw new ForbiddenError(`requires permission ${permission}${site ? ` on site ${site}` : ''}`, { reason: 'permission.missing', params: { permission } });
    }
  }

  /**
   * A preHandler requiring `permission` on the site `siteOf(req)` names (it may look the
   * object up), or deployment-wide when it gives undefined; or the permission and site
   * `needOf(req)` works out from the object the request names.
   */
  requires(permission: Permission, siteOf?: SiteOf): preHandlerAsyncHookHandler;
  requires(needOf: NeedOf): preHandlerAsyncHookHandler;
  requires(permission: Permission | NeedOf, siteOf?: SiteOf): preHandlerAsyncHookHandler {
    return permissionCheck(async (req: FastifyRequest, _reply: FastifyReply) => {
      // Unauthenticated before any lookup: an anonymous caller learns nothing about objects.
      req.principal ??= await this.identify(req);
      if (!req.principal) throw new UnauthenticatedError();
      if (typeof permission === 'function') {
        const need = await permission(req);
        return this.demand(req, need.permission, need.site);
      }
      return this.demand(req, permission, await siteOf?.(req));
    });
  }
}

/** The hooks `requires` made: authBeforeValidation finds them among a route's preHandlers. */
const CHECKS = new WeakSet<preHandlerAsyncHookHandler>();
const permissionCheck = (hook: preHandlerAsyncHookHandler): preHandlerAsyncHookHandler => { CHECKS.add(hook); return hook; };

/**
 * Who may call a route is decided before its body and parameters are validated:
 * an anonymous caller gets 401 and one without the permission 403 whatever they
 * send, never a 400 that describes the schema. Each route's permission check also
 * runs at preValidation, where it can only refuse: a refusal (401, 403) ends the
 * request; anything else — a pass, an object not found for a malformed id, or a
 * check that cannot decide on input not yet validated — leaves the decision to the
 * same check after validation, so nothing is granted on input that validation
 * would still change, and a malformed id stays a 400.
 * Call before the routes are registered.
 */
export function authBeforeValidation(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const checks = ([route.preHandler ?? []].flat() as preHandlerAsyncHookHandler[]).filter((h) => CHECKS.has(h));
    if (checks.length === 0) return;
    const early = checks.map((check) => async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      try {
        await check.call(this, req, reply);
      } catch (error) {
        if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) throw error;
      }
    });
    route.preValidation = [...[route.preValidation ?? []].flat(), ...early] as typeof route.preValidation;
  });
}
