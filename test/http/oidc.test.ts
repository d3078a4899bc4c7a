// Single sign-on against a real OpenID provider (oidc-provider, started here on
// loopback): the browser's round trip is driven with plain HTTP, following every
// redirect by hand and posting the provider's own login and consent forms, and
// once in Chromium from the sign-in form's button.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { freePort } from '../support/ports.ts';
import { OidcSignIn, OidcSignInError, oidcSettings } from '../../src/access/index.ts';
import { RateLimitedError } from '../../src/core/index.ts';

const CLIENT_ID = 'portier-gateway';
const CLIENT_SECRET = 'a client secret only this test knows';
const SUBJECT = 'f3b0c1d2-idp-subject-0001';
/** Claims the provider gives besides sub, name and groups: the gateway must store none of them. */
const EMAIL = 'erika.mustermann@idp.example';
const USERNAME = 'erika.m.idp';

interface ProviderAccount { name: string; groups: string[] }

/** oidc-provider has no type declarations; this is the part the test uses. */
type ProviderClass = new (issuer: string, config: Record<string, unknown>) => { callback(): (req: unknown, res: unknown) => void };

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** A cookie jar for one user agent at one host (names are unique enough for this round trip). */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name); else this.#cookies.set(name, value);
    }
  }
  get(name: string): string | undefined { return this.#cookies.get(name); }
  header(): string { return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

describe('single sign-on with OpenID Connect', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let idp: Server;
  let issuer: string;
  let callback: string;
  let chromium: { browser: Browser; close: () => Promise<void> };
  const accounts = new Map<string, ProviderAccount>([
    [SUBJECT, { name: 'Erika Mustermann', groups: ['empfang-hq'] }],
    ['admin-subject-0002', { name: 'Ada Admin', groups: ['portier-admins'] }],
  ]);

  beforeAll(async () => {
    idp = createServer();
    issuer = `http://127.0.0.1:${await listen(idp)}`;
    const gatewayPort = await freePort();
    // localhost, as the pages are opened in Chromium: the flow cookie goes back to the host that set it.
    callback = `http://localhost:${gatewayPort}/api/auth/oidc/callback`;
    const { default: Provider } = (await import('oidc-provider' as string)) as { default: ProviderClass };
    const provider = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [callback], grant_types: ['authorization_code'], response_types: ['code'] }],
      findAccount: async (_ctx: unknown, id: string) => {
        const account = accounts.get(id);
        return account && {
          accountId: id,
          claims: async () => ({ sub: id, name: account.name, groups: account.groups, email: EMAIL, preferred_username: USERNAME }),
        };
      },
      claims: { openid: ['sub'], profile: ['name', 'email', 'preferred_username', 'groups'] },
      // The claims go into the ID token (the gateway reads nothing else).
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      cookies: { keys: ['a cookie key only this test knows'] },
      features: { devInteractions: { enabled: true } },
    });
    idp.on('request', provider.callback());
    gw = await startGateway({
      PORTIER_HTTP__PORT: String(gatewayPort),
      PORTIER_AUTH__OIDC__ISSUER: issuer,
      PORTIER_AUTH__OIDC__CLIENT_ID: CLIENT_ID,
      PORTIER_AUTH__OIDC__CLIENT_SECRET: CLIENT_SECRET,
      PORTIER_AUTH__OIDC__REDIRECT_URL: callback,
      PORTIER_AUTH__OIDC__ROLES: '[{group: empfang-hq, role: reception, site: hq}, {group: empfang-branch, role: reception, site: branch}, {group: portier-admins, role: admin}]',
    });
    const admin = await signInFirstAdmin(gw);
    for (const id of ['hq', 'branch']) expect((await admin.post('/api/sites', { id, name: id, timeZone: 'Europe/Berlin' })).status).toBe(201);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
    await new Promise((resolve) => idp?.close(resolve));
  });

  /** GET at the provider with its cookies; answers the response. */
  async function atProvider(jar: Jar, url: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET', redirect: 'manual',
      headers: { cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    jar.take(res);
    return res;
  }

  /**
   * Signs in as `subject` like a browser: the gateway's login redirect, the provider's
   * login and consent forms, then the gateway's callback. `tamper` may change the
   * authorization URL, `callbackCookie` the flow cookie sent back.
   */
  async function ssoSignIn(subject: string, opts: { tamper?: (url: URL) => void; callbackCookie?: (cookie: string) => string } = {}) {
    const start = await fetch(`${gw.base}/api/auth/oidc/login?return=/desk`, { redirect: 'manual' });
    expect(start.status).toBe(303);
    const flowCookie = start.headers.getSetCookie().find((c) => c.startsWith('portier_oidc='))!.split(';')[0]!;
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    opts.tamper?.(authorize);

    const idpJar = new Jar();
    let res = await atProvider(idpJar, authorize.href);
    const prompts: string[] = [];
    for (let hops = 0; hops < 12; hops++) {
      const location = res.headers.get('location');
      if (location?.startsWith(callback)) break;
      if (location) { res = await atProvider(idpJar, new URL(location, issuer).href); continue; }
      // A page of the provider's own interactions: its login form, then its consent form.
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      expect(action, html.slice(0, 500)).toBeTruthy();
      prompts.push(prompt!);
      res = await atProvider(idpJar, new URL(action!, issuer).href,
        prompt === 'login' ? { prompt, login: subject, password: 'any' } : { prompt: prompt! });
    }
    const back = res.headers.get('location')!;
    expect(back.startsWith(callback), back).toBe(true);
    const cookie = opts.callbackCookie ? opts.callbackCookie(flowCookie) : flowCookie;
    const done = await fetch(back, { redirect: 'manual', headers: { cookie } });
    return { done, prompts };
  }

  /** The session cookie of a successful sign-in, as an API client. */
  function clientOf(done: Response): ApiClient {
    expect(done.status, 'callback answers a redirect').toBe(303);
    expect(done.headers.get('location')).toBe('/desk');
    const session = done.headers.getSetCookie().find((c) => c.startsWith('portier_session='));
    expect(session).toBeTruthy();
    const api = new ApiClient(gw.base);
    api.cookie = session!.split(';')[0];
    return api;
  }

  it('tells the sign-in form that single sign-on is configured, without a session', async () => {
    const res = await new ApiClient(gw.base).get('/api/auth/methods');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ local: true, oidc: true, saml: false });
  });

  it('signs a provider user in with the role their group maps to, on that site only', async () => {
    const { done, prompts } = await ssoSignIn(SUBJECT);
    expect(prompts).toEqual(['login', 'consent']);
    const me = await clientOf(done).get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.type).toBe('user');
    expect(me.body.displayName).toBe('Erika Mustermann');
    expect(me.body.assignments).toEqual([{ roleId: 'reception', siteId: 'hq' }]);
    const roles = gw.gateway.services.roles;
    expect(await roles.can({ type: 'user', id: me.body.id }, 'call.answer', 'hq')).toBe(true);
    expect(await roles.can({ type: 'user', id: me.body.id }, 'call.answer', 'branch')).toBe(false);
  });

  it('re-syncs roles and display name from the provider at the next sign-in, in the same account', async () => {
    const first = await clientOf((await ssoSignIn(SUBJECT)).done).get('/api/auth/me');
    accounts.set(SUBJECT, { name: 'Erika Musterfrau', groups: ['empfang-branch', 'portier-admins', 'unrelated'] });
    const second = await clientOf((await ssoSignIn(SUBJECT)).done).get('/api/auth/me');
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.displayName).toBe('Erika Musterfrau');
    expect(second.body.assignments).toEqual(expect.arrayContaining([{ roleId: 'reception', siteId: 'branch' }, { roleId: 'admin', siteId: null }]));
    expect(second.body.assignments).toHaveLength(2);
    // The old grant on hq is gone (two assignments, neither on hq): the groups claim is the truth.
    accounts.set(SUBJECT, { name: 'Erika Musterfrau', groups: [] });
    const third = await clientOf((await ssoSignIn(SUBJECT)).done).get('/api/auth/me');
    expect(third.body.assignments).toEqual([]);
    expect(await gw.gateway.services.roles.can({ type: 'user', id: first.body.id }, 'call.answer', 'hq')).toBe(false);
    accounts.set(SUBJECT, { name: 'Erika Mustermann', groups: ['empfang-hq'] });
  });

  it('refuses an answer whose state is not the one this browser started (oidc state-mismatch), without a session', async () => {
    const { done } = await ssoSignIn(SUBJECT, { callbackCookie: () => 'portier_oidc=someone-elses-state' });
    expect(done.status).toBe(401);
    const body = await done.json();
    expect(body.error).toBe('unauthenticated');
    expect(body.message).toMatch(/^oidc state-mismatch:/);
    expect(done.headers.getSetCookie().some((c) => c.startsWith('portier_session=') && !c.startsWith('portier_session=;'))).toBe(false);
    // A browser (Accept: text/html) gets a page in both languages naming the reason.
    const start = await fetch(`${gw.base}/api/auth/oidc/login`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const page = await fetch(`${callback}?state=${state}&code=x`, { redirect: 'manual', headers: { accept: 'text/html', cookie: 'portier_oidc=another' } });
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain('Anmeldung mit dem Firmenkonto abgelehnt');
    expect(html).toContain('Sign-in with the company account refused');
    expect(html).toContain('oidc state-mismatch');
  });

  it('refuses an ID token issued for another nonce (oidc nonce-mismatch), without a session', async () => {
    const { done } = await ssoSignIn(SUBJECT, { tamper: (url) => url.searchParams.set('nonce', 'a-nonce-the-gateway-never-issued') });
    expect(done.status).toBe(401);
    const body = await done.json();
    expect(body.message).toMatch(/^oidc nonce-mismatch:/);
    expect(done.headers.getSetCookie().some((c) => c.startsWith('portier_session=') && !c.startsWith('portier_session=;'))).toBe(false);
  });

  it('refuses a replayed answer: each sign-in completes once (oidc no-sign-in)', async () => {
    const start = await fetch(`${gw.base}/api/auth/oidc/login`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const cookie = `portier_oidc=${state}`;
    const first = await fetch(`${callback}?state=${state}&error=access_denied`, { redirect: 'manual', headers: { cookie } });
    expect((await first.json()).message).toMatch(/^oidc provider-error:/);
    const replay = await fetch(`${callback}?state=${state}&code=x`, { redirect: 'manual', headers: { cookie } });
    expect((await replay.json()).message).toMatch(/^oidc no-sign-in:/);
  });

  it('stores nothing of the provider account but its subject id, display name and roles', async () => {
    await ssoSignIn(SUBJECT);
    const db = gw.gateway.services.store.db;
    const user = await db.selectFrom('users').selectAll().where('sso_subject', '=', SUBJECT).executeTakeFirstOrThrow();
    expect(user.display_name).toBe('Erika Mustermann');
    expect(user.email).toBeNull();
    expect(user.password_hash).toBeNull();
    expect(user.login).toMatch(/^sso-[0-9a-f]{32}$/);
    // Neither the e-mail address nor the provider's user name, nor the client secret, is anywhere in the database.
    const tables = (await db.introspection.getTables()).map((t) => t.name);
    let dump = '';
    for (const table of tables) dump += JSON.stringify(await db.selectFrom(table as 'users').selectAll().execute());
    expect(dump).toContain(SUBJECT);
    for (const secret of [EMAIL, USERNAME, CLIENT_SECRET]) expect(dump).not.toContain(secret);
    // Signing in is audited, with the roles granted.
    // The entries name the user by a pseudonym (crypto-shredding); list() opens it while the user exists (newest first).
    const entries = await gw.gateway.services.audit.list({ action: 'auth.login', actorId: user.id });
    expect(entries.length).toBeGreaterThan(0);
    expect(JSON.parse(entries[0]!.details!)).toMatchObject({ method: 'oidc', roles: [{ role: 'reception', site: 'hq' }] });
  });

  it('signs in from the sign-in form\'s company-account button in Chromium, through the provider\'s own pages (DE/EN)', async () => {
    const german = await (await chromium.browser.newContext({ locale: 'de-DE' })).newPage();
    await german.goto(`${gw.base.replace('127.0.0.1', 'localhost')}/admin`);
    await german.getByRole('link', { name: 'Mit Firmenkonto anmelden' }).waitFor();
    await german.context().close();

    const context = await chromium.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${gw.base.replace('127.0.0.1', 'localhost')}/admin`);
    await page.getByRole('link', { name: 'Sign in with company account' }).click();
    // oidc-provider's development login and consent pages.
    await page.locator('input[name="login"]').fill('admin-subject-0002');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.getByRole('heading', { name: 'Terminals' }).waitFor();
    const user = await gw.gateway.services.store.db.selectFrom('users').select(['id', 'display_name']).where('sso_subject', '=', 'admin-subject-0002').executeTakeFirstOrThrow();
    expect(user.display_name).toBe('Ada Admin');
    expect(await gw.gateway.services.roles.assignments({ type: 'user', id: user.id })).toEqual([{ roleId: 'admin', siteId: null }]);
    await context.close();
  });

  it('holds at most auth.oidc.max_pending_flows sign-ins, each for auth.oidc.flow_minutes (then 429, and a late answer is oidc no-sign-in)', async () => {
    // The gateway's settings and store, on a clock the test moves, with a cap of 2.
    const clock = new ManualClock();
    const { store, accounts, roles, audit } = gw.gateway.services;
    const settings = { ...oidcSettings(gw.gateway.config)!, maxPendingFlows: 2 };
    const oidc = new OidcSignIn({ settings, db: store.db, accounts, roles, audit, clock });
    const first = await oidc.begin('/desk', '192.0.2.1');
    await oidc.begin('/desk', '192.0.2.2');
    await expect(oidc.begin('/desk', '192.0.2.3')).rejects.toBeInstanceOf(RateLimitedError);
    await clock.advance(settings.flowMs);
    // Expired flows make room again, and the expired one cannot complete.
    await oidc.begin('/desk', '192.0.2.1');
    const late = oidc.complete(new URLSearchParams({ state: first.state, code: 'x' }), first.state);
    await expect(late).rejects.toBeInstanceOf(OidcSignInError);
    await expect(late).rejects.toThrow(/^oidc no-sign-in:/);
  });

  it('lets one address hold at most auth.oidc.max_pending_flows_per_address sign-ins, so a stranger cannot use up everyone\'s', async () => {
    const clock = new ManualClock();
    const { store, accounts, roles, audit } = gw.gateway.services;
    const settings = { ...oidcSettings(gw.gateway.config)!, maxPendingFlows: 100, maxPendingFlowsPerAddress: 3 };
    const oidc = new OidcSignIn({ settings, db: store.db, accounts, roles, audit, clock });
    // A parallel burst from one address: the limit is taken before any await.
    const burst = await Promise.allSettled(Array.from({ length: 20 }, () => oidc.begin('/desk', '198.51.100.9')));
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(burst.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof RateLimitedError)).toBe(true);
    await expect(oidc.begin('/desk', '198.51.100.10')).resolves.toMatchObject({ state: expect.any(String) });
  });

  it('does not write an audit entry for answers that match no sign-in (anyone can send them)', async () => {
    const before = (await gw.gateway.services.store.db.selectFrom('audit_log' as never).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow() as { n: number }).n;
    const answers = await Promise.all(Array.from({ length: 25 }, () => fetch(`${callback}?state=forged&code=x`, { redirect: 'manual', headers: { cookie: 'portier_oidc=forged-too' } })));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    const after = (await gw.gateway.services.store.db.selectFrom('audit_log' as never).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow() as { n: number }).n;
    expect(after).toBe(before);
  });
});
