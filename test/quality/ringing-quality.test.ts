// The quality monitor measures the participants of a call, not the desks it
// rings: a ringing desk that prepares its media (a transport, its placeholder
// producer, the visitor's producers consumed paused) is in the call's media but
// gets no sample until it answers; then it does. Real gateway, real mediasoup
// worker, the monitor's real interval (1 s here) — the test waits for its samples.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import type { LegSample } from '../../src/quality/index.ts';

const opus = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };
const vp8 = { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 2222 }] };

describe('quality of a call with a ringing desk', () => {
  let gw: Gw;
  let site: SiteFixture;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_QUALITY__INTERVAL_SECONDS: '1' });
    site = await seedSite(gw);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await gw?.close();
  });

  /** The participants sampled in the next whole interval of `callId` (all its samples, read once the interval after it began). */
  const nextInterval = (callId: string): Promise<string[]> => new Promise((resolve) => {
    const { quality } = gw.gateway.services;
    const seen: LegSample[] = [];
    let first: number | null = null;
    const on = (s: LegSample) => {
      if (s.callId !== callId) return;
      first ??= s.interval + 1;
      if (s.interval === first + 1) { quality.off('sample', on); resolve(seen.filter((x) => x.interval === first).map((x) => x.participantId).sort()); }
      seen.push(s);
    };
    quality.on('sample', on);
  });

  it('samples a ringing desk that prepared its media only once it answered', async () => {
    const { calls } = gw.gateway.services;
    const anna = await connect(gw, '/desk', site.users.anna!.cookie);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(anna, terminal);
    const ring = next(anna, 'call.ring');
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    await ring;
    const visitor = calls.get(callId).terminalId;
    const annaId = site.users.anna!.id;

    // The visitor sends; Anna, still ringing, prepares: a transport, her placeholder video, the visitor's producers consumed.
    const t = (await ack(terminal, 'media.transport', { callId })).transport;
    for (const [kind, rtpParameters] of [['audio', opus], ['video', vp8]] as const) {
      expect(await ack(terminal, 'media.produce', { callId, transportId: t.id, kind, rtpParameters })).toMatchObject({ ok: true });
    }
    const caps = await ack(anna, 'media.capabilities', { callId });
    const send = (await ack(anna, 'media.transport', { callId })).transport;
    const recv = (await ack(anna, 'media.transport', { callId })).transport;
    expect(await ack(anna, 'media.produce', { callId, transportId: send.id, kind: 'video', rtpParameters: { ...vp8, encodings: [{ ssrc: 3333 }] } })).toMatchObject({ ok: true });
    for (const { producerId } of caps.producers as Array<{ producerId: string }>) {
      expect(await ack(anna, 'media.consume', { callId, transportId: recv.id, producerId, rtpCapabilities: caps.rtpCapabilities })).toMatchObject({ ok: true });
    }
    expect(calls.get(callId).media!.participant(annaId)).toBeDefined();

    // While the call rings her, only the visitor is measured.
    expect(await nextInterval(callId)).toEqual([visitor]);

    expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true });
    expect(await nextInterval(callId)).toEqual([annaId, visitor].sort());

    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(anna, 'call.hangup', { callId })).toMatchObject({ ok: true });
    await ended;
  });
});
