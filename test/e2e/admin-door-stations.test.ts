// The admin page's SIP door stations, in English and German: a station made by
// the form shows its SIP secret once, is listed with its SIP user, door, entry,
// "relay by SIP INFO (code set)" (never the code) and "not registered"; a REGISTER
// with the shown secret turns the row to "registered over UDP until …" without a reload
// (the registrar's events reach the page); a new secret is given only after a
// question (it ends the registration: the row says "not registered" again) and the
// station goes after the question.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';
import { UdpPeer } from '../sip-bridge/udp-peer.ts';
import { stationRegisterer } from '../support/station-register.ts';

const PASSWORD = 'admin password 1234';

describe('admin page: SIP door stations', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let peer: UdpPeer;
  let register: ReturnType<typeof stationRegisterer>;

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0' });
    const admin = new ApiClient(gw.base);
    await admin.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD });
    await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD });
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await admin.post('/api/sites/hq/doors', { name: 'Lobby door' })).status).toBe(201);
    peer = await UdpPeer.start();
    register = stationRegisterer(peer, gw.gateway.services.stationEndpoint!.port);
    chromium = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await peer?.close();
    await gw?.close();
  });

  for (const locale of ['en', 'de'] as const) {
    const de = locale === 'de';
    it(`makes a station, shows its secret once, goes live when it registers, renews its secret after a question and removes it (${locale})`, async () => {
      const page = await adminPage(chromium.browser, gw.base, PASSWORD, { locale });
      const section = page.locator('#section-door-stations');
      const form = section.getByRole('form', { name: de ? 'Neue Türstation' : 'New door station' });
      const user = `door-${locale}`;
      const station = de ? `die Türstation Eingang ${locale}` : `the door station Eingang ${locale}`;
      await form.getByLabel('Name', { exact: true }).fill(`Eingang ${locale}`);
      await form.getByLabel(de ? 'SIP-Benutzer' : 'SIP user').fill(user);
      await form.getByLabel(de ? 'Tür' : 'Door', { exact: true }).selectOption({ label: 'Lobby door' });
      await form.getByLabel(de ? 'Relais-Code (SIP INFO; leer: Tür über MQTT)' : 'Relay code (SIP INFO; empty: door via MQTT)').fill('*1');
      await form.getByRole('button', { name: de ? 'Anlegen' : 'Create' }).click();
      const shown = section.getByRole('region', { name: de ? `SIP-Passwort für ${user} – nur jetzt sichtbar` : `SIP secret for ${user} – shown only now` });
      const secret = (await shown.locator('[data-field=secret]').textContent())!;
      const row = section.locator('li', { hasText: user });
      await row.getByText(de ? 'nicht registriert' : 'not registered').waitFor();
      // The relay code is write-only: the row says one is set, never which.
      await expect(row.textContent()).resolves.toContain(de ? 'Relais per SIP INFO (Code gesetzt)' : 'relay by SIP INFO (code set)');
      await expect(row.textContent()).resolves.not.toContain('*1');
      await expect(row.textContent()).resolves.toContain('Lobby door');
      await shown.getByRole('button', { name: de ? 'Notiert – ausblenden' : 'Noted – hide it' }).click();
      await shown.waitFor({ state: 'detached' });

      // The installer enters the shown secret on the station: it registers, and the open page says so.
      expect(await register(user, { secret })).toMatch(/^SIP\/2.0 200/);
      await row.locator('.station-state[data-online=true]').waitFor();
      await expect(row.textContent()).resolves.toContain(de ? 'registriert über UDP bis' : 'registered over UDP until');

      // A new secret ends the registration: asked first; "Cancel" keeps everything as it was.
      const renew = row.getByRole('button', { name: de ? `Neues Passwort für ${station}` : `New secret for ${station}` });
      await renew.click();
      const question = row.getByRole('group', { name: de ? `Neues Passwort für ${station}? Die Registrierung endet sofort; die Station bleibt offline, bis das neue Passwort an ihr eingetragen ist.`
        : `A new secret for ${station}? Its registration ends at once; the station stays offline until the new secret is entered on it.` });
      await question.getByRole('button', { name: de ? 'Abbrechen' : 'Cancel' }).click();
      await question.waitFor({ state: 'detached' });
      expect(gw.gateway.services.doorStations.credentialsOf(user)?.secret).toBe(secret);
      await renew.click();
      await question.getByRole('button', { name: de ? 'Ja, neues Passwort' : 'Yes, new secret' }).click();
      const renewed = (await shown.locator('[data-field=secret]').textContent())!;
      expect(renewed).not.toBe(secret);
      await row.locator('.station-state[data-online=false]').waitFor();
      expect(await register(user, { secret })).toMatch(/^SIP\/2.0 403/);
      expect(await register(user, { secret: renewed })).toMatch(/^SIP\/2.0 200/);
      await row.locator('.station-state[data-online=true]').waitFor();

      await row.getByRole('button', { name: de ? `Löschen: ${station}` : `Delete: ${station}` }).click();
      await section.getByRole('button', { name: de ? 'Ja, löschen' : 'Yes, delete' }).click();
      await row.waitFor({ state: 'detached' });
      expect(gw.gateway.services.doorStations.credentialsOf(user)).toBeUndefined();
      await page.context().close();
    }, 90_000);
  }
});
