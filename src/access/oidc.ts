// Single sign-on with the deployment's OpenID provider: authorization code + PKCE
// (openid-client), just-in-time users found again by their subject id, roles
// re-synced from the groups claim at every sign-in, then a session as for a password.
import { randomBytes } from 'node:crypto';
import type * as client from 'openid-client';
import type { Config } from '../config/index.ts';
import { UnauthenticatedError, UnavailableError } from '../core/index.ts';
import { PendingSignIns } from './pending-sign-ins.ts';
import { signInSsoUser, type SsoAccountsDeps, type SsoSettings } from './sso-accounts.ts';

/** openid-client, loaded at the first sign-in: a gateway without OIDC never pays for it (~6 MiB of idle memory). */
let library: Promise<typeof client> | undefined;
const openidClient = () => (library ??= import('openid-client'));
/** 32 random bytes, base64url: what openid-client's randomState, randomNonce and randomPKCECodeVerifier return. */
const random = () => randomBytes(32).toString('base64url');

export interface OidcSettings extends SsoSettings {
  issuer: string;
  clientId: string;
  /** Never logged, never in an error message. */
  clientSecret: string;
  redirectUrl: string;
  scopes: string[];
  groupsClaim: string;
}

/** The settings of auth.oidc, or undefined while no issuer is configured (single sign-on off). */
export function oidcSettings(config: Config): OidcSettings | undefined {
  const o = config.auth.oidc;
  if (!o.issuer) return undefined;
  return {
    issuer: o.issuer, clientId: o.client_id, clientSecret: o.client_secret, redirectUrl: o.redirect_url,
    scopes: o.scopes.includes('openid') ? o.scopes : ['openid', ...o.scopes], groupsClaim: o.groups_claim,
    roles: o.roles.map((r) => ({ group: r.group, role: r.role, site: r.site || null })),
    flowMs: o.flow_minutes * 60_000, maxPendingFlows: o.max_pending_flows,
    maxPendingFlowsPerAddress: o.max_pending_flows_per_address,
  };
}

/** Why a single sign-on was refused: the reason is part of the message and of the audit entry. */
export type OidcRefusal = 'state-mismatch' | 'no-sign-in' | 'nonce-mismatch' | 'provider-error' | 'token-rejected' | 'account-disabled';

export class OidcSignInError extends UnauthenticatedError {
  readonly reason: OidcRefusal;
  constructor(reason: OidcRefusal, message: string) {
    super(`oidc ${reason}: ${message}`);
    this.name = 'OidcSignInError';
    this.reason = reason;
  }
}

/** A sign-in sent to the provider and not back yet: what the callback must match. */
interface Flow {
  nonce: string;
  verifier: string;
  returnTo: string;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** A path on this gateway to return to after sign-in; anything else (another host, `//x`) becomes '/'. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]{0,200}$/.test(value) ? value : '/';
}

export type OidcSignInDeps = SsoAccountsDeps & { settings: OidcSettings };

export class OidcSignIn {
  readonly #d: OidcSignInDeps;
  readonly #flows: PendingSignIns<Flow>;
  #configuration?: Promise<client.Configuration>;

  constructor(deps: OidcSignInDeps) {
    this.#d = deps;
    this.#flows = new PendingSignIns('oidc', deps.settings, deps.clock);
  }

  get flowMs(): number {
    return this.#d.settings.flowMs;
  }

