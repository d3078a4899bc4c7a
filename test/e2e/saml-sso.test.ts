// SAML 2.0 sign-in in Chromium against a real IdP: SimpleSAMLphp 1.19 (Debian's
// package) under PHP's built-in server on loopback. The sign-in form's button sends
// the browser to the IdP with an AuthnRequest, the IdP's own login page takes the
// password, its auto-submitting form posts the signed assertion to Portier's ACS
// across sites (IdP on 127.0.0.1, Portier on localhost), and the admin page opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, signInFirstAdmin } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { freePort } from '../support/ports.ts';
import { startSimpleSamlPhp, type SimpleSamlIdp } from '../support/simplesamlphp.ts';

const ENTITY = 'urn:portier:test-deployment';

describe('SAML sign-in in Chromium through SimpleSAMLphp', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let idp: SimpleSamlIdp;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let site: string;

  beforeAll(async () => {
    const [idpPort, gatewayPort] = [await freePort(), await freePort()];
    // localhost, as the pages are opened in Chromium: the flow cookie goes back to the host that set it.
    site = `http://localhost:${gatewayPort}`;
    const acsUrl = `${site}/api/auth/saml/acs`;
    idp = await startSimpleSamlPhp({
      port: idpPort, sp: { entityId: ENTITY, acsUrl },
      users: {
        ada: { password: 'ada-password', displayName: 'Ada Admin', groups: ['portier-admins'], mail: 'ada@idp.example' },
        erika: { password: 'erika-password', displayName: 'Erika Mustermann', groups: ['empfang-hq'], mail: 'erika@idp.example' },
      },
    });
    gw = await startGateway({
      PORTIER_HTTP__PORT: String(gatewayPort),
      PORTIER_AUTH__SAML__ENTRY_POINT: idp.ssoUrl,
      PORTIER_AUTH__SAML__IDP_CERT: idp.cert,
      PORTIER_AUTH__SAML__IDP_ENTITY_ID: idp.entityId,
      PORTIER_AUTH__SAML__ENTITY_ID: ENTITY,
      PORTIER_AUTH__SAML__ACS_URL: acsUrl,
      PORTIER_AUTH__SAML__ROLES: '[{group: empfang-hq, role: reception, site: hq}, {group: portier-admins, role: admin}]',
    });
    const admin = await signInFirstAdmin(gw);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'hq', timeZone: 'Europe/Berlin' })).status).toBe(201);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
    await idp?.close();
  });

  /** From the sign-in form's button through SimpleSAMLphp's own login page; the browser ends where the ACS sends it. */
  async function signIn(locale: string, login: string, password: string, button: string) {
    const context = await chromium.browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(`${site}/admin`);
    await page.getByRole('link', { name: button }).click();
    await page.waitForURL((url) => url.origin === idp.base);
    await page.locator('input[name="username"]').fill(login);
    await page.locator('input[name="password"]').fill(password);
    await page.locator('input[name="password"]').press('Enter');
    // SimpleSAMLphp's HTTP-POST page submits itself to Portier's ACS.
    await page.waitForURL((url) => url.origin === site).catch(async (error: Error) => {
      // Where the round trip stopped (SimpleSAMLphp shows its errors as a page) and what PHP's server logged.
      throw new Error(`${error.message}\nstopped at ${page.url()}: ${(await page.locator('body').innerText()).slice(0, 1500)}\n${idp.log().slice(-1500)}`);
    });
    return { context, page };
  }

  const userOf = (login: string) => gw.gateway.services.store.db.selectFrom('users').select(['id', 'display_name', 'disabled'])
    .where('sso_subject', '=', `saml:${login}`).executeTakeFirst();

  it('signs an IdP user in from the sign-in form\'s button, with the roles their groups map to', async () => {
    const { context, page } = await signIn('en-US', 'ada', 'ada-password', 'Sign in with company account');
    await page.waitForURL(/\/admin$/);
    await page.getByRole('heading', { name: 'Terminals' }).waitFor();
    const user = await userOf('ada');
    expect(user?.display_name).toBe('Ada Admin');
    expect(await gw.gateway.services.roles.assignments({ type: 'user', id: user!.id })).toEqual([{ roleId: 'admin', siteId: null }]);
    // The assertion came from SimpleSAMLphp's key, for this request: the login is audited as saml.
    // The entry names the user by a pseudonym (crypto-shredding); list() opens it while the user exists.
    const [entry] = await gw.gateway.services.audit.list({ action: 'auth.login', actorId: user!.id, limit: 1 });
    if (!entry) throw new Error('no auth.login entry of the user');
    expect(JSON.parse(entry.details!)).toMatchObject({ method: 'saml', created: true, roles: [{ role: 'admin', site: null }] });
    await context.close();
  });

  it('names a refusal in German and English on the sign-in refusal page (a disabled account), with no session', async () => {
    // Erika signs in once (reception on hq), then an administrator disables her account in Portier.
    const first = await signIn('de-DE', 'erika', 'erika-password', 'Mit Firmenkonto anmelden');
    await first.page.waitForURL(/\/admin$/);
    await first.context.close();
    const erika = await userOf('erika');
    expect(await gw.gateway.services.roles.assignments({ type: 'user', id: erika!.id })).toEqual([{ roleId: 'reception', siteId: 'hq' }]);
    await gw.gateway.services.store.db.updateTable('users').set({ disabled: 1 }).where('id', '=', erika!.id).execute();

    const { context, page } = await signIn('de-DE', 'erika', 'erika-password', 'Mit Firmenkonto anmelden');
    await page.getByText('Dieses Konto ist in Portier gesperrt.').waitFor();
    await page.getByText('This account is disabled in Portier.').waitFor();
    await page.getByText('(saml account-disabled)').waitFor();
    expect(new URL(page.url()).pathname).toBe('/api/auth/saml/acs');
    expect((await context.cookies()).some((c) => c.name === 'portier_session')).toBe(false);
    await context.close();
  });
});
