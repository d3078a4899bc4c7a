// A gateway whose SIP account names its registrar as a domain (sip.dns_servers: a local
// DNS server whose SRV record points at a real Kamailio): /ready, GET /api/sip/accounts
// and the admin page (Chromium, English and German) show the SRV target in use — as the
// server in use, not as a failover to a secondary.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kamailio } from '../support/kamailio.ts';
import { DnsServer } from '../support/dns-server.ts';
import { untilAccount } from '../sip-bridge/account-state.ts';
import { startGateway, signInFirstAdmin } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';

const DOMAIN = 'portier.test';

let kamailio: Kamailio;
let dns: DnsServer;

beforeAll(async () => {
  kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'gateway', password: 'gateway-secret-4' }] });
  dns = await DnsServer.start();
  dns.zone.set('_sip._udp.pbx.test', { ttl: 300, srv: [{ priority: 10, weight: 10, port: kamailio.port, target: 'sip1.pbx.test' }] });
  dns.zone.set('sip1.pbx.test', { ttl: 300, a: ['127.0.0.1'] });
}, 120_000);

afterAll(async () => {
  await kamailio?.close();
  await dns?.close();
});

describe('a gateway whose registrar is a domain with an SRV record', () => {
  it('shows the SRV target in use in /ready, GET /api/sip/accounts and the admin page (English and German)', async () => {
    const password = 'admin password 123';
    const target = `sip1.pbx.test:${kamailio.port}`;
    const gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__DNS_SERVERS: `["${dns.address}"]`,
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "pbx.test", username: gateway, password: gateway-secret-4, domain: ${DOMAIN}}]`,
    });
    const chromium = await launchChromium();
    try {
      await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
      const admin = await signInFirstAdmin(gw, password);
      expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
      const ready = (await admin.get('/ready')).body;
      expect(ready.components.sip).toMatchObject({ state: 'ready', accounts: [{ id: 'pbx', registrar: 'pbx.test:5060', server: target, servers: [target], onPrimary: true }] });
      expect((await admin.get('/api/sip/accounts?siteId=hq')).body).toMatchObject([{ id: 'pbx', state: 'registered', registrar: 'pbx.test:5060', server: target, servers: [target], onPrimary: true }]);
      expect(await kamailio.contacts('gateway')).toHaveLength(1);
      for (const [locale, w] of [['en', { heading: 'SIP accounts', inUse: 'In use' }], ['de', { heading: 'SIP-Konten', inUse: 'In Betrieb' }]] as const) {
        const page = await adminPage(chromium.browser, gw.base, password, { locale });
        const row = page.getByRole('region', { name: w.heading }).locator('tr[data-sip-account="pbx"]');
        await row.waitFor();
        expect(await row.locator('[data-sip-in-use]').textContent()).toBe(`${w.inUse}: ${target}`);
        expect(await row.locator('[data-sip-active]').count()).toBe(0);
        await page.context().close();
      }
    } finally {
      await chromium.close();
      await gw.close();
    }
  }, 120_000);
});
