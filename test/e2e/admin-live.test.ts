// The admin page in Chromium follows changes without polling: its timers run on
// Playwright's fake clock, so ten seconds pass without a single request; a change
// another session makes through the API appears and only its section is fetched
// again, also one made before the socket's first connect; after a lost connection the page fetches everything again (changes in
// between are shown); a sign-out elsewhere ends the live socket and the page
// returns to sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage, englishPage, fetchesSettled, trackFetches } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';

describe('admin page live updates', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let other: ApiClient;

  beforeAll(async () => {
    gw = await startGateway();
    other = await signInFirstAdmin(gw, PASSWORD);
    expect((await other.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await other.post('/api/sites/hq/doors', { name: 'Lobby door' })).status).toBe(201);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  /** The admin page on a fake clock, signed in, its socket routed through the test (to cut it), every API GET recorded. */
  async function livePage(): Promise<{ page: Page; gets: string[]; sockets: WebSocketRoute[] }> {
    const page = await englishPage(chromium.browser);
    await trackFetches(page);
    await page.clock.install();
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => { ws.connectToServer(); sockets.push(ws); });
    const gets: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (r.method() === 'GET' && url.pathname.startsWith('/api/')) gets.push(url.pathname + url.search);
    });
    await page.goto(`${gw.base.replace('127.0.0.1', 'localhost')}/admin`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    const calls = page.waitForResponse((r) => r.url().endsWith('/api/sites/hq/calls'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Terminals' }).waitFor();
    await calls;
    await page.locator('html[data-live="on"]').waitFor({ state: 'attached' });
    return { page, gets, sockets };
  }

  const count = (gets: string[], path: string) => gets.filter((g) => g === path).length;

  it('adminPage hands the page over once its live updates are connected: a change right after it shows (the socket held back until the page is drawn)', async () => {
    const prepare = (p: Page) => p.routeWebSocket(/\/socket\.io\//, async (ws) => {
      await p.locator('#phonebook-heading').waitFor();
      ws.connectToServer();
    });
    const page = await adminPage(chromium.browser, gw.base, PASSWORD, { prepare });
    try {
      const users = (await other.get('/api/users')).body as Array<{ id: string; login: string }>;
      const entry = { kind: 'person', name: 'Late Socket', routes: [{ type: 'desk-user', userId: users.find((u) => u.login === 'admin')!.id }] };
      expect((await other.post('/api/sites/hq/phonebook', entry)).status).toBe(201);
      await page.locator('#section-phonebook').getByRole('cell', { name: 'Late Socket', exact: true }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  it('shows a change made after a section\'s first load but before the socket\'s first connect, fetching only that section again', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let rulesLoaded!: Promise<unknown>;
    const gets: string[] = [];
    const prepare = async (p: Page) => {
      // The rules section loads once (when the site is chosen): its answer is read before the change below.
      rulesLoaded = p.waitForResponse((r) => r.url().endsWith('/api/rules?siteId=hq'));
      p.on('request', (r) => { if (r.method() === 'GET') gets.push(new URL(r.url()).pathname + new URL(r.url()).search); });
      await p.routeWebSocket(/\/socket\.io\//, async (ws) => { await held; ws.connectToServer(); });
    };
    const page = await adminPage(chromium.browser, gw.base, PASSWORD, { prepare, live: false });
    try {
      await rulesLoaded;
      const rule = { id: 'late-socket', site: 'hq', enabled: true, trigger: { topic: 'portier/hq/+/event', when: { type: 'button' } }, actions: [{ type: 'desk.notify', role: 'reception', text: { de: 'Taster', en: 'Button' } }] };
      expect((await other.call('PUT', '/api/rules', rule)).status).toBeLessThan(300);
      release();
      await page.locator('section[aria-labelledby="rules-heading"]').getByText('late-socket', { exact: true }).waitFor();
      // Its first load and the one the first connect asked for; not one per section (every connect refetching doubled them all).
      expect(gets.filter((g) => g === '/api/rules?siteId=hq')).toHaveLength(2);
    } finally {
      release();
      await page.context().close();
    }
  });

  it('fetches nothing while time passes, then only the section another session changed', async () => {
    const { page, gets } = await livePage();
    await page.locator('#section-calls').getByText('No running calls.').waitFor();
    expect(count(gets, '/api/sites/hq/calls')).toBe(1);
    // Ten seconds on the page's clock: the former 2 s polling would have asked for calls and call quality five times each.
    await page.clock.runFor(10_000);
    expect(count(gets, '/api/sites/hq/calls')).toBe(1);
    expect(count(gets, '/api/sites/hq/calls/quality')).toBe(1);

    // The sections' first loads come in rounds (a list, then what it names): counted from here only once they are all done
    // (the fresh-clone run under load saw the first load of the doors and of the phone book's photos after `before`).
    await fetchesSettled(page);
    const before = gets.length;
    const door = (await other.get('/api/sites/hq/doors')).body[0];
    expect((await other.post('/api/devices', { id: 'lobby-door', kind: 'door', siteId: 'hq', doorId: door.id })).status).toBe(201);
    await page.getByText('lobby-door (Door controller) – offline').waitFor();
    const after = gets.slice(before);
    expect(after).toContain('/api/devices?siteId=hq');
    // Only the devices list and the audit log (the registration is audited) were fetched again.
    expect(after.filter((g) => !g.startsWith('/api/devices?') && !g.startsWith('/api/audit?'))).toEqual([]);
    await page.context().close();
  });

  it('fetches every section again after its connection came back, showing what changed meanwhile', async () => {
    const { page, gets, sockets } = await livePage();
    const ws = sockets.at(-1)!;
    const reconnected = page.waitForEvent('websocket');
    await ws.close({ code: 1006 });
    await page.locator('html[data-live="off"]').waitFor({ state: 'attached' });
    // While the page is offline another session creates a terminal: no event can reach the page.
    expect((await other.post('/api/terminals', { name: 'Lobby East', siteId: 'hq', doorId: null })).status).toBe(201);
    const before = gets.length;
    // socket.io's reconnection delay runs on the page's (fake) clock.
    await page.clock.runFor(6_000);
    await reconnected;
    await page.locator('#section-terminals').getByText('Lobby East').waitFor();
    await page.locator('html[data-live="on"]').waitFor({ state: 'attached' });
    // The running calls are fetched when the site is chosen and on a change or a re-sync only: once more now.
    await expect.poll(() => count(gets, '/api/sites/hq/calls')).toBe(2);
    expect(gets.slice(before)).toEqual(expect.arrayContaining(['/api/terminals', '/api/users', '/api/sites', '/api/sites/hq/calls', '/api/devices?siteId=hq']));
    await page.context().close();
  });

  it('returns to sign-in when the session ends elsewhere (the gateway closes the live socket)', async () => {
    const { page } = await livePage();
    // The page's own session, signed out by another tab of the same browser.
    expect(await page.evaluate(async () => (await fetch('/api/auth/logout', { method: 'POST' })).status)).toBeLessThan(300);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.context().close();
  });
});
