// A SIP account stored through the admin API whose id the config file took later
// (review s24 #3): at the next start the config file's account runs and the stored
// one does not (SipBridge.add refuses a second instance of an id); the list and the
// admin page (en, de) show the stored one as shadowed, with Delete as its only
// control, and DELETE of the id removes it — the config file's account runs on. No registrar is needed: both accounts point at a port nobody
// answers, and nothing here waits for a registration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';
import type { Gw } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';
import { silentRegistrar, type SilentRegistrar } from '../support/sip-account-api.ts';

const PASSWORD = 'admin password 1234';

describe('a stored SIP account shadowed by the config file', () => {
  let dataDir: string;
  let silent: SilentRegistrar;
  let gw: Gw;
  let admin: ApiClient;
  let chromium: { browser: Browser; close: () => Promise<void> };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-sip-shadowed-'));
    // A bound socket that never answers: the accounts' REGISTERs go nowhere, no ICMP refusal either.
    silent = await silentRegistrar();
    const { registrar } = silent;
    const first = await startGateway({ PORTIER_DATA_DIR: dataDir, PORTIER_SIP__BIND_ADDRESS: '127.0.0.1' });
    const firstAdmin = await signInFirstAdmin(first, PASSWORD);
    const made = await firstAdmin.post('/api/sip-accounts', { id: 'pbx', registrar, username: 'stored-user', password: 'stored-secret-1' });
    if (made.status !== 201) throw new Error(`seeding: ${made.status} ${JSON.stringify(made.body)}`);
    await first.close();
    // The config file takes the id later.
    gw = await startGateway({
      PORTIER_DATA_DIR: dataDir, PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "${registrar}", username: config-user, password: config-secret-2}]`,
    });
    admin = new ApiClient(gw.base);
    expect((await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD })).status).toBe(200);
    // The admin page shows its sections (the SIP one among them) for a site.
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    chromium = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
    silent?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const running = () => gw.gateway.services.sip.accounts.filter((a) => a.id === 'pbx');

  it('runs the config file\'s account only, and lists the stored one as shadowed (not running, no state of the other)', async () => {
    expect(running()).toHaveLength(1);
    expect(gw.gateway.services.sipAccounts.get('pbx')).toMatchObject({ origin: 'config', account: { username: 'config-user' } });
    const list = await admin.get('/api/sip-accounts');
    expect(list.status).toBe(200);
    expect(list.body.map((a: { origin: string; id: string; username: string; shadowed: boolean; state: string }) => `${a.origin}:${a.id}:${a.username}:${a.shadowed}`))
      .toEqual(['config:pbx:config-user:false', 'admin:pbx:stored-user:true']);
    expect(list.body[1]).toMatchObject({ state: 'shadowed', hasPassword: true });
    expect(list.body[1]).not.toHaveProperty('server');
  });

  for (const locale of ['en', 'de'] as const) {
    it(`the admin page marks the stored account as not running, with Delete as its only control (${locale})`, async () => {
      const de = locale === 'de';
      const page = await adminPage(chromium.browser, gw.base, PASSWORD, { locale });
      const section = page.locator('#section-sip');
      const stored = section.locator('[data-sip-managed=pbx][data-origin=admin]');
      await stored.waitFor();
      expect(await stored.getAttribute('data-shadowed')).toBe('');
      await expect(stored.textContent()).resolves.toContain(de
        ? 'läuft nicht: die Konfigurationsdatei hat ein Konto mit dieser Kennung – dieses hier löschen'
        : 'not running: the config file has an account with this id – delete this one');
      const what = de ? 'das gespeicherte SIP-Konto pbx (nicht das aus der Konfigurationsdatei)' : 'the stored SIP account pbx (not the one from the config file)';
      expect(await stored.getByRole('button').allTextContents()).toHaveLength(1);
      await stored.getByRole('button', { name: de ? `Löschen: ${what}` : `Delete: ${what}` }).waitFor();
      await expect(section.locator('[data-sip-managed=pbx][data-origin=config]').textContent()).resolves.toContain(de ? 'aus der Konfigurationsdatei' : 'from the config file');
      await page.context().close();
    }, 60_000);
  }

  it('a change of the id is still refused (409 sip-account.from-config); DELETE removes the shadowed row, audited, and the config file\'s account runs on', async () => {
    const instance = running()[0]!;
    const patch = await admin.call('PATCH', '/api/sip-accounts/pbx', { username: 'someone' });
    expect(patch.status).toBe(409);
    expect(patch.body).toMatchObject({ reason: 'sip-account.from-config' });

    const deleted = await admin.call('DELETE', '/api/sip-accounts/pbx');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    const list = await admin.get('/api/sip-accounts');
    expect(list.body.map((a: { origin: string; id: string }) => `${a.origin}:${a.id}`)).toEqual(['config:pbx']);
    expect(running()).toEqual([instance]);
    expect(instance.closed).toBe(false);
    const row = await gw.gateway.services.store.db.withTables<{ sip_accounts: { id: string } }>()
      .selectFrom('sip_accounts').select('id').where('id', '=', 'pbx').executeTakeFirst();
    expect(row).toBeUndefined();
    const audit = await admin.get('/api/audit?action=sip-account.delete');
    expect(audit.body.map((e: { target_id: string }) => e.target_id)).toEqual(['pbx']);

    // Nothing shadowed is left: the config file's account itself cannot be deleted.
    const again = await admin.call('DELETE', '/api/sip-accounts/pbx');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'sip-account.from-config' });
  });
});
