// The real pages in Chromium, signed in: a terminal paired through its pairing
// form, a desk signed in through its login form (English texts; tests that check
// the German texts drive the forms themselves).
import type { Browser, Page } from 'playwright-core';
import { setTimeout as delay } from 'node:timers/promises';
import type { SiteFixture } from './signaling.ts';

export const DESK_PASSWORD = 'a long enough password';

export type PageOptions = { viewport?: { width: number; height: number } };

export async function englishPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  return (await browser.newContext({ locale: 'en-US', ...options })).newPage();
}

/** A terminal page paired through its form (bound to `doorId` when given). */
export async function pairedTerminalPage(browser: Browser, url: string, site: SiteFixture, name: string, options: PageOptions & { doorId?: string } = {}): Promise<Page> {
  const { doorId, ...pageOptions } = options;
  const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq', ...(doorId ? { doorId } : {}) })).body;
  const terminal = await englishPage(browser, pageOptions);
  await terminal.goto(`${url}/terminal`);
  await terminal.getByLabel('Pairing code').fill(created.pairing.code);
  await terminal.getByRole('button', { name: 'Pair' }).click();
  await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
  return terminal;
}

export async function deskPage(browser: Browser, url: string, login: string, options: PageOptions = {}): Promise<Page> {
  const desk = await englishPage(browser, options);
  await desk.goto(`${url}/desk`);
  await desk.getByLabel('User name').fill(login);
  await desk.getByLabel('Password').fill(DESK_PASSWORD);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.getByRole('heading', { name: 'Reception queue' }).waitFor();
  return desk;
}

/**
 * Re-evaluates `check` in the page until it returns a truthy value (bounded).
 * For WebRTC statistics, which have no event to wait for. (Playwright's
 * waitForFunction treats an async predicate's promise as truthy at once, so it
 * cannot be used for getStats.)
 */
export async function pollPage<A, T>(page: Page, check: (arg: A) => Promise<T | false>, arg: A, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(check as (a: unknown) => Promise<T | false>, arg as unknown);
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`condition not met in the page within ${timeoutMs} ms`);
    await delay(POLL_MS);
  }
}

const POLL_MS = 100;

/** The page's current call media statistics (window.portier.media, or zeros). */
export const inbound = async (): Promise<{ framesDecoded: number; audioPacketsReceived: number }> =>
  (await (window as any).portier?.media?.inboundStats()) ?? { framesDecoded: 0, audioPacketsReceived: 0 };
