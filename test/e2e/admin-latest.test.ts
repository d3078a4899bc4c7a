// The admin page loads a list from several places at once (an action's reload, a
// users list that changed, a live change): answers can come back out of order, and
// an older one finishing last must not put back what was there before. Here a role
// assignment's row, the users list and the cards (as the rules, door stations and
// call quality load): what was asked for before a change is
// answered only after the change showed (a held response), and the change stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage, fetchesSettled, trackFetches } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';
const USER_PASSWORD = 'a long enough password';

/**
 * Holds the answer to the first request of `path` made once `arm()` was called: read from the
 * gateway at once (what it says then), handed to the page only at `release()`.
 */
function holdOneAnswer(page: Page, path: string) {
  let armed = false;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let heldOne!: () => void;
  const held = new Promise<void>((r) => { heldOne = r; });
  const handler = async (route: Route) => {
    if (!armed) return route.continue();
    armed = false;
    const response = await route.fetch();
    heldOne();
    await gate;
    await route.fulfill({ response });
  };
  return { install: () => page.route((url) => url.pathname === path, handler), arm: () => { armed = true; }, held, release };
}

describe('admin page answers that overtake each other', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let other: ApiClient;
  let lotte: string;

  beforeAll(async () => {
    gw = await startGateway();
    other = await signInFirstAdmin(gw, PASSWORD);
    expect((await other.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    lotte = (await other.post('/api/users', { login: 'lotte', displayName: 'Lotte Lenz', password: USER_PASSWORD })).body.id;
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  it('a role just assigned stays in the user\'s row when the roles asked for before the assignment arrive after it', async () => {
    let hold!: ReturnType<typeof holdOneAnswer>;
    const page = await adminPage(chromium.browser, gw.base, PASSWORD, {
      prepare: async (p) => { await trackFetches(p); hold = holdOneAnswer(p, `/api/users/${lotte}/roles`); await hold.install(); },
    });
    try {
      const section = page.locator('#section-users');
      const row = section.locator('tr[data-user="lotte"]');
      await row.waitFor();
      await fetchesSettled(page);
      // Another session adds a user: the page loads the users and their roles again; lotte's answer (no role yet) is held.
      hold.arm();
      expect((await other.post('/api/users', { login: 'max', displayName: 'Max', password: USER_PASSWORD })).status).toBe(201);
      await hold.held;
      const assign = section.getByRole('form', { name: 'Assign a role' });
      await assign.getByLabel('User name', { exact: true }).selectOption({ label: 'lotte' });
      await assign.getByLabel('Group (role)', { exact: true }).selectOption('reception');
      await assign.getByLabel('Applies to', { exact: true }).selectOption('hq');
      await assign.getByRole('button', { name: 'Assign role' }).click();
      await section.getByRole('status').filter({ hasText: 'lotte now has Reception.' }).waitFor();
      await row.getByText('Reception at Headquarters').waitFor();
      // The answer from before the assignment arrives last.
      hold.release();
      await fetchesSettled(page);
      expect(await row.getByText('Reception at Headquarters').count()).toBe(1);
    } finally {
      hold?.release();
      await page.context().close();
    }
  });

  it('a user just added stays in the list when the list asked for before arrives after it', async () => {
    let hold!: ReturnType<typeof holdOneAnswer>;
    const page = await adminPage(chromium.browser, gw.base, PASSWORD, {
      prepare: async (p) => { await trackFetches(p); hold = holdOneAnswer(p, '/api/users'); await hold.install(); },
    });
    try {
      const section = page.locator('#section-users');
      await section.locator('tr[data-user="lotte"]').waitFor();
      await fetchesSettled(page);
      // A live change makes the page ask for the users (answer held: kim, without lena); lena comes after it.
      hold.arm();
      expect((await other.post('/api/users', { login: 'kim', displayName: 'Kim', password: USER_PASSWORD })).status).toBe(201);
      await hold.held;
      expect((await other.post('/api/users', { login: 'lena', displayName: 'Lena', password: USER_PASSWORD })).status).toBe(201);
      await section.locator('tr[data-user="lena"]').waitFor();
      hold.release();
      await fetchesSettled(page);
      expect(await section.locator('tr[data-user="lena"]').count()).toBe(1);
    } finally {
      hold?.release();
      await page.context().close();
    }
  });

  it('a card just issued stays in the cards list when the list asked for before arrives after it', async () => {
    let hold!: ReturnType<typeof holdOneAnswer>;
    const page = await adminPage(chromium.browser, gw.base, PASSWORD, {
      prepare: async (p) => { await trackFetches(p); hold = holdOneAnswer(p, '/api/cards'); await hold.install(); },
    });
    try {
      const cards = page.locator('section[aria-labelledby="cards-heading"]');
      await cards.waitFor();
      await fetchesSettled(page);
      hold.arm();
      expect((await other.post('/api/cards', { siteId: 'hq', card: 'K-1', holderRef: 'visit-k1', kind: 'visitor' })).status).toBe(201);
      await hold.held;
      expect((await other.post('/api/cards', { siteId: 'hq', card: 'K-2', holderRef: 'visit-k2', kind: 'visitor' })).status).toBe(201);
      await cards.getByText('visit-k2').waitFor();
      hold.release();
      await fetchesSettled(page);
      expect(await cards.getByText('visit-k2').count()).toBe(1);
    } finally {
      hold?.release();
      await page.context().close();
    }
  });
});
