// A desk's and a kiosk's first connection, two ways it went wrong on loaded machines:
// - a socket the gateway's namespace middleware refused for a passing reason (a store
//   busy for a moment) connects again, as its "reconnecting" notice says — socket.io-client
//   does not retry such a refusal by itself;
// - a socket that connected before the page's effects had registered their listeners (a
//   loaded browser paints late: Preact runs effects after the next frame) left the page
//   saying "reconnecting" for good while the gateway counted it connected (stop 26's CI:
//   rita's desk in kiosk.test.ts, 122 polls of the banner in 60 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { CONNECT_MS, deskPage, pairedTerminalPage } from '../support/pages.ts';

/**
 * Holds a page's effects (its timers and animation frames: Preact runs effects after the next
 * frame) while the page loads again, lets a socket the page opened meanwhile receive its
 * namespace's CONNECT, then lets time run. Records in `window.__portierConnected` when a
 * WebSocket of the page has dispatched that CONNECT (a listener of its own, added before the
 * page's, so the page's handler has run in the same task).
 */
async function reloadWithEffectsHeld(page: Page, namespace: string, drawn: () => Promise<void>): Promise<{ connectedEarly: boolean }> {
  await page.addInitScript((ns: string) => {
    const Native = window.WebSocket;
    const w = window as unknown as { __portierSockets: number; __portierConnected: boolean };
    w.__portierSockets = 0;
    w.__portierConnected = false;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        w.__portierSockets += 1;
        this.addEventListener('message', (e) => { if (typeof e.data === 'string' && e.data.startsWith(`40${ns},`)) w.__portierConnected = true; });
      }
    };
  }, namespace);
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 60_000);
  await page.reload();
  await drawn();
  // A page that opens its socket before its effects: let that socket connect while they are held.
  const opened = await page.evaluate(() => (window as unknown as { __portierSockets: number }).__portierSockets > 0);
  if (opened) {
    const deadline = Date.now() + 30_000;
    while (!(await page.evaluate(() => (window as unknown as { __portierConnected: boolean }).__portierConnected))) {
      if (Date.now() > deadline) throw new Error('the page\'s socket never connected while its effects were held');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await page.clock.resume();
  return { connectedEarly: opened };
}

/** Makes `object[method]` fail once when called from the namespace middleware `caller` (read off the stack). */
function failOnceFrom<T extends object>(object: T, method: keyof T & string, caller: string): { failed: () => boolean; restore: () => void } {
  const original = (object[method] as (...a: unknown[]) => unknown).bind(object);
  let failed = false;
  (object as Record<string, unknown>)[method] = (...args: unknown[]) => {
    if (!failed && new Error().stack?.includes(caller)) { failed = true; return Promise.reject(new Error('database is locked')); }
    return original(...args);
  };
  return { failed: () => failed, restore: () => { (object as Record<string, unknown>)[method] = original; } };
}

describe('a page\'s first connection', () => {
  let gw: Gw;
  let site: SiteFixture;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const pages: Page[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    for (const p of pages) await p.context().close();
    await chromium?.close();
    await gw?.close();
  });

  it('a desk connects again after its first handshake was refused (the session lookup failed)', async () => {
    const refusal = failOnceFrom(gw.gateway.services.accounts, 'session', 'authDesk');
    try {
      pages.push(await deskPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), 'rita'));
      if (!refusal.failed()) throw new Error('the handshake was never refused: the test proved nothing');
    } finally {
      refusal.restore();
    }
  });

  it('a kiosk connects again after its first handshake was refused (the credential lookup failed)', async () => {
    const refusal = failOnceFrom(gw.gateway.services.credentials, 'verify', 'authTerminal');
    try {
      pages.push(await pairedTerminalPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), site, 'Lobby refused once'));
      if (!refusal.failed()) throw new Error('the handshake was never refused: the test proved nothing');
    } finally {
      refusal.restore();
    }
  });

  it('a desk whose socket connects before its page listens shows itself connected', async () => {
    const desk = await deskPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), 'rita');
    pages.push(desk);
    await reloadWithEffectsHeld(desk, '/desk', () => desk.getByRole('heading', { name: 'Reception queue' }).waitFor());
    // A page that opens its socket before its effects again is held above until CONNECT and stays 'reconnecting' here;
    // the fixed page opens none before its effects (nothing held), and connects once time runs.
    await desk.getByText('No connection – reconnecting …').waitFor({ state: 'detached', timeout: CONNECT_MS });
    expect(gw.gateway.services.signaling.status().desks).toBe(1);
  });

  it('a kiosk whose socket connects before its page listens shows itself connected', async () => {
    const url = gw.base.replace('127.0.0.1', 'localhost');
    const terminal = await pairedTerminalPage(chromium.browser, url, site, 'Lobby early socket');
    pages.push(terminal);
    // Drawn: its first render shows the notice (its start screen's welcome waits for an effect).
    const notice = terminal.getByRole('status').filter({ hasText: 'Reconnecting to the server …' });
    await reloadWithEffectsHeld(terminal, '/terminal', () => notice.waitFor());
    await notice.waitFor({ state: 'hidden', timeout: CONNECT_MS });
    // The reception's entry, asked for at the connect: the start screen's button.
    await terminal.getByRole('button', { name: 'Call the reception' }).waitFor();
  });
});
