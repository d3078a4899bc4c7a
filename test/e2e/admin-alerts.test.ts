// The admin page's open alerts in Chromium: a real door controller drops off the
// embedded broker and its alert appears — text, class in the contract's words,
// site and since when — in English and in German, after a gateway-wide class-1
// alert (most severe first); each disappears when it clears, without a reload
// (admin.changed alerts), down to "No open alerts" / "Keine offenen Alarme".
// Whoever may not read them (no report.read anywhere) gets neither the section
// nor its link in the page's navigation; report.read on one site gets both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminSessions, fetchesSettled, trackFetches } from '../support/pages.ts';
import { connect, device, closeClient } from '../support/mqtt.ts';
import { nextAlert } from '../support/alerts.ts';

const PASSWORD = 'admin password 1234';
const USER_PASSWORD = 'a long enough password';
/** The navigation's link to the alerts' section, by its word in each language. */
const LINK = { en: 'Alerts', de: 'Alarme' } as const;

describe('admin page: open alerts', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let admin: ApiClient;
  let doorId: string;
  let signedIn: ReturnType<typeof adminSessions>;
  const pages: Page[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    admin = await signInFirstAdmin(gw, PASSWORD);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    doorId = (await admin.post('/api/sites/hq/doors', { name: 'Lobby door' })).body.id;
    // Two user admins: one without report.read, one with it on hq only.
    for (const [login, permissions] of [['manager', ['user.admin']], ['reporter', ['user.admin', 'report.read']]] as const) {
      const role = await admin.post('/api/roles', { name: login, description: login, permissions });
      const user = await admin.post('/api/users', { login, displayName: login, password: USER_PASSWORD });
      expect((await admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId: login === 'manager' ? null : 'hq' })).status).toBe(200);
    }
    chromium = await launchChromium();
    signedIn = adminSessions(chromium.browser, gw.base);
  });
  afterAll(async () => {
    for (const page of pages) await page.context().close();
    await chromium?.close();
    await gw?.close();
  });

  /** A row's cells as text: class, alert, site. */
  const cells = async (row: Locator) => (await row.locator('td').allInnerTexts()).slice(0, 3);

  it('shows a door controller gone offline after a gateway-wide class-1 alert, in English and German, and each gone once it clears', async () => {
    const en = await signedIn(PASSWORD);
    const de = await signedIn(PASSWORD, { locale: 'de' });
    pages.push(en, de);
    const [enSection, deSection] = [en.locator('#section-alerts'), de.locator('#section-alerts')];
    await enSection.getByRole('heading', { name: 'Open alerts' }).waitFor();
    await enSection.getByText('No open alerts').waitFor();
    await deSection.getByRole('heading', { name: 'Offene Alarme' }).waitFor();
    await deSection.getByText('Keine offenen Alarme').waitFor();

    // A real cause: the door's controller connects and drops off the broker.
    const { deviceHub, alerts } = gw.gateway.services;
    const registered = await admin.post('/api/devices', { id: 'door-1', kind: 'door', siteId: 'hq', doorId });
    expect(registered.status).toBe(201);
    const url = `mqtt://127.0.0.1:${deviceHub.mqttPorts.tcp}`;
    const controller = await connect(url, device({ id: 'door-1', secret: registered.body.secret }));
    const opened = nextAlert(alerts, 'device:door-1', 'open');
    await controller.endAsync(true);
    const door = await opened;
    alerts.raise({ id: 'probe', kind: 'probe-down', incidentClass: 1, siteId: null, subject: { since: door.openedAt }, text: {
      en: 'service down: the synthetic probe failed repeatedly', de: 'Dienst nicht verfügbar: die synthetische Prüfung schlug wiederholt fehl',
    } });

    const [enRows, deRows] = [enSection.locator('tbody tr'), deSection.locator('tbody tr')];
    await enSection.locator('tr[data-alert="device:door-1"]').waitFor();
    await enSection.locator('tr[data-alert="probe"]').waitFor();
    expect(await enRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert')))).toEqual(['probe', 'device:door-1']);
    expect(await cells(enRows.nth(0))).toEqual(['Class 1 – unusable', 'service down: the synthetic probe failed repeatedly', 'whole gateway']);
    expect(await cells(enRows.nth(1))).toEqual(['Class 2 – seriously impaired', 'device door-1 (door) is offline', 'Headquarters']);
    await deSection.locator('tr[data-alert="device:door-1"]').waitFor();
    await deSection.locator('tr[data-alert="probe"]').waitFor();
    expect(await cells(deRows.nth(0))).toEqual(['Klasse 1 – nicht nutzbar', 'Dienst nicht verfügbar: die synthetische Prüfung schlug wiederholt fehl', 'ganzes Gateway']);
    expect(await cells(deRows.nth(1))).toEqual(['Klasse 2 – erheblich beeinträchtigt', 'Gerät door-1 (door) ist offline', 'Headquarters']);
    // Since when: the moment the alert opened, in each page's language.
    const since = deRows.nth(1).locator('time');
    expect(await since.getAttribute('datetime')).toBe(new Date(door.openedAt).toISOString());
    expect(await since.innerText()).toBe(await de.evaluate((at) => new Date(at).toLocaleString('de'), door.openedAt));
    expect(await enRows.nth(1).locator('time').innerText()).toBe(await en.evaluate((at) => new Date(at).toLocaleString('en'), door.openedAt));
    await enSection.locator('thead').getByText('Since').waitFor();
    await deSection.locator('thead').getByText('Seit').waitFor();

    // The controller back: its alert leaves both pages, no reload; then the probe's.
    const recovered = nextAlert(alerts, 'device:door-1', 'recovered');
    const back = await connect(url, device({ id: 'door-1', secret: registered.body.secret }));
    await recovered;
    await enSection.locator('tr[data-alert="device:door-1"]').waitFor({ state: 'detached' });
    await deSection.locator('tr[data-alert="device:door-1"]').waitFor({ state: 'detached' });
    expect(await enRows.count()).toBe(1);
    alerts.clear('probe');
    await enSection.getByText('No open alerts').waitFor();
    await deSection.getByText('Keine offenen Alarme').waitFor();
    await closeClient(back);
  });

  for (const locale of ['en', 'de'] as const) {
    it(`${locale}: without report.read neither the section nor its link in the navigation shows; with it on one site both do`, async () => {
      const without = await signedIn(USER_PASSWORD, { login: 'manager', locale, prepare: trackFetches });
      const withIt = await signedIn(USER_PASSWORD, { login: 'reporter', locale, prepare: trackFetches });
      pages.push(without, withIt);
      // Every load is through (GET /api/alerts answered 403 for one, 200 for the other).
      await fetchesSettled(without);
      await fetchesSettled(withIt);
      const link = (page: Page) => page.getByRole('navigation').getByRole('link', { name: LINK[locale], exact: true });
      expect(await without.locator('#section-alerts').count()).toBe(0);
      expect(await link(without).count()).toBe(0);
      await withIt.locator('#section-alerts').waitFor();
      expect(await link(withIt).getAttribute('href')).toBe('#section-alerts');
      // The other links stay, first the site's.
      expect(await without.getByRole('navigation').getByRole('link').first().getAttribute('href')).toBe('#section-site');
    });
  }
});
