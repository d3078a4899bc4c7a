// Content pushed to a kiosk (terminal.show: a rule's message) stays for its own
// duration: an earlier message's end must not take a later one off the screen.
// The page's timers run on Playwright's clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { pairedTerminalPage } from '../support/pages.ts';

describe('content on the kiosk', () => {
  let gw: Gw;
  let site: SiteFixture;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let terminal: Page | undefined;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await terminal?.context().close();
    await chromium?.close();
    await gw?.close();
  });

  it('a message shown while another one is up stays for its own duration', async () => {
    terminal = await pairedTerminalPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), site, 'Lobby content', {
      prepare: (page) => page.clock.install(),
    });
    const id = (await site.admin.get('/api/terminals')).body.find((t: { name: string }) => t.name === 'Lobby content').id as string;
    const show = (en: string, durationS: number) => {
      if (!gw.gateway.services.signaling.showOnTerminal(id, { message: { de: en, en }, durationS, priority: 1 })) throw new Error('the kiosk is not connected');
    };
    const content = (text: string) => terminal!.locator('.content').filter({ hasText: text });
    show('Parcel at the desk', 10);
    await content('Parcel at the desk').waitFor();
    await terminal.clock.runFor(8_000);
    show('Fire drill at 11:00', 30);
    await content('Fire drill at 11:00').waitFor();
    // Past the first message's end, well within the second's.
    await terminal.clock.runFor(3_000);
    await terminal.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await content('Fire drill at 11:00').count()).toBe(1);
    // And gone at its own end.
    await terminal.clock.runFor(28_000);
    await content('Fire drill at 11:00').waitFor({ state: 'detached' });
  });
});
