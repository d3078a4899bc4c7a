// A participant's media limits hold under parallel requests: a burst of
// media.transport gets exactly the two transports a participant may hold, a
// burst of media.produce of one kind exactly one producer; every other request
// is refused with `conflict` (never an internal error, never a third transport).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

const BURST = 100;
const opus = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }],
});

describe('media limits under parallel requests', () => {
  let gw: Gw;
  let site: SiteFixture;
  let terminal: Socket;
  let desk: Socket;
  let callId: string;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    desk = await connect(gw, '/desk', site.users.anna!.cookie);
    terminal = await connect(gw, '/terminal', site.terminal.cookie);
    const ring = next(desk, 'call.ring');
    ({ callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] }));
    await ring;
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    terminal?.close();
    desk?.close();
    await gw?.close();
  });

  const burst = (socket: Socket, event: string, payload: (i: number) => unknown) =>
    Promise.all(Array.from({ length: BURST }, (_, i) => ack(socket, event, payload(i))));

  const granted = new Map<Socket, string[]>();

  it('grants exactly two transports per participant to a burst and refuses the rest with conflict', async () => {
    for (const socket of [terminal, desk]) {
      const results = await burst(socket, 'media.transport', () => ({ callId }));
      const ok = results.filter((r) => r.ok);
      expect(ok).toHaveLength(2);
      granted.set(socket, ok.map((r) => r.transport.id));
      const refused = results.filter((r) => !r.ok);
      expect(refused).toHaveLength(BURST - 2);
      expect(new Set(refused.map((r) => r.error))).toEqual(new Set(['conflict']));
    }
    // Nothing was created beyond the limit, and the limit still holds afterwards.
    expect(await ack(terminal, 'media.transport', { callId })).toMatchObject({ ok: false, error: 'conflict' });
  });

  it('grants one producer per kind to a burst and refuses the rest with conflict', async () => {
    const transportId = granted.get(desk)?.[0] ?? (await ack(desk, 'media.transport', { callId })).transport.id;
    const results = await burst(desk, 'media.produce', (i) => ({ callId, transportId, kind: 'audio', rtpParameters: opus(1000 + i) }));
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(1);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(BURST - 1);
    expect(new Set(refused.map((r) => r.error))).toEqual(new Set(['conflict']));
    // The terminal is told of the one producer, and it is the one to consume.
    expect(await next(terminal, 'media.producer')).toEqual({ callId, kind: 'audio', producerId: ok[0].producerId });
    expect((await ack(terminal, 'media.capabilities', { callId })).producers).toEqual([{ producerId: ok[0].producerId, kind: 'audio' }]);
  });

  it('grants one consumer per producer to a burst of media.consume and refuses the copies with conflict', async () => {
    const producerId = (await ack(terminal, 'media.capabilities', { callId })).producers[0].producerId as string;
    const caps = (await ack(terminal, 'media.capabilities', { callId })).rtpCapabilities;
    const transportId = granted.get(terminal)![1]!;
    const results = await burst(terminal, 'media.consume', () => ({ callId, transportId, producerId, rtpCapabilities: caps }));
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(1);
    const refused = results.filter((r) => !r.ok);
    expect(new Set(refused.map((r) => r.error))).toEqual(new Set(['conflict']));
    expect(refused).toHaveLength(BURST - 1);
  });
});
