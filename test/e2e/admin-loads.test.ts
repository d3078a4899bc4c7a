// The admin page's first load and its reloads (review s27 #5 b–e): the page
// asks for each list once; a list whose load failed says so until that list
// loads again, whatever loads after it; a list the admin may not see (403) is
// no failure — no banner, not even for a moment; an action's refusal belongs to
// the site it was made on. Requests are held or refused by routes and counted by
// the page's own fetches (fetchesSettled: every load and what it leads to is through).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ApiClient, startGateway, signInFirstAdmin } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminSessions, fetchesSettled, trackFetches, type AdminPageOptions } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';
const USER_PASSWORD = 'a long enough password';
/**
 * Lists only the page's load asks for (site hq), each once. The sites, the terminals and the phone book are
 * also read by the SIP account form's inbound fields (sip-inbound-fields.tsx), once, for their own choices.
 */
const LISTS = ['/api/users', '/api/roles', '/api/sites/hq/doors', '/api/devices?siteId=hq'];
const UNAVAILABLE = {
  de: { phonebook: 'Telefonbuch nicht geladen: Gerade nicht verfügbar. Bitte später erneut versuchen. (Fehlercode: unavailable)', doors: 'Türen nicht geladen: Gerade nicht verfügbar. Bitte später erneut versuchen. (Fehlercode: unavailable)' },
  en: { phonebook: 'Phone book not loaded: Not available right now. Please try again later. (error code: unavailable)', doors: 'Doors not loaded: Not available right now. Please try again later. (error code: unavailable)' },
} as const;

/** Answers the page's GETs of `path` with 503 while `refusing()` says so. */
async function refuseList(page: Page, path: string, refusing: () => boolean): Promise<void> {
  await page.route((url) => url.pathname === path, async (route) => {
    if (route.request().method() !== 'GET' || !refusing()) { await route.continue(); return; }
    await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'unavailable', message: 'store busy' }) });
  });
}

/** Every alert banner the page ever drew (a MutationObserver from before its scripts run), in order. */
async function recordAlerts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __alerts: string[] }).__alerts = seen;
    const look = (n: Node) => {
      if (!(n instanceof Element)) return;
      for (const e of [n, ...Array.from(n.querySelectorAll('.banner[role=alert]'))]) if (e.matches('.banner[role=alert]')) seen.push(e.textContent ?? '');
    };
    new MutationObserver((records) => records.forEach((r) => {
      r.addedNodes.forEach(look);
      if (r.type === 'characterData' && r.target.parentElement?.matches('.banner[role=alert]')) seen.push(r.target.textContent ?? '');
    })).observe(document, { childList: true, subtree: true, characterData: true });
  });
}
const alertsSeen = (page: Page) => page.evaluate(() => (window as unknown as { __alerts: string[] }).__alerts);

