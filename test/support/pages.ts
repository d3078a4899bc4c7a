// The real pages in Chromium, signed in: a terminal paired through its pairing
// form, a desk signed in through its login form (English texts; tests that check
// the German texts drive the forms themselves).
import type { Browser, Page } from 'playwright-core';
import type { SiteFixture } from './signaling.ts';

export const DESK_PASSWORD = 'a long enough password';

export async function englishPage(browser: Browser): Promise<Page> {
  return (await browser.newContext({ locale: 'en-US' })).newPage();
}

export async function pairedTerminalPage(browser: Browser, url: string, site: SiteFixture, name: string): Promise<Page> {
  const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq' })).body;
  const terminal = await englishPage(browser);
  await terminal.goto(`${url}/terminal`);
  await terminal.getByLabel('Pairing code').fill(created.pairing.code);
  await terminal.getByRole('button', { name: 'Pair' }).click();
  await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
  return terminal;
}

export async function deskPage(browser: Browser, url: string, login: string): Promise<Page> {
  const desk = await englishPage(browser);
  await desk.goto(`${url}/desk`);
  await desk.getByLabel('User name').fill(login);
  await desk.getByLabel('Password').fill(DESK_PASSWORD);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.getByRole('heading', { name: 'Reception queue' }).waitFor();
  return desk;
}
