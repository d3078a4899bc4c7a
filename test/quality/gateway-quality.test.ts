// The gateway wires the quality monitor into the calls' media: a call through
// the real signaling path is watched while it runs and its summary is stored in
// call_quality when it ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type SiteFixture } from '../support/signaling.ts';
import { CallQualityRecords, type CallQualitySummary } from '../../src/quality/index.ts';

describe('quality monitor in the gateway', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await gw?.close();
  });

  it('watches a running call\'s media and stores its summary when the call ends', async () => {
    const { quality, store } = gw.gateway.services;
    const desk = await connect(gw, '/desk', site.users.rita!.cookie);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(desk, terminal);
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    await next(desk, 'call.ring');
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: true });
    expect(quality.watching).toEqual([callId]);

    const stored = new Promise<CallQualitySummary>((resolve) => quality.on('summary', (s) => { if (s.callId === callId) resolve(s); }));
    expect(await ack(desk, 'call.hangup', { callId })).toMatchObject({ ok: true });
    const summary = await stored;
    // No media flowed in this call: no interval had a MOS.
    expect(summary).toMatchObject({ callId, intervals: 0, minMos: null, belowShare: null });
    expect(await new CallQualityRecords(store).get(callId)).toEqual(summary);
    expect(quality.watching).toEqual([]);
  });
});