describe('the admin page loads each list once and keeps what went wrong where it belongs', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let admin: ApiClient;
  let pages: (password: string, options?: AdminPageOptions) => Promise<Page>;

  beforeAll(async () => {
    gw = await startGateway();
    admin = await signInFirstAdmin(gw, PASSWORD);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await admin.post('/api/sites/lab/doors', { name: 'Lab door' })).status).toBe(201);
    // A user admin who may answer calls everywhere but not see terminals, doors or devices (403 on those lists).
    const role = await admin.post('/api/roles', { name: 'people', description: 'people', permissions: ['user.admin', 'call.answer'] });
    const user = await admin.post('/api/users', { login: 'manager', displayName: 'Manager', password: USER_PASSWORD });
    expect((await admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId: null })).status).toBe(200);
    chromium = await launchChromium();
    pages = adminSessions(chromium.browser, gw.base);
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  it('the first load asks for each list once (review s27 #5 c: it ran twice, site "" and then the first site)', async () => {
    const asked: string[] = [];
    const page = await pages(PASSWORD, {
      prepare: async (p) => {
        await trackFetches(p);
        p.on('request', (r) => { const u = new URL(r.url()); if (r.method() === 'GET') asked.push(u.pathname + u.search); });
      },
    });
    try {
      await fetchesSettled(page);
      expect(LISTS.map((path) => asked.filter((a) => a === path).length)).toEqual(LISTS.map(() => 1));
    } finally {
      await page.context().close();
    }
  });

  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: the load failures of one reload all stay after the later lists loaded, each until its list loads again (review s27 #5 b)`, async () => {
      let refusingPhonebook = true;
      const page = await pages(PASSWORD, {
        locale: lang,
        prepare: async (p) => {
          await trackFetches(p);
          await refuseList(p, '/api/sites/hq/phonebook', () => refusingPhonebook);
          await refuseList(p, '/api/sites/hq/doors', () => true);
        },
      });
      try {
        const banners = page.locator('.banner[role=alert]');
        // The devices are asked for after both: their answer used to take the failures away.
        await fetchesSettled(page);
        expect(await banners.allTextContents()).toEqual([UNAVAILABLE[lang].phonebook, UNAVAILABLE[lang].doors]);
        // The phone book changes elsewhere: the page loads it again (live), and its failure goes; the doors' stays.
        refusingPhonebook = false;
        expect((await admin.post('/api/sites/hq/phonebook', { kind: 'person', name: `Eva ${lang}`, routes: [{ type: 'desk-group', roleId: 'reception' }] })).status).toBe(201);
        await page.locator('#section-phonebook').getByText(`Eva ${lang}`).waitFor();
        await fetchesSettled(page);
        expect(await banners.allTextContents()).toEqual([UNAVAILABLE[lang].doors]);
      } finally {
        await page.context().close();
      }
    });
  }

  it('an action\'s refusal goes with a change of site (review s27 #5 d: it stayed, shown under the other site\'s lists)', async () => {
    const page = await pages(PASSWORD, { prepare: trackFetches });
    try {
      const siteForm = page.locator('form', { has: page.locator('input[name=tz]') });
      await siteForm.locator('input[name=id]').fill('hq');
      await siteForm.locator('input[name=name]').fill('Zentrale');
      await siteForm.locator('button[type=submit]').click();
      const banners = page.locator('.banner[role=alert]');
      await banners.filter({ hasText: 'A site with the id “hq” exists already.' }).waitFor();
      const labDevices = page.waitForResponse((r) => r.url().endsWith('/api/devices?siteId=lab'));
      await page.locator('#site').selectOption('lab');
      await labDevices;
      await fetchesSettled(page);
      expect(await banners.allTextContents()).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('a terminal\'s Revoke reloads the lists of the site shown (review s29 #2: the revoke\'s answer became the site, "[object Object]")', async () => {
    const created = (await admin.post('/api/terminals', { name: 'Lobby revoke', siteId: 'hq', doorId: null })).body;
    const kiosk = new ApiClient(gw.base);
    expect((await kiosk.post('/api/terminal/pair', { code: created.pairing.code })).status).toBe(200);
    const asked: string[] = [];
    let clicked = false;
    const page = await pages(PASSWORD, {
      prepare: async (p) => {
        await trackFetches(p);
        p.on('request', (r) => { const u = new URL(r.url()); if (clicked && r.method() === 'GET') asked.push(u.pathname + u.search); });
      },
    });
    try {
      await fetchesSettled(page);
      const row = page.locator(`#section-terminals li[data-terminal="${created.terminal.id}"]`);
      await row.getByRole('button', { name: 'Revoke: the terminal Lobby revoke' }).click();
      clicked = true;
      const revoked = page.waitForResponse((r) => r.url().endsWith(`/api/credentials/${created.terminal.id}/revoke`));
      await row.getByRole('button', { name: 'Yes, revoke' }).click();
      expect((await revoked).status()).toBe(200);
      await fetchesSettled(page);
      // The action's reload asked for the site's lists again, for hq, and for nothing else.
      expect(asked).toEqual(expect.arrayContaining(['/api/sites/hq/phonebook', '/api/sites/hq/doors', '/api/devices?siteId=hq']));
      expect(asked.filter((a) => a.includes('object'))).toEqual([]);
      expect(asked.filter((a) => a.startsWith('/api/sites/') && a !== '/api/sites' && !a.startsWith('/api/sites/hq/'))).toEqual([]);
      expect(await page.locator('#site').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent ?? null)).toBe('Headquarters');
      expect(await page.locator('.banner[role=alert]').allTextContents()).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('a list the admin may not see (403) shows no banner, not even for a moment, and leaves a save\'s notice alone (review s27 #5 e)', async () => {
    const page = await pages(USER_PASSWORD, { login: 'manager', prepare: async (p) => { await trackFetches(p); await recordAlerts(p); } });
    try {
      await fetchesSettled(page);
      const section = page.locator('#section-users');
      const create = section.getByRole('form', { name: 'New local user' });
      await create.getByLabel('User name', { exact: true }).fill('nina');
      await create.getByLabel('Display name', { exact: true }).fill('Nina');
      await create.getByLabel('Password', { exact: true }).fill(USER_PASSWORD);
      await create.getByRole('button', { name: 'Create' }).click();
      const notice = section.getByRole('status').filter({ hasText: 'User nina created.' });
      await notice.waitFor();
      // The save's reload (terminals, doors, devices: 403 each) is through.
      await fetchesSettled(page);
      expect(await notice.count()).toBe(1);
      expect(await alertsSeen(page)).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
