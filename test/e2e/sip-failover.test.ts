// A gateway whose SIP account's primary registrar never answers, against a real
// Kamailio as its secondary (started once for the file): /ready, GET
// /api/sip/accounts and the admin page (Chromium, English and German) show the
// secondary in use. Moved here from test/sip-bridge/failover.test.ts, whose
// failover cases run on a manual clock without a browser (review s22 #15).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { SipAccountStatus } from '../../src/sip-bridge/index.ts';
import { Kamailio } from '../support/kamailio.ts';
import { untilAccount } from '../sip-bridge/account-state.ts';
import { startGateway, signInFirstAdmin } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';

const DOMAIN = 'portier.test';

let b: Kamailio;
const server = (k: Kamailio) => `127.0.0.1:${k.port}`;
const registeredAt = (k: Kamailio) => (s: SipAccountStatus) => s.state === 'registered' && s.server === server(k);

beforeAll(async () => {
  b = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'gateway', password: 'gateway-secret-3' }] });
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe('a gateway whose primary never answers', () => {
  it('shows the secondary in use in /ready, GET /api/sip/accounts and the admin page (English and German)', async () => {
    const password = 'admin password 123';
    // Nothing answers on port 9 of loopback: the REGISTER there ends with Timer F (64·T1 = 3.2 s), then B.
    const gw = await startGateway({
      PORTIER_SIP__T1_MS: '50', PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:9", secondary_registrars: ["${server(b)}"], username: gateway, password: gateway-secret-3, domain: ${DOMAIN}}]`,
    });
    const chromium = await launchChromium();
    try {
      await untilAccount(gw.gateway.services.sip.account('pbx')!, registeredAt(b));
      const admin = await signInFirstAdmin(gw, password);
      expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
      const ready = (await admin.get('/ready')).body;
      expect(ready.components.sip).toMatchObject({ state: 'ready', accounts: [{ id: 'pbx', registrar: '127.0.0.1:9', server: server(b), servers: ['127.0.0.1:9', server(b)] }] });
      expect((await admin.get('/api/sip/accounts?siteId=hq')).body).toMatchObject([{ id: 'pbx', state: 'registered', registrar: '127.0.0.1:9', server: server(b), servers: ['127.0.0.1:9', server(b)] }]);
      for (const [locale, w] of [
        ['en', { heading: 'SIP accounts', secondaries: 'Secondary', active: 'In use: secondary server (the primary does not answer)' }],
        ['de', { heading: 'SIP-Konten', secondaries: 'Ausweichserver', active: 'In Betrieb: Ausweichserver (der primäre antwortet nicht)' }],
      ] as const) {
        const page = await adminPage(chromium.browser, gw.base, password, { locale });
        const row = page.getByRole('region', { name: w.heading }).locator('tr[data-sip-account="pbx"]');
        await row.waitFor();
        expect(await row.locator('[data-sip-secondaries]').textContent()).toBe(`${w.secondaries}: ${server(b)}`);
        expect(await row.locator('[data-sip-active]').textContent()).toBe(`${w.active}: ${server(b)}`);
        await page.context().close();
      }
    } finally {
      await chromium.close();
      await gw.close();
    }
  }, 120_000);
});
