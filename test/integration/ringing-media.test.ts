// The order of events around the answer: a desk that is being rung prepares its
// media (capabilities, transports, the visitor's producers consumed) while the
// gateway keeps every consumer paused until it answers — the visitor's video
// too unless the site allows a preview — and resumes them before the answer's
// ack. What a ringing desk produces (to connect its send transport) the terminal
// may consume at once (its receive transport connects too) but it stays paused
// until that desk answered, and is announced again then; a desk the call does
// not ring gets nothing, and a desk that stops ringing loses what it prepared.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { types as ms } from 'mediasoup';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';

const opus = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };
const vp8 = { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 2222 }] };

describe('media of a ringing desk', () => {
  for (const preview of [false, true]) {
    describe(preview ? 'on a site that allows a preview' : 'on a site without a preview (the default)', () => {
      let gw: Gw;
      let site: SiteFixture;
      const open: Socket[] = [];
      const client = async (ns: '/terminal' | '/desk', cookie: string) => {
        const s = await connect(gw, ns, cookie);
        open.push(s);
        return s;
      };

      beforeAll(async () => {
        gw = await startGateway(preview ? { PORTIER_CALLS__RINGING_PREVIEW_SITES: '[hq]' } : {});
        site = await seedSite(gw);
      });
      afterEach(() => { open.splice(0).forEach((s) => s.close()); });
      afterAll(async () => { await gw?.close(); });

      /** A call from the terminal to `entry`, the terminal producing audio and video; every consumer the gateway creates is recorded. */
      const callWithProducers = async (entry: string, desks: Socket[]) => {
        const terminal = await client('/terminal', site.terminal.cookie);
        const rings = desks.map((d) => next(d, 'call.ring'));
        const started = await ack(terminal, 'call.start', { entryId: site.entries[entry] });
        const callId: string = started.callId;
        await Promise.all(rings);
        const consumers: ms.Consumer[] = [];
        const media = gw.gateway.services.calls.get(callId).media as SfuCallMedia;
        media.router.observer.on('newtransport', (t) => t.observer.on('newconsumer', (c) => consumers.push(c)));
        const { transport } = await ack(terminal, 'media.transport', { callId });
        const producers: Record<'audio' | 'video', string> = {
          audio: (await ack(terminal, 'media.produce', { callId, transportId: transport.id, kind: 'audio', rtpParameters: opus })).producerId,
          video: (await ack(terminal, 'media.produce', { callId, transportId: transport.id, kind: 'video', rtpParameters: vp8 })).producerId,
        };
        return { terminal, callId, media, consumers, producers };
      };

      /** What a ringing desk does when the ring arrives: capabilities, a receive transport, consume and resume each producer. */
      const prepare = async (desk: Socket, callId: string) => {
        const caps = await ack(desk, 'media.capabilities', { callId });
        expect(caps).toMatchObject({ ok: true });
        const { transport } = await ack(desk, 'media.transport', { callId });
        const consumed: Record<string, string> = {};
        for (const { producerId, kind } of caps.producers as Array<{ producerId: string; kind: string }>) {
          const c = await ack(desk, 'media.consume', { callId, transportId: transport.id, producerId, rtpCapabilities: caps.rtpCapabilities });
          expect(c).toMatchObject({ ok: true, consumer: { producerId, kind } });
          expect(await ack(desk, 'media.resume', { callId, consumerId: c.consumer.id })).toEqual({ ok: true });
          consumed[kind] = c.consumer.id;
        }
        return { transportId: transport.id as string, consumed };
      };

      it('a ringing desk prepares, its consumers stay paused until it answers and flow before the answer\'s ack', async () => {
        const anna = await client('/desk', site.users.anna!.cookie);
        const rita = await client('/desk', site.users.rita!.cookie);
        const { terminal, callId, consumers, producers } = await callWithProducers('Anna Müller', [anna]);
        // The ringing desk hears of the visitor's producers as they come (to prepare)...
        expect(await next(anna, 'media.producer', (m) => m.producerId === producers.video)).toEqual({ callId, producerId: producers.video, kind: 'video' });
        // ...a desk the call does not ring gets nothing and may not touch the call's media.
        expect(await ack(rita, 'media.capabilities', { callId })).toMatchObject({ ok: false, error: 'forbidden' });

        const { transportId, consumed } = await prepare(anna, callId);
        expect(Object.keys(consumed).sort()).toEqual(['audio', 'video']);
        const byId = (id: string) => consumers.find((c) => c.id === id)!;
        // The resume was acknowledged, but the gateway holds the consumers: audio always, video unless a preview is allowed.
        expect(byId(consumed.audio!).paused).toBe(true);
        expect(byId(consumed.video!).paused).toBe(!preview);
        // A ringing desk may produce (its send transport connects early); the terminal may consume it at once, paused until the answer.
        const sendT = await ack(anna, 'media.transport', { callId });
        const early = await ack(anna, 'media.produce', { callId, transportId: sendT.transport.id, kind: 'video', rtpParameters: vp8 });
        expect(early).toMatchObject({ ok: true });
        expect(await next(terminal, 'media.producer', (m) => m.producerId === early.producerId)).toEqual({ callId, producerId: early.producerId, kind: 'video' });
        const recvT = await ack(terminal, 'media.transport', { callId });
        const caps = await ack(terminal, 'media.capabilities', { callId });
        const atTerminal = await ack(terminal, 'media.consume', { callId, transportId: recvT.transport.id, producerId: early.producerId, rtpCapabilities: caps.rtpCapabilities });
        expect(atTerminal).toMatchObject({ ok: true });
        expect(await ack(terminal, 'media.resume', { callId, consumerId: atTerminal.consumer.id })).toEqual({ ok: true });
        expect(byId(atTerminal.consumer.id).paused).toBe(true);

        const events: string[] = [];
        terminal.onAny((event: string, m: { step?: string; producerId?: string }) => events.push(event === 'call.state' ? `state ${m.step}` : `${event} ${m.producerId === early.producerId ? 'early' : m.producerId}`));
        expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true });
        // Before the ack arrived every prepared consumer flows, both ways, without another request.
        expect(byId(consumed.audio!).paused).toBe(false);
        expect(byId(consumed.video!).paused).toBe(false);
        expect(byId(atTerminal.consumer.id).paused).toBe(false);
        // The terminal hears that the call was answered, then again of the answering desk's producer.
        await next(terminal, 'media.producer', (m) => m.producerId === early.producerId);
        expect(events).toEqual(['state answered', 'media.producer early']);
        expect(transportId).not.toBe(sendT.transport.id);
        await ack(terminal, 'call.hangup', { callId });
      });

      it('a desk of a group ring that did not answer loses its prepared media', async () => {
        const rita = await client('/desk', site.users.rita!.cookie);
        const rolf = await client('/desk', site.users.rolf!.cookie);
        const { terminal, callId, media, consumers } = await callWithProducers('Empfang', [rita, rolf]);
        await prepare(rita, callId);
        await prepare(rolf, callId);
        // Rolf produces while ringing: Rita, ringing too, may not consume it; the terminal's consumer of it closes when he stops ringing.
        const rolfSend = await ack(rolf, 'media.transport', { callId });
        const rolfVideo = await ack(rolf, 'media.produce', { callId, transportId: rolfSend.transport.id, kind: 'video', rtpParameters: vp8 });
        const ritaCaps = await ack(rita, 'media.capabilities', { callId });
        expect(ritaCaps.producers.map((p: { producerId: string }) => p.producerId)).not.toContain(rolfVideo.producerId);
        const ritaRecv = await ack(rita, 'media.transport', { callId });
        expect(await ack(rita, 'media.consume', { callId, transportId: ritaRecv.transport.id, producerId: rolfVideo.producerId, rtpCapabilities: ritaCaps.rtpCapabilities }))
          .toMatchObject({ ok: false });
        const termRecv = await ack(terminal, 'media.transport', { callId });
        const ofRolf = await ack(terminal, 'media.consume', { callId, transportId: termRecv.transport.id, producerId: rolfVideo.producerId, rtpCapabilities: ritaCaps.rtpCapabilities });
        expect(ofRolf).toMatchObject({ ok: true });
        expect(consumers.filter((c) => c.appData.participantId === site.users.rolf!.id && c.paused)).toHaveLength(preview ? 1 : 2);
        const stopped = next(rolf, 'call.stop-ring');
        expect(await ack(rita, 'call.answer', { callId })).toMatchObject({ ok: true });
        expect(await stopped).toEqual({ callId, reason: 'answered-elsewhere' });
        // Rolf's transports and consumers are closed, and the call's media is no longer his.
        expect(media.participant(site.users.rolf!.id)).toBeUndefined();
        expect(consumers.filter((c) => c.appData.participantId === site.users.rolf!.id).every((c) => c.closed)).toBe(true);
        expect(consumers.find((c) => c.id === ofRolf.consumer.id)!.closed).toBe(true);
        expect(await ack(rolf, 'media.capabilities', { callId })).toMatchObject({ ok: false, error: 'forbidden' });
        expect(consumers.filter((c) => c.appData.participantId === site.users.rita!.id).every((c) => !c.paused)).toBe(true);
        await ack(terminal, 'call.hangup', { callId });
      });
    });
  }
});
