// A page whose socket the gateway's namespace middleware refused for a passing reason
// (a store busy for a moment) connects again, as its "reconnecting" notice says —
// socket.io-client does not retry such a refusal by itself, and the desk and the kiosk
// stayed offline for good (seen as pages that never connected in a loaded suite run).
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { DESK_PASSWORD, deskConnected, englishPage, pairedTerminalPage } from '../support/pages.ts';

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

describe('a socket the gateway refused for a passing reason', () => {
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
      const desk = await englishPage(chromium.browser);
      pages.push(desk);
      await desk.goto(`${gw.base.replace('127.0.0.1', 'localhost')}/desk`);
      await desk.getByLabel('User name').fill('rita');
      await desk.getByLabel('Password').fill(DESK_PASSWORD);
      await desk.getByRole('button', { name: 'Sign in' }).click();
      await deskConnected(desk);
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
});
