// The admin page's SIP door stations, in English and German: a station made by
// the form shows its SIP secret once (the same the registrar checks), is listed
// with its SIP user, door, entry, relay code and "not registered", shows a new
// secret on request, and goes after the question.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';

describe('admin page: SIP door stations', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };

  beforeAll(async () => {
    gw = await startGateway();
    const admin = new ApiClient(gw.base);
    await admin.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD });
    await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD });
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await admin.post('/api/sites/hq/doors', { name: 'Lobby door' })).status).toBe(201);
    chromium = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  for (const locale of ['en', 'de'] as const) {
    const de = locale === 'de';
    it(`makes a station, shows its secret once, lists it offline, renews its secret and removes it (${locale})`, async () => {
      const page = await adminPage(chromium.browser, gw.base, PASSWORD, { locale });
      const section = page.locator('#section-door-stations');
      const form = section.getByRole('form', { name: de ? 'Neue Türstation' : 'New door station' });
      const user = `door-${locale}`;
      await form.getByLabel('Name', { exact: true }).fill(`Eingang ${locale}`);
      await form.getByLabel(de ? 'SIP-Benutzer' : 'SIP user').fill(user);
      await form.getByLabel(de ? 'Tür' : 'Door', { exact: true }).selectOption({ label: 'Lobby door' });
      await form.getByLabel(de ? 'Relais-Code (SIP INFO; leer: Tür über MQTT)' : 'Relay code (SIP INFO; empty: door via MQTT)').fill('*1');
      await form.getByRole('button', { name: de ? 'Anlegen' : 'Create' }).click();
      const shown = section.getByRole('region', { name: de ? `SIP-Passwort für ${user} – nur jetzt sichtbar` : `SIP secret for ${user} – shown only now` });
      const secret = await shown.locator('[data-field=secret]').textContent();
      expect(secret).toBe(gw.gateway.services.doorStations.credentialsOf(user)?.secret);
      const row = section.locator('li', { hasText: user });
      await row.getByText(de ? 'nicht registriert' : 'not registered').waitFor();
      await expect(row.textContent()).resolves.toContain(de ? 'Relais per SIP INFO *1' : 'relay by SIP INFO *1');
      await expect(row.textContent()).resolves.toContain('Lobby door');
      await shown.getByRole('button', { name: de ? 'Notiert – ausblenden' : 'Noted – hide it' }).click();
      await shown.waitFor({ state: 'detached' });

      await row.getByRole('button', { name: de ? `Neues Passwort für Eingang ${locale}` : `New secret for Eingang ${locale}` }).click();
      const renewed = await shown.locator('[data-field=secret]').textContent();
      expect(renewed).not.toBe(secret);
      expect(renewed).toBe(gw.gateway.services.doorStations.credentialsOf(user)?.secret);

      await row.getByRole('button', { name: de ? `Löschen: die Türstation Eingang ${locale}` : `Delete: the door station Eingang ${locale}` }).click();
      await section.getByRole('button', { name: de ? 'Ja, löschen' : 'Yes, delete' }).click();
      await row.waitFor({ state: 'detached' });
      expect(gw.gateway.services.doorStations.credentialsOf(user)).toBeUndefined();
      await page.context().close();
    }, 90_000);
  }
});
