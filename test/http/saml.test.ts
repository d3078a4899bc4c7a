// SAML 2.0 sign-in against IdP responses signed here with a throwaway key: the
// gateway's redirect carries an AuthnRequest, the test answers it as an IdP would
// (or bends the answer), and posts it to the ACS like the IdP's form. Every bent
// answer is refused with its named error and opens no session. The browser round
// trip against a real IdP (SimpleSAMLphp) is test/e2e/saml-sso.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { makeIdpKeys, authnRequestOf, responseXml, signAssertion, type IdpKeys, type ResponseFields } from '../support/saml-idp.ts';
import { SamlSignIn, SamlSignInError, samlSettings } from '../../src/access/index.ts';
import { AssertionMemory, checkBearerAssertion } from '../../src/access/saml-assertion.ts';
import { RateLimitedError } from '../../src/core/index.ts';
import { loadConfig, ConfigError } from '../../src/config/index.ts';
import { join } from 'node:path';

const IDP = 'https://idp.example/saml';
const ENTITY = 'https://portier.example/saml';
const ACS = 'https://portier.example/api/auth/saml/acs';
const SUBJECT = 'a7c3e9-persistent-subject';
/** Attributes the IdP gives besides name and groups: the gateway must store none of them. */
const MAIL = 'erika.mustermann@idp.example';

