// Answer → first decoded remote frame, in Debian's Chromium with the real pages:
// the desk clicks "Answer" and measures until its receiver has decoded a frame of
// the visitor (and the terminal one of the desk). p50 over 20 calls.
// Usage: node scripts/run.mjs node bench/first-frame.ts [--smoke]
import type { Page } from 'playwright-core';
import { startGateway } from '../test/support/gateway.ts';
import { seedSite } from '../test/support/signaling.ts';
import { launchChromium } from '../test/support/browser.ts';
import { pairedTerminalPage, deskPage } from '../test/support/pages.ts';
import { summary, smoke, print } from './lib.ts';

const CALLS = smoke ? 1 : 20;

const gw = await startGateway();
const chromium = await launchChromium();
try {
  const site = await seedSite(gw);
  const url = gw.base.replace('127.0.0.1', 'localhost');
  const terminal = await pairedTerminalPage(chromium.browser, url, site, 'Bench lobby');
  const desk = await deskPage(chromium.browser, url, 'anna');

  const firstFrame = (p: Page, t0: number) => p.evaluate(async (start) => {
    while (performance.now() - start < 30_000) {
      const media = (window as any).portier?.media;
      if (media && (await media.inboundStats()).framesDecoded > 0) return performance.now() - start;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no frame decoded within 30 s: ${JSON.stringify(await (window as any).portier?.media?.inboundStats())}`);
  }, t0);

  const deskMs: number[] = [];
  const terminalMs: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    await terminal.reload();
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    const answer = desk.getByRole('button', { name: 'Answer' });
    await answer.waitFor();
    // Both clocks start at the click on "Answer" (each page's own performance.now()).
    const tDesk = await desk.evaluate(() => { (window as any).portier.media = undefined; return performance.now(); });
    const tTerminalOffset = await terminal.evaluate(() => performance.now());
    await answer.click();
    const [d, t] = await Promise.all([firstFrame(desk, tDesk), firstFrame(terminal, tTerminalOffset)]);
    deskMs.push(d);
    terminalMs.push(t);
    await desk.getByRole('button', { name: 'Hang up' }).click();
    await desk.locator('section.call').waitFor({ state: 'detached' });
  }
  print({
    bench: 'first-frame', calls: CALLS,
    answer_to_first_frame_at_desk_ms: summary(deskMs),
    answer_to_first_frame_at_terminal_ms: summary(terminalMs),
  });
} finally {
  await chromium.close();
  await gw.close();
}
