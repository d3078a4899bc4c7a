// The key screens against committed references (test/e2e/screenshots/*.png):
// the terminal's start, search with the on-screen keyboard, ringing, in call,
// door open, door failed and call ended in portrait 1080×1920 and landscape
// 1280×800; the notice of a call the terminal answered by itself; the desk ringing and in call; every admin section. Fixed data (the
// seeded site), every page on a clock that starts at the same instant, videos,
// times and the signal indicator masked, animations and the caret off. One
// Chromium, one desk and one terminal page for the whole file. On the way, each
// terminal screen (and the door opening) is checked readable at 1 m: no visible
// text under 20 CSS px, primary actions at least 28 px (test/support/readability.ts says why).
// PORTIER_UPDATE_SCREENSHOTS=1 writes the references (README, Tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openCallSite, type CallSite } from '../support/call-flow.ts';
import { doorController, type DoorController } from '../support/door-controller.ts';
import { capturePeerConnections, deskConnected, DESK_PASSWORD, terminalConnected } from '../support/pages.ts';
import { expectScreen, fixVolatileBoxes, pauseClock } from '../support/screenshots.ts';
import { smallTexts } from '../support/readability.ts';

/** Monday 2 March 2026, 09:30 in Berlin: where every page's clock starts. */
const CLOCK_START = new Date('2026-03-02T08:30:00Z');
const SIZES = { portrait: { width: 1080, height: 1920 }, landscape: { width: 1280, height: 800 } } as const;
const DESKTOP = { width: 1280, height: 800 };

