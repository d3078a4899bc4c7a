// What the admin page shows of the gateway's parts. Each door's state as the device
// hub knows it, live: a real mqtt.js door controller connects, reports closed, then
// open, then goes away, and the page (never reloaded) follows each step through the
// /admin socket — in English and in German; GET /api/sites/:id/doors carries the same
// status. The configured SIP accounts (read-only, from the configuration file): server,
// transport, plain or encrypted, registration state — never their credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';
const SIP_PASSWORD = 'sip-secret-never-shown';
/** Two accounts whose registrar is not there (port 9, discard): a plain one over UDP and one over TLS. */
const SIP_ACCOUNTS = `[{id: pbx, registrar: "127.0.0.1:9", username: lobby, password: ${SIP_PASSWORD}},`
  + ` {id: pbx-tls, registrar: "127.0.0.1:9", username: lobby, password: ${SIP_PASSWORD}, transport: tls, srtp: require}]`;

describe('admin page: door state and SIP accounts', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let admin: ApiClient;
  let doorId: string;
  let secret: string;
  let mqttPort: number;
  let controller: mqtt.MqttClient | undefined;

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__ACCOUNTS: SIP_ACCOUNTS });
    admin = new ApiClient(gw.base);
    await admin.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD });
    await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD });
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    doorId = (await admin.post('/api/sites/hq/doors', { name: 'Lobby door' })).body.id;
    expect((await admin.post('/api/sites/hq/doors', { name: 'Side door' })).status).toBe(201);
    const registered = await admin.post('/api/devices', { id: 'lobby-controller', kind: 'door', siteId: 'hq', doorId });
    expect(registered.status).toBe(201);
    secret = registered.body.secret;
    mqttPort = (await admin.get('/ready')).body.components.mqtt.tcp;
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await controller?.endAsync(true);
    await chromium?.close();
    await gw?.close();
  });

  const statusOf = (page: Page, door: string) => page.locator('#section-site li', { has: page.locator(`input[value="${door}"]`) }).locator('.door-status');
  const report = (state: string, extra: Record<string, unknown> = {}) =>
    controller!.publishAsync('portier/hq/lobby-controller/state', JSON.stringify({ state, ...extra }), { qos: 1, retain: true });

  it('follows a real controller: offline, connected (unknown), closed and locked, unlocked, open, gone — without reloading, in English and German', async () => {
    const page = await adminPage(chromium.browser, gw.base, PASSWORD);
    const de = await adminPage(chromium.browser, gw.base, PASSWORD, { locale: 'de' });
    // A reload would lose this mark.
    for (const p of [page, de]) await p.evaluate(() => { (window as Window & { __sameDocument?: boolean }).__sameDocument = true; });
    const lobby = statusOf(page, 'Lobby door');
    const lobbyDe = statusOf(de, 'Lobby door');
    await expect.poll(() => lobby.textContent()).toBe('State: controller offline');
    expect(await statusOf(page, 'Side door').textContent()).toBe('State: no door controller registered');
    expect(await statusOf(de, 'Side door').textContent()).toBe('Zustand: keine Türsteuerung eingerichtet');

    controller = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'lobby-controller', password: secret, clientId: 'lobby-controller', reconnectPeriod: 0 });
    await page.locator('#section-site .door-status[data-controller="online"]').waitFor();
    expect(await lobby.textContent()).toBe('State: unknown (not reported yet)');

    await report('closed', { locked: true });
    await page.locator('#section-site .door-status[data-door-state="closed"]').waitFor();
    expect(await lobby.textContent()).toBe('State: closed, locked');
    await de.locator('#section-site .door-status[data-door-state="closed"]').waitFor();
    expect(await lobbyDe.textContent()).toBe('Zustand: geschlossen, verriegelt');
    // Only the lock changes: still pushed to the page.
    await report('closed', { locked: false });
    await page.locator('#section-site .door-status[data-locked="false"]').waitFor();
    expect(await lobby.textContent()).toBe('State: closed, unlocked');
    await de.locator('#section-site .door-status[data-locked="false"]').waitFor();
    expect(await lobbyDe.textContent()).toBe('Zustand: geschlossen, entriegelt');
    expect((await admin.get('/api/sites/hq/doors')).body.find((d: { name: string }) => d.name === 'Lobby door').status)
      .toMatchObject({ state: 'closed', locked: false, controller: 'online' });

    await report('open');
    await page.locator('#section-site .door-status[data-door-state="open"]').waitFor();
    expect(await lobby.textContent()).toBe('State: open');
    await de.locator('#section-site .door-status[data-door-state="open"]').waitFor();
    expect(await lobbyDe.textContent()).toBe('Zustand: offen');

    await controller.endAsync(true);
    controller = undefined;
    await page.locator('#section-site .door-status[data-controller="offline"]').waitFor();
    expect(await lobby.textContent()).toBe('State: controller offline – last reported: open');
    await de.locator('#section-site .door-status[data-controller="offline"]').waitFor();
    expect(await lobbyDe.textContent()).toBe('Zustand: Türsteuerung offline – zuletzt gemeldet: offen');

    for (const p of [page, de]) expect(await p.evaluate(() => (window as Window & { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    // The API answers the same status (documented in /openapi.json as DoorWithStatusView).
    const doors = (await admin.get('/api/sites/hq/doors')).body as Array<{ name: string; status: unknown }>;
    expect(doors.find((d) => d.name === 'Lobby door')!.status).toMatchObject({ state: 'open', controller: 'offline' });
    expect(doors.find((d) => d.name === 'Side door')!.status).toEqual({ state: null, locked: null, at: null, controller: 'none' });
    await page.context().close();
    await de.context().close();
  }, 120_000);

  it('lists the configured SIP accounts read-only: server, transport, plain or TLS, media, registration — in English and German, no credentials', async () => {
    const api = (await admin.get('/api/sip/accounts')).body as Array<Record<string, unknown>>;
    expect(api.map((a) => [a.id, a.registrar, a.transport, a.secure, a.media, a.srtp])).toEqual([
      ['pbx', '127.0.0.1:9', 'udp', false, 'rtp', 'off'], ['pbx-tls', '127.0.0.1:9', 'tls', true, 'srtp', 'require']]);
    expect(JSON.stringify(api)).not.toContain(SIP_PASSWORD);
    // The TLS account cannot connect to the discard port: its registration fails, and the page says why.
    await expect.poll(async () => ((await admin.get('/api/sip/accounts')).body as Array<{ id: string; state: string }>).find((a) => a.id === 'pbx-tls')?.state, { timeout: 60_000 }).toBe('failed');
    const reason = ((await admin.get('/api/sip/accounts')).body as Array<{ id: string; reason?: string }>).find((a) => a.id === 'pbx-tls')!.reason;

    for (const [locale, w] of [['en', {
      heading: 'SIP accounts', where: /SIP accounts from the gateway's configuration file \(sip\.accounts\) are read-only/, plain: 'not encrypted', tls: 'encrypted (TLS, server verified)',
      media: 'not encrypted (RTP)', srtp: 'encrypted (SRTP)', failed: 'failed', connect: 'no connection to the server',
    }], ['de', {
      heading: 'SIP-Konten', where: /SIP-Konten aus der Konfigurationsdatei des Gateways \(sip\.accounts\) sind hier nur zur Ansicht/, plain: 'unverschlüsselt', tls: 'verschlüsselt (TLS, Server geprüft)',
      media: 'unverschlüsselt (RTP)', srtp: 'verschlüsselt (SRTP)', failed: 'fehlgeschlagen', connect: 'keine Verbindung zum Server',
    }]] as const) {
      const page = await adminPage(chromium.browser, gw.base, PASSWORD, { locale });
      const section = page.getByRole('region', { name: w.heading });
      await section.locator('tr[data-sip-account="pbx-tls"]').waitFor();
      await section.getByText(w.where).waitFor();
      const row = (id: string) => section.locator(`tr[data-sip-account="${id}"] td`).allTextContents();
      const plain = await row('pbx');
      expect(plain.slice(0, 5)).toEqual(['pbx', '127.0.0.1:9', 'UDP', w.plain, w.media]);
      const tls = await row('pbx-tls');
      expect(tls.slice(0, 5)).toEqual(['pbx-tls', '127.0.0.1:9', 'TLS', w.tls, w.srtp]);
      if (reason === 'transport') expect(tls[5]).toBe(`${w.failed}: ${w.connect}`);
      else expect(tls[5]).toMatch(new RegExp(`^${w.failed}`));
      expect(await page.content()).not.toContain(SIP_PASSWORD);
      // The config file's accounts are read-only: listed "from the config file", without controls.
      await section.locator('[data-sip-managed="pbx-tls"][data-origin=config]').waitFor();
      expect(await section.locator('[data-sip-managed] button').count()).toBe(0);
      await page.context().close();
    }
  }, 120_000);
});
