// A call the gateway starts for a kiosk (a rule's call.start): the page opens its
// camera before it shows the call, and a desk may answer meanwhile (a slow camera, a
// loaded machine). The answer must not be lost: the kiosk shows the call answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { pairedTerminalPage } from '../support/pages.ts';

type Held = { __holdCamera?: boolean; __releaseCamera?: () => void; __answered?: boolean; __captured?: { webSockets: WebSocket[] } };

/** A call's camera (audio and video together) opens only when the test says so, once `__holdCamera` is set. */
async function holdCallCamera(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as Held;
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    const opened = new Promise<void>((resolve) => { w.__releaseCamera = resolve; });
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      if (w.__holdCamera && constraints?.audio && constraints?.video) await opened;
      return getUserMedia(constraints);
    };
  });
}

describe('a call the gateway starts for a kiosk', () => {
  let gw: Gw;
  let site: SiteFixture;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let terminal: Page | undefined;
  let anna: Socket | undefined;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    anna?.close();
    await terminal?.context().close();
    await chromium?.close();
    await gw?.close();
  });

  it('shows the call answered when the desk answered while the kiosk was still opening its camera', async () => {
    terminal = await pairedTerminalPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), site, 'Lobby started', { prepare: holdCallCamera });
    const id = (await site.admin.get('/api/terminals')).body.find((t: { name: string }) => t.name === 'Lobby started').id as string;
    anna = await connect(gw, '/desk', site.users.anna!.cookie);
    // The kiosk records when the answer reaches it (its socket.io frames).
    await terminal.evaluate(() => {
      const w = window as unknown as Held;
      w.__holdCamera = true;
      for (const ws of w.__captured!.webSockets) ws.addEventListener('message', (e) => { if (typeof e.data === 'string' && e.data.includes('"step":"answered"')) w.__answered = true; });
    });
    const credential = (await gw.gateway.services.credentials.get(id))!;
    const { callId } = await gw.gateway.services.signaling.startCallFor(credential, site.entries['Anna Müller']!);
    await next(anna, 'call.ring', (m: { callId: string }) => m.callId === callId);
    expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true });
    await terminal.waitForFunction(() => (window as unknown as Held).__answered === true);
    // Only now the camera opens and the page shows the call.
    await terminal.evaluate(() => (window as unknown as Held).__releaseCamera!());
    await terminal.locator('[data-step="answered"]').waitFor({ timeout: 15_000 });
    expect(await ack(anna, 'call.hangup', { callId })).toMatchObject({ ok: true });
  });
});
