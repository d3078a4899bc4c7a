// What the admin page's browser tests share: a gateway after first run with the
// admin signed in through the API, site hq with a door "Lobby door", one Chromium
// for the file, and signedIn(): a new admin page, signed in through its form the
// first time and by that session's cookie after (adminSessions).
// close() ends the browser, then the gateway.
import type { Browser, Page } from 'playwright-core';
import { startGateway, ApiClient } from './gateway.ts';
import { launchChromium } from './browser.ts';
import { adminSessions } from './pages.ts';

export const ADMIN_PASSWORD = 'admin password 1234';

export interface AdminPages {
  gw: Awaited<ReturnType<typeof startGateway>>;
  /** The admin, signed in through the API. */
  admin: ApiClient;
  browser: Browser;
  /** hq's door "Lobby door". */
  doorId: string;
  /** A new admin page, signed in (through the form the first time, then by that session: adminSessions). */
  signedIn(): Promise<Page>;
  close(): Promise<void>;
}

export async function startAdminPages(): Promise<AdminPages> {
  const gw = await startGateway();
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const close = async () => {
    await chromium?.close();
    await gw.close();
  };
  try {
    const admin = new ApiClient(gw.base);
    for (const [path, body] of [['/api/first-run', { token: gw.firstRunToken(), password: ADMIN_PASSWORD }], ['/api/auth/login', { login: 'admin', password: ADMIN_PASSWORD }]] as const) {
      const res = await admin.post(path, body);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const site = await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' });
    if (site.status !== 201) throw new Error(`site hq: ${site.status} ${JSON.stringify(site.body)}`);
    const door = await admin.post('/api/sites/hq/doors', { name: 'Lobby door' });
    if (door.status !== 201) throw new Error(`door: ${door.status} ${JSON.stringify(door.body)}`);
    chromium = await launchChromium();
    const browser = chromium.browser;
    const sessions = adminSessions(browser, gw.base);
    return { gw, admin, browser, doorId: door.body.id as string, signedIn: () => sessions(ADMIN_PASSWORD), close };
  } catch (error) {
    await close();
    throw error;
  }
}
