// Single sign-on with the deployment's SAML 2.0 identity provider, SP-initiated:
// an AuthnRequest by HTTP-Redirect, the signed assertion back by HTTP-POST.
// @node-saml/node-saml checks the signature (and refuses wrapped ones) and the
// audience; saml-assertion.ts adds what it leaves out: the issuer, the bearer confirmation's recipient,
// the time window on the gateway's clock, InResponseTo tied to a pending request of
// this browser, and replay (assertion ids remembered until they expire).
import { randomUUID, X509Certificate } from 'node:crypto';
import type { SAML, Profile } from '@node-saml/node-saml';
import { ConfigError, type Config } from '../config/index.ts';
import { RateLimitedError, UnauthenticatedError, type Clock } from '../core/index.ts';
import { PendingSignIns } from './pending-sign-ins.ts';
import { signInSsoUser, type SsoAccountsDeps, type SsoSettings } from './sso-accounts.ts';
import { safeReturnPath } from './oidc.ts';
import { AssertionMemory, checkBearerAssertion } from './saml-assertion.ts';

type NodeSaml = typeof import('@node-saml/node-saml');
/** node-saml and its XML stack, loaded when SAML is configured: a gateway without it never pays ~23 MiB of idle memory. */
let library: Promise<NodeSaml> | undefined;
const nodeSaml = () => (library ??= import('@node-saml/node-saml'));

export interface SamlSettings extends SsoSettings {
  entryPoint: string;
  /** The IdP's signing certificate as PEM. */
  idpCert: string;
  /** '' = any issuer signed with idpCert. */
  idpEntityId: string;
  entityId: string;
  acsUrl: string;
  nameIdFormat: string;
  groupsAttribute: string;
  displayNameAttribute: string;
  clockSkewMs: number;
  maxRememberedAssertions: number;
}

/**
 * The settings of auth.saml, or undefined while no entry point is configured (SAML off).
 * ConfigError when it is on without what every sign-in needs.
 */
