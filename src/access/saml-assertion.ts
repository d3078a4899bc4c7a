// The checks of a signed SAML assertion that node-saml leaves to its caller, on the
// gateway's clock: a bearer confirmation for this ACS URL and this browser's request,
// the time window with a bounded clock skew, and replay (ids remembered until they expire).
import type { Clock } from '../core/index.ts';
import type { SamlRefusal } from './saml.ts';

export interface AssertionCheck {
  now: number;
  skewMs: number;
  /** The IdP's entity id the assertion's Issuer must name; '' = any (the signature's key decides alone). */
  issuer: string;
  /** The ACS URL: the bearer confirmation's Recipient. */
  recipient: string;
  /** The AuthnRequest this browser started: the confirmation's InResponseTo. */
  requestId: string;
  /** Whether this assertion id was already used. */
  seen: (assertionId: string) => boolean;
}

export type AssertionVerdict =
  | { ok: true; assertionId: string; acceptableUntil: number }
  | { ok: false; reason: SamlRefusal; message: string };

/** xml2js's shape (node-saml parses with explicitCharkey, prefixes stripped): every child a list, attributes under $. */
type Node = { $?: Record<string, unknown> } & Record<string, unknown>;
const child = (node: Node | undefined, name: string): Node[] => {
  const value = node?.[name];
  return Array.isArray(value) ? value.filter((v): v is Node => typeof v === 'object' && v !== null) : [];
};
const attr = (node: Node | undefined, name: string): string | undefined => {
  const value = node?.$?.[name];
  return typeof value === 'string' ? value : undefined;
};
/** An xs:dateTime as ms, NaN when absent or malformed. */
const time = (value: string | undefined): number => (value === undefined ? Number.NaN : Date.parse(value));

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/**
 * Checks the signed assertion (node-saml's profile.getAssertion()): it is new, from the IdP, one
 * bearer SubjectConfirmationData names this ACS URL as Recipient and this browser's
 * request as InResponseTo, and now (± skew) lies within its NotBefore / NotOnOrAfter
 * and the Conditions'. `acceptableUntil` is the latest NotOnOrAfter that bound it.
 */
export function checkBearerAssertion(parsed: unknown, c: AssertionCheck): AssertionVerdict {
  const refuse = (reason: SamlRefusal, message: string): AssertionVerdict => ({ ok: false, reason, message });
  const assertion = (parsed as { Assertion?: Node } | undefined)?.Assertion;
  const id = attr(assertion, 'ID');
  if (!assertion || !id) return refuse('response-invalid', 'the signed assertion has no ID');
  if (c.seen(id)) return refuse('replayed', 'this assertion was already used to sign in');
  // node-saml compares its idpIssuer only on logout messages: the assertion's issuer is checked here.
  const issuer = child(assertion, 'Issuer')[0]?._;
  if (c.issuer && issuer !== c.issuer) return refuse('wrong-issuer', `the assertion comes from ${String(issuer)}, not ${c.issuer}`);

  const bearers = child(child(assertion, 'Subject')[0], 'SubjectConfirmation')
    .filter((sc) => attr(sc, 'Method') === BEARER)
    .map((sc) => child(sc, 'SubjectConfirmationData')[0])
    .filter((d): d is Node => d !== undefined);
  if (bearers.length === 0) return refuse('response-invalid', 'the assertion has no bearer subject confirmation');
  const forUs = bearers.filter((d) => attr(d, 'Recipient') === c.recipient);
  if (forUs.length === 0) return refuse('wrong-recipient', `the assertion is for another recipient (${bearers.map((d) => attr(d, 'Recipient')).join(', ')})`);
  const confirmation = forUs.find((d) => attr(d, 'InResponseTo') === c.requestId);
  if (!confirmation) return refuse('no-sign-in', 'the assertion answers another sign-in than the one this browser started');

  const conditions = child(assertion, 'Conditions')[0];
  const windows = [
    { notBefore: time(attr(confirmation, 'NotBefore')), notOnOrAfter: time(attr(confirmation, 'NotOnOrAfter')) },
    { notBefore: time(attr(conditions, 'NotBefore')), notOnOrAfter: time(attr(conditions, 'NotOnOrAfter')) },
  ];
  // The Web SSO profile requires NotOnOrAfter on a bearer confirmation: an assertion valid forever could not be remembered.
  if (Number.isNaN(windows[0]!.notOnOrAfter)) return refuse('response-invalid', 'the bearer confirmation has no NotOnOrAfter');
  for (const w of windows) {
    if (!Number.isNaN(w.notBefore) && c.now + c.skewMs < w.notBefore) return refuse('not-yet-valid', 'the assertion is not valid yet (NotBefore)');
    if (!Number.isNaN(w.notOnOrAfter) && c.now - c.skewMs >= w.notOnOrAfter) return refuse('expired', 'the assertion has expired (NotOnOrAfter)');
  }
  const acceptableUntil = Math.max(...windows.map((w) => w.notOnOrAfter).filter((t) => !Number.isNaN(t)));
  return { ok: true, assertionId: id, acceptableUntil };
}

/**
 * Assertion ids already used, each until it could no longer be accepted anyway;
 * at most `max`, and when full a new one is refused rather than an old one forgotten.
 */
export class AssertionMemory {
  readonly #until = new Map<string, number>();
  readonly #max: number;
  readonly #clock: Clock;

  constructor(max: number, clock: Clock) {
    this.#max = max;
    this.#clock = clock;
  }

  has(id: string): boolean {
    const until = this.#until.get(id);
    return until !== undefined && until > this.#clock.now();
  }

  /** Remembers `id` until `until`; false when the memory is full of ids still valid. */
  remember(id: string, until: number): boolean {
    if (this.#until.size >= this.#max) this.#forgetExpired();
    if (this.#until.size >= this.#max) return false;
    this.#until.set(id, until);
    return true;
  }

  get size(): number {
    return this.#until.size;
  }

  #forgetExpired(): void {
    const now = this.#clock.now();
    for (const [id, until] of this.#until) if (until <= now) this.#until.delete(id);
  }
}
