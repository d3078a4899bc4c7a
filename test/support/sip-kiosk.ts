// What the SIP end-to-end tests share: a gateway whose SIP account registers at a
// real Kamailio (registrar and proxy) that forwards each extension to a phone the
// test started (sipp, baresip), the seeded site with a phone-book entry per
// extension, and one Chromium for the file's kiosk pages. close() ends all of it
// (the phones stay the test's own).
import type { Browser, Page } from 'playwright-core';
import { startGateway } from './gateway.ts';
import { seedSite, type Gw, type SiteFixture } from './signaling.ts';
import { launchChromium } from './browser.ts';
import { pairedTerminalPage } from './pages.ts';
import { Kamailio } from './kamailio.ts';

const DOMAIN = 'portier.test';

/** A phone behind Kamailio: its user (extension), its SIP port on 127.0.0.1, and the phone-book entry that rings it. */
export interface Extension { user: string; port: number; entry: string }

export interface SipKiosk {
  gw: Gw;
  site: SiteFixture;
  kamailio: Kamailio;
  browser: Browser;
  /** A kiosk page paired as a new terminal of the site (closed by close()). */
  terminalPage(name: string): Promise<Page>;
  close(): Promise<void>;
}

/** `account`: further keys of the gateway's one SIP account, as YAML (e.g. `codecs: [opus, pcma]`). */
export async function startSipKiosk(extensions: readonly Extension[], account = ''): Promise<SipKiosk> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => { for (const c of closers.splice(0).reverse()) await c().catch(() => undefined); };
  try {
    const forward = Object.fromEntries(extensions.map((e) => [e.user, { host: '127.0.0.1', port: e.port }]));
    const kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward });
    closers.push(() => kamailio.close());
    const gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}${account ? `, ${account}` : ''}}]`,
    });
    closers.push(() => gw.close());
    const site = await seedSite(gw);
    for (const e of extensions) {
      const res = await site.admin.post('/api/sites/hq/phonebook', { kind: 'department', name: e.entry, routes: [{ type: 'sip', accountId: 'pbx', user: e.user }], policy: { legTimeoutS: 60 } });
      if (res.status !== 201) throw new Error(`phone-book entry ${e.entry}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const chromium = await launchChromium();
    closers.push(() => chromium.close());
    const pages: Page[] = [];
    closers.push(async () => { for (const p of pages) await p.context().close().catch(() => undefined); });
    // The page's origin must be a secure context for the microphone: localhost, not 127.0.0.1.
    const url = gw.base.replace('127.0.0.1', 'localhost');
    const terminalPage = async (name: string) => {
      const page = await pairedTerminalPage(chromium.browser, url, site, name);
      pages.push(page);
      return page;
    };
    return { gw, site, kamailio, browser: chromium.browser, terminalPage, close };
  } catch (error) {
    await close();
    throw error;
  }
}
