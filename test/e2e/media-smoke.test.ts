// The media smoke test: a real Chromium completes ICE and DTLS with a
// WebRtcServer-backed transport of the offline-built worker, and RTP flows both
// ways (so a worker build that cannot do DTLS-SRTP never passes CI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { WorkerPool } from '../../src/sfu/index.ts';
import { launchChromium } from '../support/browser.ts';
import { pollPage } from '../support/pages.ts';
import { bundle, servePage } from '../support/page-server.ts';
import { startPool } from '../support/pool.ts';
import { MediaSession, MEDIA_CODECS } from '../support/media-session.ts';

describe('media through the WebRtcServer with Chromium', () => {
  let pool: WorkerPool;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let page: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    pool = await startPool(1);
    chromium = await launchChromium();
    page = await servePage(await bundle(join(import.meta.dirname, 'fixtures', 'media-loopback.ts')));
  });

  afterAll(async () => {
    await chromium?.close();
    await page?.close();
    await pool?.close();
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    it(`completes DTLS over ${protocol} and the browser decodes the video and audio it sent`, async () => {
      const { router, webRtcServer } = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
      const session = new MediaSession(router, webRtcServer, protocol);
      const context = await chromium.browser.newContext();
      try {
        const tab = await context.newPage();
        await tab.exposeFunction('signal', (method: string, data: unknown) => session.handle(method, data));
        await tab.goto(page.url);
        await tab.evaluate(() => window.runLoopback());
        // Until the browser decoded video and received audio (bounded).
        const result = await pollPage(tab, async () => {
          const s = await window.loopbackStats();
          return s.framesDecoded >= 10 && s.audioPacketsReceived >= 10 ? s : false;
        }, undefined, 20_000);

        expect(result.framesDecoded).toBeGreaterThanOrEqual(10);
        expect(result.audioPacketsReceived).toBeGreaterThanOrEqual(10);
        for (const transport of session.transports.values()) {
          expect(transport.dtlsState).toBe('connected');
          expect(transport.iceSelectedTuple?.protocol).toBe(protocol);
        }
        const producerBytes = await Promise.all([...session.producers.values()].map(async (p) =>
          (await p.getStats()).reduce((sum, s) => sum + s.byteCount, 0)));
        expect(producerBytes.every((b) => b > 0)).toBe(true);
      } finally {
        await context.close();
        router.close();
      }
      // Closing the router closes everything it created.
      expect([...session.transports.values()].every((t) => t.closed)).toBe(true);
    });
  }
});