describe('key screens against their references', () => {
  let s: CallSite;
  let door: DoorController;
  let desk: Page;
  let terminal: Page;
  let terminalId: string;

  /** An English page of its own context whose clock starts at CLOCK_START. */
  const page = async (viewport: { width: number; height: number }): Promise<Page> => {
    // bypassCSP: the pages' Content-Security-Policy would refuse the test's style sheet (fixVolatileBoxes).
    const context = await s.chromium.browser.newContext({ locale: 'en-US', viewport, timezoneId: 'Europe/Berlin', bypassCSP: true });
    await capturePeerConnections(context);
    await fixVolatileBoxes(context);
    await context.clock.install({ time: CLOCK_START });
    return s.open(context.newPage());
  };
  const signIn = async (p: Page, path: string, login: string, ready: string) => {
    await p.goto(`${s.url}${path}`);
    await p.getByLabel('User name').fill(login);
    await p.getByLabel('Password').fill(DESK_PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: ready }).waitFor();
  };
  const startScreen = (p: Page) => p.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();

  beforeAll(async () => {
    // The test acknowledges door commands by hand: a window no loaded machine misses.
    // A kiosk's grace (hq's first terminal never connects) that no run of this file outlasts: no alert of its own in the admin's open alerts.
    s = await openCallSite({ PORTIER_DEVICE_HUB__COMMAND_ACK_SECONDS: '60', PORTIER_SLA__KIOSK_OFFLINE_GRACE_SECONDS: '3600' });
    door = await doorController(s.site, 'screens-door');
    desk = await page(DESKTOP);
    await signIn(desk, '/desk', 'anna', 'Reception queue');
    // Rung once connected: the banner it shows until then is not in its pictures.
    await deskConnected(desk);
    terminal = await page(SIZES.landscape);
    const created = (await s.site.admin.post('/api/terminals', { name: 'Lobby East', siteId: 'hq', doorId: s.site.doorId })).body;
    terminalId = created.terminal.id;
    await terminal.goto(`${s.url}/terminal`);
    await terminal.getByLabel('Pairing code').fill(created.pairing.code);
    await terminal.getByRole('button', { name: 'Pair' }).click();
    await terminalConnected(terminal);
  }, 180_000);
  afterAll(async () => {
    await door?.close();
    await s?.close();
  });

  it('admin: every section of the page', async () => {
    // Two open alerts, the gateway-wide one of class 1 first.
    const { alerts } = s.gw.gateway.services;
    alerts.raise({ id: 'device:screens-sensor', kind: 'device-offline', incidentClass: 3, siteId: 'hq', subject: { device: 'screens-sensor', deviceKind: 'sensor' },
      text: { en: 'device screens-sensor (sensor) is offline', de: 'Gerät screens-sensor (sensor) ist offline' } });
    alerts.raise({ id: 'probe', kind: 'probe-down', incidentClass: 1, siteId: null, subject: { since: 0 },
      text: { en: 'service down: the synthetic probe failed repeatedly', de: 'Dienst nicht verfügbar: die synthetische Prüfung schlug wiederholt fehl' } });
    const admin = await page(DESKTOP);
    await signIn(admin, '/admin', 'admin', 'Terminals');
    await admin.locator('#section-alerts tbody tr').nth(1).waitFor();
    await admin.getByText('screens-door (Door controller) – online').waitFor();
    await admin.locator('#section-phonebook').getByRole('cell', { name: 'Anna Müller', exact: true }).waitFor();
    // The paired kiosk has reported its health (ready, with a Reload button): not a picture of the moment before.
    await admin.locator('#section-terminals li', { hasText: 'Lobby East' }).locator('.kiosk-health[data-able="true"]').waitFor();
    // The audit log shows one deterministic entry: the site's creation.
    const audit = admin.locator('#section-audit');
    await audit.getByLabel('Action').fill('site.create');
    await audit.getByRole('button', { name: 'Show' }).click();
    await audit.locator('tbody tr').first().waitFor();
    await admin.waitForFunction(() => document.querySelectorAll('#section-audit tbody tr').length === 1);
    const sections = await admin.locator('#main > section').evaluateAll((all) => all.map((el) =>
      el.id || el.getAttribute('aria-labelledby') || el.querySelector('h2')?.id || el.querySelector('h2')?.textContent || ''));
    for (const [i, key] of sections.entries()) {
      const name = key.replace(/^section-|-heading$/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
      await expectScreen(admin.locator('#main > section').nth(i), `admin-${name}`);
    }
    await admin.context().close();
    alerts.clear('device:screens-sensor');
    alerts.clear('probe');
  }, 120_000);

  it('terminal landscape: a telephone connected and the terminal answered by itself (the callback notice)', async () => {
    await terminal.setViewportSize(SIZES.landscape);
    await startScreen(terminal);
    // What an inbound SIP number mapped to this terminal does (test/e2e/sip-terminal-callback.test.ts calls through
    // sipp); here the call service is asked directly: the notice is the picture, a silent telephone participant suffices.
    const phone = { participantId: 'sip-screens', label: 'Reception (7001)', audioCodec: 'audio/PCMA' as const, via: { account: 'pbx', number: '4790', callerKey: 'terminals.0.callers.0' } };
    const call = await s.gw.gateway.services.signaling.callTerminalFromPhone(phone, terminalId, 'Reception', () => undefined);
    await terminal.getByTestId('callback-notice').waitFor();
    await terminal.locator('[data-step="answered"]').waitFor();
    await expectScreen(terminal, 'terminal-callback-landscape');
    await s.gw.gateway.services.calls.endCall(call.id, 'hangup-desk');
    await terminal.locator('[data-outcome="answered"]').waitFor();
    await startScreen(terminal);
  }, 120_000);

  for (const [size, viewport] of Object.entries(SIZES)) {
    it(`terminal ${size} ${viewport.width}×${viewport.height}: start, search, ringing, in call, door open, door failed, ended${size === 'portrait' ? ' (and the desk ringing, in call)' : ''}; each readable at 1 m`, async () => {
      // The desk's pictures come from the file's first call: its history (durations are the machine's) is still empty.
      const withDesk = size === 'portrait';
      /** Texts too small to read at 1 m, by screen: asserted at the end, so one run names them all. */
      const unreadable: string[] = [];
      const readable = async (screen: string) => {
        for (const t of await smallTexts(terminal)) unreadable.push(`${screen}: "${t.text}" ${t.px} px < ${t.min} px (${t.where})`);
      };
      await terminal.setViewportSize(viewport);
      await startScreen(terminal);
      await terminal.getByRole('button', { name: 'Call the reception' }).waitFor();
      await readable('start');
      await expectScreen(terminal, `terminal-start-${size}`);

      // The visitor types on the on-screen keyboard.
      const keys = terminal.getByRole('group', { name: 'On-screen keyboard' });
      await keys.getByRole('button', { name: 'M', exact: true }).click();
      await keys.getByRole('button', { name: 'Ü', exact: true }).click();
      await terminal.getByRole('button', { name: /Anna Müller/ }).waitFor();
      await readable('search');
      await expectScreen(terminal, `terminal-search-${size}`);

      await terminal.getByRole('button', { name: /Anna Müller/ }).click();
      await terminal.locator('[data-step="ringing"]').waitFor();
      const ring = desk.getByRole('alertdialog');
      await ring.waitFor();
      await readable('ringing');
      await expectScreen(terminal, `terminal-ringing-${size}`);
      if (withDesk) await expectScreen(desk, 'desk-ringing');

      await ring.getByRole('button', { name: 'Answer' }).click();
      await terminal.locator('[data-step="answered"]').waitFor();
      await desk.getByRole('button', { name: 'Open door' }).waitFor();
      // The signal indicator comes with the first quality report: its (masked) box belongs in the picture.
      await terminal.locator('.signal').waitFor();
      await desk.locator('.signal').waitFor();
      await readable('in call');
      await expectScreen(terminal, `terminal-in-call-${size}`);
      if (withDesk) await expectScreen(desk, 'desk-in-call');

      // Door open: shown for a while only, so the terminal's clock stands still for the picture.
      await desk.getByRole('button', { name: 'Open door' }).click();
      const opened = await door.nextCommand();
      await terminal.locator('[data-door="opening"]').waitFor();
      await readable('door opening');
      await pauseClock(terminal);
      await door.acknowledge(opened.id);
      await terminal.locator('[data-door="open"]').waitFor();
      await readable('door open');
      await expectScreen(terminal, `terminal-door-open-${size}`);
      await terminal.clock.resume();

      await desk.getByRole('button', { name: 'Open door' }).click();
      const refused = await door.nextCommand();
      await terminal.locator('[data-door="opening"]').waitFor();
      await door.acknowledge(refused.id, 'refused');
      await terminal.locator('[data-door="failed"]').waitFor();
      await readable('door failed');
      await expectScreen(terminal, `terminal-door-failed-${size}`);

      // Ended: shown for a few seconds before the start screen comes back.
      await pauseClock(terminal);
      await desk.getByRole('button', { name: 'Hang up' }).click();
      await terminal.locator('[data-outcome="answered"]').waitFor();
      await readable('ended');
      await expectScreen(terminal, `terminal-ended-${size}`);
      await terminal.clock.resume();
      await startScreen(terminal);
      await desk.locator('section.call').waitFor({ state: 'detached' });
      expect(unreadable, 'texts too small to read at 1 m (test/support/readability.ts)').toEqual([]);
    }, 240_000);
  }
});