export function samlSettings(config: Config): SamlSettings | undefined {
  const s = config.auth.saml;
  if (!s.entry_point) return undefined;
  for (const key of ['entry_point', 'acs_url'] as const) {
    if (!isSecureUrl(s[key])) throw new ConfigError(`auth.saml.${key}`, `config: auth.saml.${key} must be an https URL (plain http only on loopback)`);
  }
  if (!s.entity_id) throw new ConfigError('auth.saml.entity_id', 'config: auth.saml.entity_id is required when auth.saml.entry_point is set');
  const idpCert = pemCertificate(s.idp_cert);
  try {
    new X509Certificate(idpCert);
  } catch {
    throw new ConfigError('auth.saml.idp_cert', 'config: auth.saml.idp_cert is not a certificate (PEM or its base64 body)');
  }
  return {
    entryPoint: s.entry_point, idpCert, idpEntityId: s.idp_entity_id, entityId: s.entity_id,
    acsUrl: s.acs_url, nameIdFormat: s.name_id_format, groupsAttribute: s.groups_attribute, displayNameAttribute: s.display_name_attribute,
    roles: s.roles.map((r) => ({ group: r.group, role: r.role, site: r.site || null })),
    clockSkewMs: s.clock_skew_seconds * 1000, flowMs: s.flow_minutes * 60_000, maxPendingFlows: s.max_pending_flows,
    maxPendingFlowsPerAddress: s.max_pending_flows_per_address, maxRememberedAssertions: s.max_remembered_assertions,
  };
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or http to this machine (tests, a local proxy). */
function isSecureUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

/**
 * A certificate as PEM from PEM or its bare base64 body, whatever the line breaks
 * (an environment variable read as a YAML scalar folds them into spaces).
 */
export function pemCertificate(text: string): string {
  const body = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

/** Why a SAML sign-in was refused: the reason is part of the message, the audit entry and the page. */
export type SamlRefusal =
  | 'no-sign-in' | 'idp-error' | 'signature-invalid' | 'signature-wrapping' | 'wrong-issuer' | 'wrong-audience'
  | 'wrong-recipient' | 'expired' | 'not-yet-valid' | 'replayed' | 'response-invalid' | 'account-disabled';

export class SamlSignInError extends UnauthenticatedError {
  /** Named `refusal`, not `reason`: PortierError's `reason` is the pages' catalogue key. */
  readonly refusal: SamlRefusal;
  constructor(refusal: SamlRefusal, message: string) {
    super(`saml ${refusal}: ${message}`);
    this.name = 'SamlSignInError';
    this.refusal = refusal;
  }
}

export type SamlSignInDeps = SsoAccountsDeps & { settings: SamlSettings };

/** Where the browser goes after the sign-in. */
interface Request { returnTo: string }

export class SamlSignIn {
  readonly #d: SamlSignInDeps;
  /** node-saml's SAML, once its library has loaded (started by the constructor). */
  readonly #saml: Promise<{ lib: NodeSaml; saml: SAML }>;
  readonly #requests: PendingSignIns<Request>;
  readonly #seen: AssertionMemory;
  /** The id the next AuthnRequest gets: node-saml asks for it synchronously as it starts building. */
  #nextRequestId = '';

  constructor(deps: SamlSignInDeps) {
    this.#d = deps;
    const s = deps.settings;
    this.#requests = new PendingSignIns('saml', s, deps.clock);
    this.#seen = new AssertionMemory(s.maxRememberedAssertions, deps.clock);
    this.#saml = nodeSaml().then((lib) => ({ lib, saml: new lib.SAML({
      entryPoint: s.entryPoint, idpCert: s.idpCert, issuer: s.entityId, callbackUrl: s.acsUrl, audience: s.entityId,
      identifierFormat: s.nameIdFormat,
      // Only signed assertions count, whether or not the whole response is signed too.
      wantAssertionsSigned: true, wantAuthnResponseSigned: false,
      // Time and InResponseTo are checked in saml-assertion.ts on the gateway's clock and this browser's request.
      acceptedClockSkewMs: -1, validateInResponseTo: lib.ValidateInResponseTo.never,
      disableRequestedAuthnContext: true,
      generateUniqueId: () => this.#nextRequestId,
    }) }));
    this.#saml.catch(() => {}); // a failed load is the first sign-in's error, not an unhandled rejection
  }

  get flowMs(): number {
    return this.#d.settings.flowMs;
  }

  /**
   * Starts a sign-in from `address`: the IdP URL carrying the AuthnRequest, and its id,
   * which the browser's flow cookie must bring back. Reserved before any await.
   */
  async begin(returnTo: string, address: string): Promise<{ url: string; requestId: string }> {
    const requestId = `_${randomUUID().replaceAll('-', '')}`;
    this.#requests.reserve(requestId, address, { returnTo: safeReturnPath(returnTo) });
    try {
      const { saml } = await this.#saml;
      this.#nextRequestId = requestId; // read by generateUniqueId as the call below starts, before its first await
      const url = await saml.getAuthorizeUrlAsync('', undefined, {});
      return { url, requestId };
    } catch (error) {
      this.#requests.drop(requestId);
      throw error;
    }
  }

  /**
   * Completes a sign-in from the IdP's POST (`samlResponse`: the form's SAMLResponse) and
   * the request id of the browser's flow cookie: verifies the signature, audience, issuer,
   * recipient, time window, InResponseTo and that the assertion is new, then finds or
   * creates the user by NameID, re-syncs their roles and opens a session. Refusals are SamlSignInError.
   */
  async complete(samlResponse: string, cookieRequestId: string | undefined): Promise<{ token: string; userId: string; expiresAt: number; returnTo: string }> {
    const request = cookieRequestId ? this.#requests.take(cookieRequestId) : undefined; // single use, whatever happens next
    if (!request || !cookieRequestId) return this.#refuse('no-sign-in', 'no sign-in in progress in this browser (expired or already used)');
    const { lib, saml } = await this.#saml;
    let profile: Profile | null;
    try {
      ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (error) {
      const [reason, message] = refusalOf(error, lib);
      return this.#refuse(reason, message);
    }
    if (!profile?.nameID) return this.#refuse('response-invalid', 'the assertion names no subject (NameID)');
    const { settings, clock } = this.#d;
    const checked = checkBearerAssertion(profile.getAssertion?.(), {
      now: clock.now(), skewMs: settings.clockSkewMs, issuer: settings.idpEntityId, recipient: settings.acsUrl, requestId: cookieRequestId,
      // Before the request check: a captured assertion posted again in a new sign-in is named for what it is.
      seen: (id) => this.#seen.has(id),
    });
    if (!checked.ok) return this.#refuse(checked.reason, checked.message);
    // Checked and remembered without an await in between: two posts of one assertion cannot both pass.
    if (!this.#seen.remember(checked.assertionId, checked.acceptableUntil + settings.clockSkewMs)) {
      throw new RateLimitedError('saml: too many recent sign-ins to remember (auth.saml.max_remembered_assertions)', Math.ceil(settings.flowMs / 1000));
    }
    const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
    const result = await signInSsoUser(this.#d, {
      method: 'saml', subject: `saml:${profile.nameID}`, displayName: displayNameOf(attributes, settings.displayNameAttribute),
      groups: strings(attributes[settings.groupsAttribute]), roleMap: settings.roles,
    });
    if (result.kind === 'disabled') throw new SamlSignInError('account-disabled', 'this account is disabled in Portier');
    return { ...result.session, returnTo: request.returnTo };
  }

  /** Posts that matched no sign-in of this browser (no-sign-in), since start: anyone can send them. */
  unmatched = 0;

  async #refuse(reason: SamlRefusal, message: string): Promise<never> {
    // Not audited when it matches no sign-in of this browser (anyone's request; the audit log is kept 30 days and more).
    if (reason === 'no-sign-in') this.unmatched++;
    else await this.#d.audit.append({ actor: { type: 'system', id: null }, action: 'auth.login', outcome: 'denied', details: { method: 'saml', reason } });
    throw new SamlSignInError(reason, message);
  }
}

/** node-saml's refusal, named: its errors carry only an English message. */
function refusalOf(error: unknown, lib: NodeSaml): [SamlRefusal, string] {
  if (error instanceof lib.SamlStatusError) return ['idp-error', `the identity provider answered: ${error.message}`];
  const message = error instanceof Error ? error.message : String(error);
  // Another element than the signed one offered as the assertion: the classic signature-wrapping shapes.
  if (/multiple assertions|more than one element|does not refer to it's parent|Too many signatures|Cannot obtain assertion/i.test(message)) {
    return ['signature-wrapping', `the response wraps its signed assertion (${message})`];
  }
  if (/signature/i.test(message)) return ['signature-invalid', `the assertion is not signed by the configured IdP certificate (${message})`];
  if (/audience|AudienceRestriction/i.test(message)) return ['wrong-audience', `the assertion is for another service provider (${message})`];
  return ['response-invalid', `the IdP's answer was refused (${message})`];
}

/** One string or a list of them, as an attribute value. */
function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

/** The name the kiosk shows: the display-name attribute, else givenName + sn, else a neutral label. */
function displayNameOf(attributes: Record<string, unknown>, attribute: string): string {
  const first = (name: string) => (strings(attributes[name])[0] ?? '').trim();
  const name = first(attribute) || [first('givenName'), first('sn')].filter(Boolean).join(' ');
  return (name || 'SSO').slice(0, 200);
}
