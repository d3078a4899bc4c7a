// End to end in Debian's Chromium: a paired terminal page searches and calls, a
// desk page answers; each side decodes the other's video and receives its
// audio; hang-up returns both to idle. And: nobody answers → the reception rings.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { capturePeerConnections, deskConnected, inboundOf, peerConnectionCount, pollPage, terminalConnected, waitForInbound } from '../support/pages.ts';

const PASSWORD = 'a long enough password';

describe('terminal to desk video call in Chromium', () => {
  let gw: Gw;
  let site: SiteFixture;
  let chromium: { browser: Browser; close: () => Promise<void> };
  const contexts: BrowserContext[] = [];
  let url: string;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
    url = gw.base.replace('127.0.0.1', 'localhost');
    chromium = await launchChromium();
  });
  afterEach(async () => {
    // Every page closes after its test, passed or not: a desk left signed in would ring in the next one.
    for (const c of contexts.splice(0)) await c.close();
    // The gateway has seen them go (no event for it: its own count, bounded).
    for (const deadline = Date.now() + 30_000; gw.gateway.services.signaling.status().desks !== 0;) {
      if (Date.now() > deadline) throw new Error('a desk is still connected 30 s after its page closed');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  const page = async (): Promise<Page> => {
    const context = await chromium.browser.newContext({ locale: 'de-DE' });
    contexts.push(context);
    await capturePeerConnections(context);
    return context.newPage();
  };

  const pairedTerminal = async (name: string) => {
    const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq', doorId: site.doorId })).body;
    const terminal = await page();
    await terminal.goto(`${url}/terminal`);
    await terminal.getByLabel('Kopplungscode').fill(created.pairing.code);
    await terminal.getByRole('button', { name: 'Koppeln' }).click();
    await terminalConnected(terminal);
    return terminal;
  };

  const desk = async (login: string) => {
    const p = await page();
    await p.goto(`${url}/desk`);
    await p.getByLabel('Benutzername').fill(login);
    await p.getByLabel('Passwort').fill(PASSWORD);
    await p.getByRole('button', { name: 'Anmelden' }).click();
    await deskConnected(p);
    return p;
  };

  // Media statistics come from the page's RTCPeerConnections, captured by an init script (the pages carry no test hooks).
  const decoding = (p: Page, from = 0) => waitForInbound(p, (s) => s.framesDecoded >= 10 && s.audioPacketsReceived >= 10, from);
  const framesAbove = (p: Page, n: number) => waitForInbound(p, (s) => s.framesDecoded > n);

  it('calls from the terminal, answers at the desk, both decode, hang-up returns both to idle', async () => {
    const anna = await desk('anna');
    const terminal = await pairedTerminal('Lobby E2E');
    await terminal.getByLabel('Name oder Abteilung').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await terminal.getByText('Anna Müller wird angerufen …').waitFor();

    const ring = anna.getByRole('alertdialog', { name: /Besuch an Lobby E2E \(Headquarters\)/ });
    await ring.waitFor();
    await ring.getByRole('button', { name: 'Annehmen' }).click();
    await terminal.locator('[data-step="answered"]').waitFor();
    await anna.getByRole('button', { name: 'Tür öffnen' }).waitFor();

    const [t1, d1] = await Promise.all([decoding(terminal), decoding(anna)]);
    expect(t1.framesDecoded).toBeGreaterThanOrEqual(10);
    expect(d1.audioPacketsReceived).toBeGreaterThanOrEqual(10);
    // Frames keep being decoded on both sides (not just a first burst).
    await framesAbove(terminal, t1.framesDecoded + 10);
    await framesAbove(anna, d1.framesDecoded + 10);

    await terminal.getByRole('button', { name: 'Auflegen' }).click();
    await terminal.getByText('Gespräch beendet. Auf Wiedersehen!').waitFor();
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await terminal.getByRole('heading', { name: 'Willkommen! Wen möchten Sie sprechen?' }).waitFor({ timeout: 15_000 });
    expect(gw.gateway.services.sfu.status()[0]!.routers).toBe(0);
    // Anna leaves her desk for the next test.
    await anna.context().close();
  });

  it('re-establishes media when the terminal reconnects within the grace period', async () => {
    const anna = await desk('anna');
    const terminal = await pairedTerminal('Lobby E2E 3');
    await terminal.getByLabel('Name oder Abteilung').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await anna.getByRole('button', { name: 'Annehmen' }).click();
    await Promise.all([decoding(terminal), decoding(anna)]);
    const deskFrames = (await inboundOf(anna)).framesDecoded;

    // Drop the terminal's connection (its socket.io WebSocket); socket.io reconnects and the gateway answers with call.resume.
    const before = await peerConnectionCount(terminal);
    await terminal.evaluate(() => window.__captured!.webSockets.at(-1)!.close());
    // The terminal decodes the desk again on connections created after the drop.
    await waitForInbound(terminal, (s) => s.framesDecoded > 0, before);
    // The desk consumes the terminal's new producers and keeps decoding.
    await framesAbove(anna, deskFrames + 30);
    await terminal.getByRole('button', { name: 'Auflegen' }).click();
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await anna.context().close();
  });

  it('a group ring: both receptionists prepare while it rings, the terminal shows only the one who answered, and nothing flows before the answer', async () => {
    // The ring must outlast the waits for connected transports on a loaded machine (the seeded 5 s would not).
    const reception = { kind: 'reception', name: 'Empfang', routes: [{ type: 'desk-group', roleId: 'reception' }], policy: { legTimeoutS: 120, capS: 600 } };
    expect((await site.admin.call('PUT', `/api/phonebook/${site.entries['Empfang']}`, reception)).status).toBe(200);
    const rita = await desk('rita');
    const rolf = await desk('rolf');
    const terminal = await pairedTerminal('Lobby E2E 4');
    await terminal.getByRole('button', { name: 'Empfang anrufen' }).click();
    for (const p of [rita, rolf]) await p.getByRole('alertdialog', { name: /Besuch an Lobby E2E 4/ }).waitFor();
    // Each ringing desk connects its transports and sends a placeholder the terminal consumes (paused): wait until the
    // terminal's receive connection is up, then check that nothing was received yet on either side.
    await pollPage(terminal, async () => (window.__captured?.peerConnections ?? []).filter((pc) => pc.connectionState === 'connected').length >= 2, undefined, 30_000);
    for (const p of [rita, rolf]) await pollPage(p, async () => (window.__captured?.peerConnections ?? []).some((pc) => pc.connectionState === 'connected'), undefined, 30_000);
    for (const p of [terminal, rita, rolf]) expect(await inboundOf(p)).toEqual({ framesDecoded: 0, audioPacketsReceived: 0 });

    await rita.getByRole('button', { name: 'Annehmen' }).click();
    await rolf.getByRole('alertdialog').waitFor({ state: 'detached' });
    const [t] = await Promise.all([decoding(terminal), decoding(rita)]);
    expect(t.framesDecoded).toBeGreaterThanOrEqual(10);
    // The terminal shows one video: Rita's (Rolf's placeholder was kept aside and closed with his ring).
    const shown = await terminal.evaluate(() => {
      const stream = document.querySelector<HTMLVideoElement>('video.remote')?.srcObject as MediaStream | null;
      return stream?.getVideoTracks().map((tr) => tr.readyState) ?? [];
    });
    expect(shown).toEqual(['live']);
    expect((await inboundOf(rolf)).framesDecoded).toBe(0);
    await terminal.getByRole('button', { name: 'Auflegen' }).click();
    await rita.locator('section.call').waitFor({ state: 'detached' });
    await Promise.all([rita.context().close(), rolf.context().close()]);
  });

  it('rings the reception desk when the host is not at the desk', async () => {
    const rita = await desk('rita');
    const terminal = await pairedTerminal('Lobby E2E 2');
    await terminal.getByLabel('Name oder Abteilung').fill('Anna');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await terminal.getByText('Niemand hat abgenommen – der Empfang wird angerufen …').waitFor();
    await rita.getByRole('alertdialog', { name: /Besuch an Lobby E2E 2/ }).waitFor();
    await terminal.getByRole('button', { name: 'Abbrechen' }).click();
    await rita.getByRole('alertdialog').waitFor({ state: 'detached' });
  });
});
