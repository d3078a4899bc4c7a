// Answer → first decoded remote frame, in Debian's Chromium with the real pages:
// the desk clicks "Answer" (a second after the ring appeared, as a person would)
// and measures until its receiver has decoded a frame of
// the visitor (and the terminal one of the desk). In the same run, the same for
// bare mediasoup: a router and two Chromium pages with mediasoup-client, consume
// (a fresh producer and a fresh receive transport per call) → first decoded
// frame. p50 over 20 calls each.
// The pages carry no test hooks: each page's RTCPeerConnections are captured by
// an init script (test/support/pages.ts) and read with getStats().
// Usage: node scripts/run.mjs node bench/first-frame.ts [--smoke]
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { startGateway } from '../test/support/gateway.ts';
import { seedSite } from '../test/support/signaling.ts';
import { launchChromium } from '../test/support/browser.ts';
import { pairedTerminalPage, deskPage } from '../test/support/pages.ts';
import { bundle, servePage } from '../test/support/page-server.ts';
import { startPool } from '../test/support/pool.ts';
import { MediaSession, MEDIA_CODECS } from '../test/support/media-session.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 1 : 20;
const REACTION_MS = 1000;

/** Polls the page's captured connections every 5 ms until a video frame was decoded; ms since `start`. */
const firstFrame = (p: Page, t0: number, side: string) => p.evaluate(async ([start, where]) => {
  while (performance.now() - start < 30_000) {
    if ((await window.__captured!.inbound()).framesDecoded > 0) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no frame decoded at the ${where} within 30 s: ${JSON.stringify(await window.__captured!.inbound())}`);
}, [t0, side] as const);

async function bareMediasoup(chromium: Awaited<ReturnType<typeof launchChromium>>): Promise<number[]> {
  const pool = await startPool(1);
  const page = await servePage(await bundle(join(import.meta.dirname, 'fixtures', 'bare-consume.ts')));
  const { router, webRtcServer } = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
  const session = new MediaSession(router, webRtcServer, 'udp');
  // Two windows, like the terminal and the desk: a page in a background tab would be throttled.
  const contexts = [await chromium.browser.newContext(), await chromium.browser.newContext()];
  try {
    const [sender, receiver] = [await contexts[0]!.newPage(), await contexts[1]!.newPage()];
    for (const tab of [sender, receiver]) {
      await tab.exposeFunction('signal', (method: string, data: unknown) => session.handle(method, data));
      await tab.goto(page.url);
    }
    const ms: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const producers = await sender.evaluate(() => window.bareProduce());
      ms.push(await receiver.evaluate((ids) => window.bareConsume(ids), producers));
    }
    return ms;
  } finally {
    for (const c of contexts) await c.close();
    router.close();
    await page.close();
    await pool.close();
  }
}

const gw = await startGateway();
const chromium = await launchChromium();
try {
  const site = await seedSite(gw);
  // The host rings long enough for the simulated reaction on a busy machine (the seeded 5 s could pass before the click).
  const anna = { kind: 'person', name: 'Anna Müller', department: 'Einkauf', routes: [{ type: 'desk-user', userId: site.users.anna!.id }], policy: { legTimeoutS: 60 } };
  const ringLonger = await site.admin.call('PUT', `/api/phonebook/${site.entries['Anna Müller']}`, anna);
  if (ringLonger.status !== 200) throw new Error(`phone book: ${ringLonger.status} ${JSON.stringify(ringLonger.body)}`);
  const url = gw.base.replace('127.0.0.1', 'localhost');
  const terminal = await pairedTerminalPage(chromium.browser, url, site, 'Bench lobby');
  const desk = await deskPage(chromium.browser, url, 'anna');

  const deskMs: number[] = [];
  const terminalMs: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    await terminal.reload();
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    const answer = desk.getByRole('button', { name: 'Answer' });
    await answer.waitFor();
    // A person sees the ring and clicks about a second later (the pages prepare meanwhile; the old ones did not).
    await delay(REACTION_MS);
    // Both clocks start at the click on "Answer" (each page's own performance.now()).
    const tDesk = await desk.evaluate(() => performance.now());
    const tTerminal = await terminal.evaluate(() => performance.now());
    await answer.click();
    const [d, t] = await Promise.all([firstFrame(desk, tDesk, 'desk'), firstFrame(terminal, tTerminal, 'terminal')]);
    deskMs.push(d);
    terminalMs.push(t);
    await desk.getByRole('button', { name: 'Hang up' }).click();
    await desk.locator('section.call').waitFor({ state: 'detached' });
  }
  const bareMs = await bareMediasoup(chromium);
  const desk50 = summary(deskMs).p50;
  const terminal50 = summary(terminalMs).p50;
  const bare50 = summary(bareMs).p50;
  print({
    bench: 'first-frame', calls: CALLS,
    answer_to_first_frame_at_desk_ms: summary(deskMs),
    answer_to_first_frame_at_terminal_ms: summary(terminalMs),
    bare_mediasoup_consume_to_first_frame_ms: summary(bareMs),
    p50_ratio_vs_bare: { desk: Number((desk50 / bare50).toFixed(2)), terminal: Number((terminal50 / bare50).toFixed(2)) },
  });
} finally {
  await chromium.close();
  await gw.close();
}
