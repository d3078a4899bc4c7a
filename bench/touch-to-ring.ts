// A visitor's touch → the desk ringing, in Debian's Chromium with the real pages:
// the touch (pointerdown) on a host's card in the directory, or on the large
// "Call the reception" button, until the ring appears on the desk's page (and
// until the kiosk itself says it rings). Each page stamps its own moment
// (pointerdown on the kiosk, a MutationObserver on the desk) with Date.now(): one
// machine, one clock, no Playwright round trip in the figure. The visitor then
// cancels, and the next touch comes once both pages are back at rest.
// p50/p99 over CALLS touches per way; one Chromium, one in-process gateway.
// Usage: node scripts/run.mjs node bench/touch-to-ring.ts [--smoke]
import type { Page } from 'playwright-core';
import { startGateway } from '../test/support/gateway.ts';
import { seedSite } from '../test/support/signaling.ts';
import { launchChromium } from '../test/support/browser.ts';
import { pairedTerminalPage, deskPage } from '../test/support/pages.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 2 : 20;

declare global {
  interface Window { __stamps: { touch: number[]; ring: number[] } }
}

/** Stamps, in the page, every pointerdown and the moment each new element matching `ring` appears. */
const stampMoments = (p: Page, ring: string) => p.evaluate((selector) => {
  window.__stamps = { touch: [], ring: [] };
  document.addEventListener('pointerdown', () => window.__stamps.touch.push(Date.now()), true);
  let shown = document.querySelector(selector) !== null;
  new MutationObserver(() => {
    const now = document.querySelector(selector) !== null;
    if (now && !shown) window.__stamps.ring.push(Date.now());
    shown = now;
  }).observe(document.body, { childList: true, subtree: true, attributes: true });
}, ring);

const clearStamps = (p: Page) => p.evaluate(() => { window.__stamps.touch = []; window.__stamps.ring = []; });
const stamps = (p: Page) => p.evaluate(() => window.__stamps);

const gw = await startGateway();
const chromium = await launchChromium();
try {
  const site = await seedSite(gw);
  // The host and the reception ring long enough that the ring is still there when it is read on a busy machine.
  for (const [name, entry] of [
    ['Anna Müller', { kind: 'person', name: 'Anna Müller', department: 'Einkauf', routes: [{ type: 'desk-user', userId: site.users.anna!.id }], policy: { legTimeoutS: 60 } }],
    ['Empfang', { kind: 'reception', name: 'Empfang', routes: [{ type: 'desk-group', roleId: 'reception' }], policy: { legTimeoutS: 60 } }],
  ] as const) {
    const ringLonger = await site.admin.call('PUT', `/api/phonebook/${site.entries[name]}`, entry);
    if (ringLonger.status !== 200) throw new Error(`phone book: ${ringLonger.status} ${JSON.stringify(ringLonger.body)}`);
  }
  const url = gw.base.replace('127.0.0.1', 'localhost');
  const terminal = await pairedTerminalPage(chromium.browser, url, site, 'Bench lobby');
  const host = await deskPage(chromium.browser, url, 'anna');
  const reception = await deskPage(chromium.browser, url, 'rita');
  const welcome = terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' });
  await stampMoments(terminal, '[data-step="ringing"]');
  for (const desk of [host, reception]) await stampMoments(desk, '[role="alertdialog"]');

  const ways = {
    host_card: { desk: host, touch: async () => {
      await terminal.locator('#q').fill('Müller');
      const card = terminal.getByRole('button', { name: /Anna Müller/ });
      await card.waitFor();
      return card;
    } },
    reception_button: { desk: reception, touch: async () => terminal.getByRole('button', { name: 'Call the reception' }) },
  };
  const toDesk: Record<string, number[]> = { host_card: [], reception_button: [] };
  const toKiosk: Record<string, number[]> = { host_card: [], reception_button: [] };
  for (let i = 0; i < CALLS; i++) {
    for (const [way, { desk, touch }] of Object.entries(ways)) {
      const target = await touch();
      await Promise.all([clearStamps(terminal), clearStamps(desk)]);
      await target.click();
      await desk.getByRole('alertdialog').waitFor();
      await terminal.locator('[data-step="ringing"]').waitFor();
      const [k, d] = [await stamps(terminal), await stamps(desk)];
      const touched = k.touch[0];
      if (touched === undefined || d.ring.length !== 1 || k.ring.length !== 1) throw new Error(`${way}: stamps ${JSON.stringify({ k, d })}`);
      toDesk[way]!.push(d.ring[0]! - touched);
      toKiosk[way]!.push(k.ring[0]! - touched);
      await terminal.getByRole('button', { name: 'Cancel' }).click();
      await welcome.waitFor();
      await desk.getByRole('alertdialog').waitFor({ state: 'detached' });
    }
  }
  print({
    bench: 'touch-to-ring', calls: CALLS,
    touch_to_desk_ring_ms: { host_card: summary(toDesk.host_card!), reception_button: summary(toDesk.reception_button!) },
    touch_to_kiosk_ringing_ms: { host_card: summary(toKiosk.host_card!), reception_button: summary(toKiosk.reception_button!) },
  });
} finally {
  await chromium.close();
  await gw.close();
}
