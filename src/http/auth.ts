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
  roles: Pick<Roles, 'can' | 'canAny'>;
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

  /**
   * A preHandler requiring `permission` deployment-wide or on one of the sites `siteIds()` names: for a
   * route that lists what the principal may see site by site (each item then checked with `allows`).
   */
  requiresAnywhere(permission: Permission, siteIds: () => Promise<readonly string[]>): preHandlerAsyncHookHandler {
    return permissionCheck(async (req: FastifyRequest) => {
      req.principal ??= await this.identify(req);
      if (!req.principal) throw new UnauthenticatedError();
      if (!(await this.#d.roles.canAny(req.principal, [permission], await siteIds()))) {
        throw new ForbiddenError(`requires permission ${permission} on some site`, { reason: 'permission.missing', params: { permission } });
      }
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
 * would still change, and a malformed id stays a 400. A check that passed on
 * input validation then left exactly as it was is not looked up again (review
 * s20 #13: every admin request ran its lookups twice); one whose input validation
 * coerced, filled in or cut down runs again on the validated input.
 * Call before the routes are registered.
 */
export function authBeforeValidation(app: FastifyInstance): void {
  /** Checks that passed at preValidation, with the input they saw (see inputsOf). */
  const passed = new WeakMap<FastifyRequest, Map<preHandlerAsyncHookHandler, string>>();
  /** The preHandler standing in for each check: the check itself unless it passed on the same input. */
  const standIns = new WeakMap<preHandlerAsyncHookHandler, preHandlerAsyncHookHandler>();
  const checkOf = new WeakMap<preHandlerAsyncHookHandler, preHandlerAsyncHookHandler>();
  const standIn = (check: preHandlerAsyncHookHandler): preHandlerAsyncHookHandler => {
    let hook = standIns.get(check);
    if (!hook) {
      hook = async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
        const seen = passed.get(req)?.get(check);
        if (seen !== undefined && seen === inputsOf(req)) return;
        await check.call(this, req, reply);
      };
      standIns.set(check, hook);
      checkOf.set(hook, check);
    }
    return hook;
  };
  app.addHook('onRoute', (route) => {
    const handlers = [route.preHandler ?? []].flat() as preHandlerAsyncHookHandler[];
    // A HEAD twin copies its GET's options: its preHandlers may already be stand-ins.
    const checkIn = (h: preHandlerAsyncHookHandler) => checkOf.get(h) ?? (CHECKS.has(h) ? h : undefined);
    const checks = handlers.map(checkIn).filter((c) => c !== undefined);
    if (checks.length === 0) return;
    const early = checks.map((check) => async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      try {
        await check.call(this, req, reply);
      } catch (error) {
        if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) throw error;
        return;
      }
      const inputs = inputsOf(req);
      if (inputs === undefined) return;
      let seen = passed.get(req);
      if (!seen) passed.set(req, seen = new Map());
      seen.set(check, inputs);
    });
    route.preValidation = [...[route.preValidation ?? []].flat(), ...early] as typeof route.preValidation;
    route.preHandler = handlers.map((h) => { const check = checkIn(h); return check ? standIn(check) : h; }) as typeof route.preHandler;
  });
}

/**
 * What validation may change of a request — its params, query and body — as one
 * string, to tell whether it changed anything; undefined for a body that is not
 * plain data (a file's bytes, a stream): then the check simply runs again.
 */
function inputsOf(req: FastifyRequest): string | undefined {
  const body: unknown = req.body;
  if (body !== null && typeof body === 'object' && (Buffer.isBuffer(body) || ArrayBuffer.isView(body) || typeof (body as { pipe?: unknown }).pipe === 'function')) return undefined;
  try {
    return JSON.stringify([req.params, req.query, body]);
  } catch {
    return undefined;
  }
}