  /** The provider's metadata, read once at the first sign-in (the gateway starts while the provider is down). */
  async #config(): Promise<client.Configuration> {
    const s = this.#d.settings;
    const lib = await openidClient();
    this.#configuration ??= lib.discovery(new URL(s.issuer), s.clientId, undefined, lib.ClientSecretBasic(s.clientSecret), {
      // Plain HTTP only to a provider on this machine (tests, a local proxy); anything else must be https.
      execute: LOOPBACK.has(new URL(s.issuer).hostname) ? [lib.allowInsecureRequests] : [],
    });
    try {
      return await this.#configuration;
    } catch (error) {
      this.#configuration = undefined;
      throw new UnavailableError(`oidc: the identity provider ${s.issuer} cannot be reached (${(error as Error).message})`);
    }
  }

  /**
   * Starts a sign-in from `address`: the provider's authorization URL and the state the
   * browser's flow cookie must carry back. The flow is reserved before any await, so
   * parallel requests cannot pass the limits together.
   */
  async begin(returnTo: string, address: string): Promise<{ url: string; state: string }> {
    const verifier = random();
    const state = random();
    const nonce = random();
    this.#flows.reserve(state, address, { nonce, verifier, returnTo: safeReturnPath(returnTo) });
    try {
      const config = await this.#config();
      const lib = await openidClient();
      const url = lib.buildAuthorizationUrl(config, {
        redirect_uri: this.#d.settings.redirectUrl, scope: this.#d.settings.scopes.join(' '),
        code_challenge: await lib.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
      });
      return { url: url.href, state };
    } catch (error) {
      this.#flows.drop(state);
      throw error;
    }
  }

  /**
   * Completes a sign-in from the provider's redirect (`query`: the callback's query string)
   * and the state of the browser's flow cookie: verifies state, PKCE and the ID token
   * (signature, issuer, audience, nonce), finds or creates the user by subject id, re-syncs
   * their roles from the groups claim and opens a session. Refusals are OidcSignInError.
   */
  async complete(query: URLSearchParams, cookieState: string | undefined): Promise<{ token: string; userId: string; expiresAt: number; returnTo: string }> {
    const state = query.get('state');
    if (!state || !cookieState || state !== cookieState) {
      return this.#refuse('state-mismatch', 'the answer does not belong to the sign-in this browser started');
    }
    const flow = this.#flows.take(state); // single use, whatever happens next
    if (!flow) return this.#refuse('no-sign-in', 'no sign-in in progress for this answer (expired or already used)');
    const providerError = query.get('error');
    if (providerError) return this.#refuse('provider-error', `the identity provider answered ${providerError}`);

    const config = await this.#config();
    const lib = await openidClient();
    const callback = new URL(this.#d.settings.redirectUrl);
    callback.search = query.toString();
    let claims: client.IDToken;
    try {
      const tokens = await lib.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier, expectedState: state, expectedNonce: flow.nonce, idTokenExpected: true,
      });
      claims = tokens.claims()!;
    } catch (error) {
      const nonce = claimOf(error) === 'nonce';
      return this.#refuse(nonce ? 'nonce-mismatch' : 'token-rejected', nonce ? 'the ID token was not issued for this sign-in' : `the provider's answer was refused (${(error as Error).message})`);
    }
    const groups = claims[this.#d.settings.groupsClaim];
    const session = await this.#signIn(claims.sub, displayNameOf(claims), Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : []);
    return { ...session, returnTo: flow.returnTo };
  }

  async #refuse(reason: OidcRefusal, message: string): Promise<never> {
    // An answer matching no sign-in of this browser is anyone's request: counted, not audited (the audit
    // log is kept for at least 30 days, so anonymous requests must not be able to fill it).
    if (reason === 'state-mismatch' || reason === 'no-sign-in') this.unmatched++;
    else await this.#d.audit.append({ actor: { type: 'system', id: null }, action: 'auth.login', outcome: 'denied', details: { method: 'oidc', reason } });
    throw new OidcSignInError(reason, message);
  }

  /** Callbacks that matched no sign-in in progress (state-mismatch, no-sign-in), since start. */
  unmatched = 0;

  /** The user with this subject id (created on first sign-in), display name and roles as the provider says now. */
  async #signIn(subject: string, displayName: string, groups: string[]): Promise<{ token: string; userId: string; expiresAt: number }> {
    const result = await signInSsoUser(this.#d, { method: 'oidc', subject, displayName, groups, roleMap: this.#d.settings.roles });
    if (result.kind === 'disabled') throw new OidcSignInError('account-disabled', 'this account is disabled in Portier');
    return result.session;
  }
}

/** The name the kiosk shows: the ID token's name, else given + family name, else a neutral label. */
function displayNameOf(claims: client.IDToken): string {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const name = text(claims.name) || [text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ');
  return (name || 'SSO').slice(0, 200);
}

/** The claim an ID token check failed on: openid-client wraps oauth4webapi's error, whose cause names it. */
function claimOf(error: unknown): string | undefined {
  for (let e = error as { cause?: unknown; claim?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.claim === 'string') return e.claim;
  }
  return undefined;
}