describe('single sign-on with SAML 2.0 (responses signed in the test)', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let keys: IdpKeys;
  let otherKeys: IdpKeys;

  beforeAll(async () => {
    keys = makeIdpKeys();
    otherKeys = makeIdpKeys('someone-else');
    gw = await startGateway({
      // Never contacted here: the test answers the AuthnRequest itself.
      PORTIER_AUTH__SAML__ENTRY_POINT: 'https://idp.example/saml/sso',
      // As an environment variable the PEM's line breaks fold into spaces: the gateway must still read it.
      PORTIER_AUTH__SAML__IDP_CERT: keys.cert,
      PORTIER_AUTH__SAML__IDP_ENTITY_ID: IDP,
      PORTIER_AUTH__SAML__ENTITY_ID: ENTITY,
      PORTIER_AUTH__SAML__ACS_URL: ACS,
      PORTIER_AUTH__SAML__ROLES: '[{group: empfang-hq, role: reception, site: hq}, {group: portier-admins, role: admin}]',
    });
    const admin = await signInFirstAdmin(gw);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'hq', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
  });

  const db = () => gw.gateway.services.store.db;
  const count = async (table: 'sessions' | 'audit_log') =>
    Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  /** Starts a sign-in like a browser: the AuthnRequest's id and the flow cookie that carries it. */
  async function begin(): Promise<{ requestId: string; cookie: string }> {
    const start = await fetch(`${gw.base}/api/auth/saml/login?return=/desk`, { redirect: 'manual' });
    expect(start.status).toBe(303);
    const location = start.headers.get('location')!;
    expect(location.startsWith('https://idp.example/saml/sso?SAMLRequest=')).toBe(true);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('portier_saml='))!;
    expect(cookie).toMatch(/SameSite=None/i);
    const requestId = cookie.split(';')[0]!.slice('portier_saml='.length);
    const request = authnRequestOf(location);
    expect(request).toContain(`ID="${requestId}"`);
    expect(request).toContain(`AssertionConsumerServiceURL="${ACS}"`);
    return { requestId, cookie: `portier_saml=${requestId}` };
  }

  /** What the IdP would answer to `requestId`, before any bending. */
  function fields(requestId: string, over: Partial<ResponseFields> = {}): ResponseFields {
    const now = Date.now();
    return {
      idpEntityId: IDP, requestId, acsUrl: ACS, audience: ENTITY, nameId: SUBJECT,
      attributes: { displayName: ['Erika Mustermann'], groups: ['empfang-hq'], mail: [MAIL] },
      notBefore: now - 1000, notOnOrAfter: now + 5 * 60_000, ...over,
    };
  }

  /** Posts a response to the ACS as the IdP's form does (from the IdP's origin). */
  async function post(xml: string, cookie: string, accept = 'application/json'): Promise<Response> {
    return fetch(`${gw.base}/api/auth/saml/acs`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://idp.example', cookie, accept },
      body: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: '' }).toString(),
    });
  }

  const sessionSet = (res: Response) => res.headers.getSetCookie().some((c) => c.startsWith('portier_session=') && !c.startsWith('portier_session=;'));

  /** Asserts a refusal named `reason` that opened no session. */
  async function expectRefused(res: Response, reason: string, sessionsBefore: number): Promise<void> {
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toBe('unauthenticated');
    expect(body.message).toMatch(new RegExp(`^saml ${reason}:`));
    expect(sessionSet(res)).toBe(false);
    expect(await count('sessions')).toBe(sessionsBefore);
  }

  it('tells the sign-in form that SAML sign-in is configured', async () => {
    const res = await new ApiClient(gw.base).get('/api/auth/methods');
    expect(res.body).toEqual({ local: true, oidc: false, saml: true });
  });

  it('signs a valid assertion\'s subject in with the role its group maps to, storing only subject id, name and roles', async () => {
    const { requestId, cookie } = await begin();
    const res = await post(signAssertion(responseXml(fields(requestId)), keys), cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/desk');
    const api = new ApiClient(gw.base);
    api.cookie = res.headers.getSetCookie().find((c) => c.startsWith('portier_session='))!.split(';')[0];
    const me = await api.get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.displayName).toBe('Erika Mustermann');
    expect(me.body.assignments).toEqual([{ roleId: 'reception', siteId: 'hq' }]);
    const user = await db().selectFrom('users').selectAll().where('sso_subject', '=', `saml:${SUBJECT}`).executeTakeFirstOrThrow();
    expect(user.id).toBe(me.body.id);
    expect(user.login).toMatch(/^sso-[0-9a-f]{32}$/);
    expect(user.email).toBeNull();
    expect(user.password_hash).toBeNull();
    let dump = '';
    for (const t of (await db().introspection.getTables()).map((x) => x.name)) dump += JSON.stringify(await db().selectFrom(t as 'users').selectAll().execute());
    expect(dump).not.toContain(MAIL);
    // The entry names the user by a pseudonym (crypto-shredding); list() opens it while the user exists.
    const [entry] = await gw.gateway.services.audit.list({ action: 'auth.login', actorId: user.id, limit: 1 });
    if (!entry) throw new Error('no auth.login entry of the user');
    expect(JSON.parse(entry.details!)).toMatchObject({ method: 'saml', roles: [{ role: 'reception', site: 'hq' }] });
  });

  it('re-syncs roles and display name from the assertion at the next sign-in, in the same account', async () => {
    const first = await begin();
    expect((await post(signAssertion(responseXml(fields(first.requestId)), keys), first.cookie)).status).toBe(303);
    const second = await begin();
    const res = await post(signAssertion(responseXml(fields(second.requestId, {
      attributes: { displayName: ['Erika Musterfrau'], groups: ['portier-admins'] },
    })), keys), second.cookie);
    expect(res.status).toBe(303);
    const user = await db().selectFrom('users').select(['id', 'display_name']).where('sso_subject', '=', `saml:${SUBJECT}`).execute();
    expect(user).toHaveLength(1);
    expect(user[0]!.display_name).toBe('Erika Musterfrau');
    expect(await gw.gateway.services.roles.assignments({ type: 'user', id: user[0]!.id })).toEqual([{ roleId: 'admin', siteId: null }]);
  });

  it('refuses an assertion for another service provider (saml wrong-audience), without a session', async () => {
    const sessions = await count('sessions');
    const { requestId, cookie } = await begin();
    await expectRefused(await post(signAssertion(responseXml(fields(requestId, { audience: 'https://other-app.example' })), keys), cookie), 'wrong-audience', sessions);
  });

  it('refuses an assertion addressed to another ACS URL (saml wrong-recipient), without a session', async () => {
    const sessions = await count('sessions');
    const { requestId, cookie } = await begin();
    await expectRefused(await post(signAssertion(responseXml(fields(requestId, { acsUrl: 'https://other-app.example/acs' })), keys), cookie), 'wrong-recipient', sessions);
  });

  it('refuses an assertion another IdP issued, even signed with the trusted key (saml wrong-issuer), without a session', async () => {
    const sessions = await count('sessions');
    const { requestId, cookie } = await begin();
    await expectRefused(await post(signAssertion(responseXml(fields(requestId, { idpEntityId: 'https://other-idp.example' })), keys), cookie), 'wrong-issuer', sessions);
  });

  it('refuses an expired assertion, beyond the allowed clock skew (saml expired), without a session', async () => {
    const sessions = await count('sessions');
    const { requestId, cookie } = await begin();
    // auth.saml.clock_skew_seconds is 60: this one ended ten minutes ago.
    const past = Date.now() - 15 * 60_000;
    await expectRefused(await post(signAssertion(responseXml(fields(requestId, { notBefore: past, notOnOrAfter: past + 5 * 60_000 })), keys), cookie), 'expired', sessions);
  });

  it('refuses a replayed assertion even inside a new sign-in of the same browser (saml replayed), without a session', async () => {
    const first = await begin();
    const signed = signAssertion(responseXml(fields(first.requestId)), keys);
    expect((await post(signed, first.cookie)).status).toBe(303);
    const sessions = await count('sessions');
    // Posted again with a new sign-in's cookie (the attacker's own): the assertion id is remembered.
    const second = await begin();
    await expectRefused(await post(signed, second.cookie), 'replayed', sessions);
    // And with the cookie it was issued for, which that sign-in used up.
    await expectRefused(await post(signed, first.cookie), 'no-sign-in', sessions);
  });

  it('refuses an assertion changed after signing (saml signature-invalid), without a session', async () => {
    const sessions = await count('sessions');
    const { requestId, cookie } = await begin();
    const tampered = signAssertion(responseXml(fields(requestId)), keys).replace('<saml:AttributeValue xsi:type="xs:string">empfang-hq<', '<saml:AttributeValue xsi:type="xs:string">portier-admins<');
    expect(tampered).toContain('portier-admins');
    await expectRefused(await post(tampered, cookie), 'signature-invalid', sessions);
    // Signed with a key the deployment does not trust: the same.
    const next = await begin();
    await expectRefused(await post(signAssertion(responseXml(fields(next.requestId)), otherKeys), next.cookie), 'signature-invalid', sessions);
  });

  it('refuses a signature-wrapping attack — an unsigned admin assertion beside the signed one (saml signature-wrapping), without a session', async () => {
    const sessions = await count('sessions');
    const { requestId, cookie } = await begin();
    const signed = signAssertion(responseXml(fields(requestId, { assertionId: '_genuine' })), keys);
    const genuine = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)![0];
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(genuine)![0];
    // The evil assertion takes the genuine one's place, ID and signature; the genuine one hides in Extensions.
    const evil = genuine.replace(signature, '').replace(`>${SUBJECT}<`, '>the-attacker<').replace('>empfang-hq<', '>portier-admins<')
      .replace('</saml:Issuer>', `</saml:Issuer>${signature}`);
    const wrapped = signed.replace(genuine, evil).replace('<samlp:Status>', `<samlp:Extensions>${genuine}</samlp:Extensions><samlp:Status>`);
    await expectRefused(await post(wrapped, cookie), 'signature-wrapping', sessions);
    expect(await db().selectFrom('users').select('id').where('sso_subject', '=', 'saml:the-attacker').executeTakeFirst()).toBeUndefined();
  });

  it('refuses an answer without this browser\'s sign-in (saml no-sign-in), unaudited, and names every refusal to a browser in German and English', async () => {
    const { requestId } = await begin();
    const signed = signAssertion(responseXml(fields(requestId)), keys);
    const audit = await count('audit_log');
    const sessions = await count('sessions');
    await expectRefused(await post(signed, ''), 'no-sign-in', sessions);
    await expectRefused(await post(signed, 'portier_saml=_forged'), 'no-sign-in', sessions);
    expect(await count('audit_log')).toBe(audit);
    // A browser (Accept: text/html) gets the sign-in refusal page, naming the reason in both languages.
    const next = await begin();
    const page = await post(signAssertion(responseXml(fields(next.requestId, { audience: 'https://other-app.example' })), keys), next.cookie, 'text/html');
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain('Die Zusicherung gilt für einen anderen Dienst als Portier.');
    expect(html).toContain('The assertion is meant for another service than Portier.');
    expect(html).toContain('saml wrong-audience');
    // A refusal that did match a sign-in is audited with its reason.
    const last = await db().selectFrom('audit_log').selectAll().where('action', '=', 'auth.login').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(last.outcome).toBe('denied');
    expect(JSON.parse(last.details!)).toEqual({ method: 'saml', reason: 'wrong-audience' });
  });

  it('exempts only the ACS from the Origin check: another POST from the IdP\'s origin is still refused', async () => {
    const { requestId, cookie } = await begin();
    const res = await fetch(`${gw.base}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://idp.example', cookie },
      body: JSON.stringify({ login: 'admin', password: 'admin password 123' }),
    });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toMatch(/^cross-origin request refused/);
    // The ACS itself takes the IdP's post.
    expect((await post(signAssertion(responseXml(fields(requestId)), keys), cookie)).status).toBe(303);
  });

  it('lets one address hold at most auth.saml.max_pending_flows_per_address sign-ins, and all at most auth.saml.max_pending_flows, for auth.saml.flow_minutes', async () => {
    const clock = new ManualClock();
    const { store, accounts, roles, audit } = gw.gateway.services;
    const settings = { ...samlSettings(gw.gateway.config)!, maxPendingFlows: 4, maxPendingFlowsPerAddress: 3 };
    const saml = new SamlSignIn({ settings, db: store.db, accounts, roles, audit, clock });
    const burst = await Promise.allSettled(Array.from({ length: 20 }, () => saml.begin('/desk', '198.51.100.9')));
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(burst.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof RateLimitedError)).toBe(true);
    const fourth = await saml.begin('/desk', '198.51.100.10');
    await expect(saml.begin('/desk', '198.51.100.11')).rejects.toBeInstanceOf(RateLimitedError);
    await clock.advance(settings.flowMs);
    await expect(saml.begin('/desk', '198.51.100.11')).resolves.toMatchObject({ requestId: expect.any(String) });
    // The expired sign-in cannot complete, even with a perfectly signed answer.
    const late = saml.complete(Buffer.from(signAssertion(responseXml(fields(fourth.requestId)), keys)).toString('base64'), fourth.requestId);
    await expect(late).rejects.toBeInstanceOf(SamlSignInError);
    await expect(late).rejects.toThrow(/^saml no-sign-in:/);
  });
});

describe('the checks node-saml leaves to the gateway', () => {
  const parsed = (over: { notBefore?: string; notOnOrAfter?: string; recipient?: string; inResponseTo?: string; id?: string } = {}) => ({
    Assertion: {
      $: { ID: over.id ?? '_a1' },
      Subject: [{ SubjectConfirmation: [{ $: { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' }, SubjectConfirmationData: [{ $: {
        Recipient: over.recipient ?? ACS, InResponseTo: over.inResponseTo ?? '_req', NotOnOrAfter: over.notOnOrAfter ?? '2030-01-01T10:05:00Z',
      } }] }] }],
      Conditions: [{ $: { NotBefore: over.notBefore ?? '2030-01-01T10:00:00Z', NotOnOrAfter: over.notOnOrAfter ?? '2030-01-01T10:05:00Z' } }],
    },
  });
  const at = (iso: string) => ({ now: Date.parse(iso), skewMs: 60_000, issuer: '', recipient: ACS, requestId: '_req', seen: () => false });

  it('accepts the time window widened by the clock skew on both ends, and nothing beyond', () => {
    expect(checkBearerAssertion(parsed(), at('2030-01-01T09:59:00Z'))).toMatchObject({ ok: true, assertionId: '_a1', acceptableUntil: Date.parse('2030-01-01T10:05:00Z') });
    expect(checkBearerAssertion(parsed(), at('2030-01-01T09:58:59Z'))).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(checkBearerAssertion(parsed(), at('2030-01-01T10:05:59Z'))).toMatchObject({ ok: true });
    expect(checkBearerAssertion(parsed(), at('2030-01-01T10:06:00Z'))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('wants a bearer confirmation for this ACS URL answering this browser\'s request, with a NotOnOrAfter', () => {
    expect(checkBearerAssertion(parsed({ recipient: 'https://elsewhere/acs' }), at('2030-01-01T10:00:00Z'))).toMatchObject({ ok: false, reason: 'wrong-recipient' });
    expect(checkBearerAssertion(parsed({ inResponseTo: '_another' }), at('2030-01-01T10:00:00Z'))).toMatchObject({ ok: false, reason: 'no-sign-in' });
    const open = parsed();
    delete (open.Assertion.Subject[0]!.SubjectConfirmation[0]!.SubjectConfirmationData[0]!.$ as Record<string, string>).NotOnOrAfter;
    expect(checkBearerAssertion(open, at('2030-01-01T10:00:00Z'))).toMatchObject({ ok: false, reason: 'response-invalid' });
  });

  it('refuses to start SAML without https URLs, an entity id or a readable IdP certificate (ConfigError naming the key)', () => {
    const cert = makeIdpKeys().cert;
    const good = { PORTIER_AUTH__SAML__ENTRY_POINT: 'https://idp.example/sso', PORTIER_AUTH__SAML__IDP_CERT: cert, PORTIER_AUTH__SAML__ENTITY_ID: ENTITY, PORTIER_AUTH__SAML__ACS_URL: ACS };
    const settings = (env: Record<string, string>) => samlSettings(loadConfig({ configDir: join(import.meta.dirname, '..', '..', 'config'), cwd: '/', env }));
    expect(settings({})).toBeUndefined();
    expect(settings(good)?.idpCert).toBe(cert);
    // The bare base64 body, as in the IdP's metadata, is the same certificate.
    expect(settings({ ...good, PORTIER_AUTH__SAML__IDP_CERT: cert.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, '') })?.idpCert).toBe(cert);
    expect(settings({ ...good, PORTIER_AUTH__SAML__ENTRY_POINT: 'http://127.0.0.1:8080/sso' })?.entryPoint).toBe('http://127.0.0.1:8080/sso');
    for (const [key, env] of [
      ['auth.saml.entry_point', { PORTIER_AUTH__SAML__ENTRY_POINT: 'http://idp.example/sso' }],
      ['auth.saml.acs_url', { PORTIER_AUTH__SAML__ACS_URL: 'http://portier.example/api/auth/saml/acs' }],
      ['auth.saml.entity_id', { PORTIER_AUTH__SAML__ENTITY_ID: '' }],
      ['auth.saml.idp_cert', { PORTIER_AUTH__SAML__IDP_CERT: 'not a certificate' }],
    ] as const) {
      let error: unknown;
      try { settings({ ...good, ...env }); } catch (e) { error = e; }
      expect(error, key).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe(key);
    }
  });

  it('remembers an assertion id until it expires, and refuses new ones rather than forget a valid one when full', async () => {
    const clock = new ManualClock();
    const memory = new AssertionMemory(2, clock);
    const t0 = clock.now();
    expect(memory.remember('_a', t0 + 1000)).toBe(true);
    expect(memory.remember('_b', t0 + 5000)).toBe(true);
    expect(memory.has('_a')).toBe(true);
    expect(memory.remember('_c', t0 + 5000)).toBe(false);
    await clock.advance(1000);
    expect(memory.has('_a')).toBe(false);
    expect(memory.remember('_c', t0 + 5000)).toBe(true);
    expect(memory.size).toBe(2);
    expect(memory.has('_b')).toBe(true);
  });
});
