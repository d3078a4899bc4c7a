// The router's H.264 entries (issue 13, slice 3): every profile Debian's Chromium
// decodes, in packetization modes 1 and 0, is offered by a call's router, is
// forwarded as it was produced, and is decoded by a Chromium receiver; a
// High-profile stream is refused (mediasoup does not transcode).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { types as ms } from 'mediasoup';
import type { WorkerPool } from '../../src/sfu/index.ts';
import { ROUTER_CODECS, H264_PROFILES } from '../../src/sfu/index.ts';
import { launchChromium } from '../support/browser.ts';
import { pollPage } from '../support/pages.ts';
import { bundle, servePage } from '../support/page-server.ts';
import { startPool } from '../support/pool.ts';
import { MediaSession } from '../support/media-session.ts';

const ENTRIES = H264_PROFILES.flatMap((profile) => [1, 0].map((mode) => ({ profile, mode })));

function h264Of(codecs: ms.RtpCodecParameters[] | ms.RtpCodecCapability[]): Array<{ profile: unknown; mode: unknown }> {
  return codecs.filter((c) => c.mimeType === 'video/H264')
    .map((c) => ({ profile: c.parameters?.['profile-level-id'], mode: c.parameters?.['packetization-mode'] }));
}

describe('H.264 profiles through a call router', () => {
  let pool: WorkerPool;
  let router: ms.Router;
  let session: MediaSession;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let server: { url: string; close: () => Promise<void> };
  let tab: Page;

  beforeAll(async () => {
    pool = await startPool(1);
    const created = await pool.createRouter({ mediaCodecs: ROUTER_CODECS });
    router = created.router;
    session = new MediaSession(router, created.webRtcServer, 'udp');
    chromium = await launchChromium();
    server = await servePage(await bundle(join(import.meta.dirname, 'fixtures', 'h264-loopback.ts')));
    tab = await (await chromium.browser.newContext()).newPage();
    await tab.exposeFunction('signal', (method: string, data: unknown) => session.handle(method, data));
    await tab.goto(server.url);
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    router?.close();
    await pool?.close();
  });

  it('the router offers each decodable profile in packetization modes 1 and 0, Constrained Baseline mode 1 first', () => {
    const offered = h264Of(router.rtpCapabilities.codecs!);
    expect(offered).toEqual(ENTRIES);
  });

  it('this Chromium receives every profile the router offers and no High profile', async () => {
    const receivable = await tab.evaluate(() => window.h264Receivable());
    for (const { profile, mode } of ENTRIES) {
      expect(receivable.some((fmtp) => fmtp.includes(`profile-level-id=${profile}`) && fmtp.includes(`packetization-mode=${mode}`)),
        `${profile} mode ${mode} in ${receivable.join(' | ')}`).toBe(true);
    }
    expect(receivable.some((fmtp) => /profile-level-id=64/.test(fmtp)), 'no High profile here').toBe(false);
  });

  // Chromium encodes every profile but 'f4' (it only decodes that one): those loops run camera → router → Chromium.
  for (const { profile, mode } of ENTRIES.filter((e) => e.profile !== 'f4001f')) {
    it(`a producer in H.264 ${profile} mode ${mode} is consumed in that entry and the Chromium receiver decodes it`, async () => {
      const consumerId = await tab.evaluate(([p, m]) => window.runH264(p, m), [profile, mode] as const);
      const consumer = session.consumers.get(consumerId)!;
      const producer = session.producers.get(consumer.producerId)!;
      expect(h264Of(producer.rtpParameters.codecs)).toEqual([{ profile, mode }]);
      expect(h264Of(consumer.rtpParameters.codecs)).toEqual([{ profile, mode }]);
      const stats = await pollPage(tab, async (id) => {
        const s = await window.h264Stats(id);
        return s.framesDecoded > 0 ? s : false;
      }, consumerId, 30_000);
      expect(stats.framesDecoded).toBeGreaterThan(0);
      expect(stats.receivedCodec).toContain(`profile-level-id=${profile}`);
      expect(stats.receivedCodec).toContain(`packetization-mode=${mode}`);
    });
  }

  for (const mode of [1, 0]) {
    it(`a plain-RTP producer in H.264 f4001f mode ${mode} (a station's stream) is negotiated with the Chromium receiver in that entry`, async () => {
      const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
      try {
        const producer = await transport.produce({
          kind: 'video',
          rtpParameters: {
            codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: { 'packetization-mode': mode, 'profile-level-id': 'f4001f' } }],
            encodings: [{ ssrc: 4000 + mode }],
          },
        });
        session.producers.set(producer.id, producer);
        const accepted = await tab.evaluate((id) => window.consumeOnly(id), producer.id);
        expect(accepted.filter((c) => c.mimeType === 'video/H264').map((c) => [c.parameters['profile-level-id'], c.parameters['packetization-mode']]))
          .toEqual([['f4001f', mode]]);
      } finally {
        transport.close();
      }
    });
  }

  it('a High-profile producer (a door station sending 640c1f) is refused: it cannot be shown without transcoding', async () => {
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
    try {
      await expect(transport.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [{ mimeType: 'video/H264', payloadType: 99, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '640c1f' } }],
          encodings: [{ ssrc: 1234 }],
        },
      })).rejects.toThrow(/unsupported codec/i);
      expect(transport.closed).toBe(false);
    } finally {
      transport.close();
    }
  });
});
