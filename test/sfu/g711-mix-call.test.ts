// The G.711 mix inside a real mediasoup router: a telephone (a plain-RTP
// participant of kind sip) in a call with a terminal and a desk (each sending a
// PCMU tone through a plain test input) hears first the terminal alone, then —
// once it consumes the desk's audio too — one stream of its own SSRC carrying
// both tones, and the terminal alone again when the desk leaves; the others
// still hear the telephone. A fourth party and a mix beyond the process's
// budget are refused by name, and the budget returns when the call ends. Two
// consumes at once leave one stream (the mix), and a mix paced by a manual time
// source that jumps 1 s sends its next packet 1 s later in RTP time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerPool } from '../../src/sfu/index.ts';
import { MixBudget, ParticipantMix, SfuMediaPort } from '../../src/sfu/index.ts';
import type { CallMedia, MediaParameters } from '../../src/calls/index.ts';
import { startPool } from '../support/pool.ts';
import { ToneEar, ToneMouth, carries } from '../support/g711-tones.ts';

const PCMU = { mimeType: 'audio/PCMU', payloadType: 0, clockRate: 8000 };
const params = (ssrc: number) => ({ codecs: [PCMU], encodings: [{ ssrc }] }) as unknown as MediaParameters;

describe('a telephone in a call of three hears one G.711 mix', () => {
  let pool: WorkerPool;
  let port: SfuMediaPort;
  const closers: Array<{ close(): void }> = [];

  beforeAll(async () => {
    pool = await startPool();
    port = new SfuMediaPort(pool, { maxParticipants: 3, budget: new MixBudget(1), settings: { depthFrames: 3, dropAfterFrames: 50 } });
  });
  afterAll(async () => {
    for (const c of closers.reverse()) c.close();
    await pool?.close();
  });

  /** A participant that sends a tone in through a plain input (comedia) and hears through a plain output. */
  async function party(media: CallMedia, id: string, kind: 'terminal' | 'desk' | 'sip', hz: number, ssrc: number) {
    media.join({ id, kind, audioCodec: 'audio/PCMU' });
    const input = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: true });
    const producerId = await media.produce(id, input.id, 'audio', params(ssrc));
    const mouth = new ToneMouth('PCMU', hz, ssrc);
    closers.push(mouth);
    await mouth.start(input.port);
    const ear = new ToneEar();
    closers.push(ear);
    const output = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: false });
    await media.connectPlain(id, output.id, { ip: '127.0.0.1', port: await ear.bind() });
    /** Consumes another's producer on the output, resumed (as the SIP leg does). */
    const hear = async (producer: string) => {
      const consumer = await media.consume(id, output.id, producer);
      await media.resume(id, consumer.id);
      return consumer;
    };
    return { id, producerId, ear, mouth, hear, output: output.id };
  }

  it('mixes the terminal and the desk for the telephone, keeps its stream when the desk leaves, and the others still hear the telephone', async () => {
    const media = await port.open('call-mix');
    closers.push(media);
    const terminal = await party(media, 'terminal-1', 'terminal', 440, 1001);
    const phone = await party(media, 'pbx-phone', 'sip', 1800, 1003);
    await phone.hear(terminal.producerId);
    const direct = await phone.ear.more(10);
    expect(carries(ToneEar.samples(direct.slice(-5), 'PCMU'), 440)).toBe(true);

    const desk = await party(media, 'desk-1', 'desk', 1000, 1002);
    const mixConsumer = await phone.hear(desk.producerId);
    expect(mixConsumer.kind).toBe('audio');
    // The telephone holds one audio consumer now (the mix's), not one per source.
    expect(media.consumersOf('pbx-phone').map((c) => c.consumerId)).toEqual([mixConsumer.id]);
    const mixSsrc = (await phone.ear.until(() => phone.ear.packets.at(-1)!.ssrc !== direct[0]!.ssrc), phone.ear.packets.at(-1)!.ssrc);
    // A second of the mix after its buffers filled: one SSRC, both tones, nothing of the telephone's own.
    const mixed = await phone.ear.more(60);
    expect(new Set(mixed.map((p) => p.ssrc))).toEqual(new Set([mixSsrc]));
    const sequenceSteps = mixed.slice(1).map((p, i) => (p.sequenceNumber - mixed[i]!.sequenceNumber + 65536) % 65536);
    expect(new Set(sequenceSteps)).toEqual(new Set([1]));
    const both = ToneEar.samples(mixed.slice(-25), 'PCMU');
    expect([carries(both, 440), carries(both, 1000), carries(both, 1800)]).toEqual([true, true, false]);

    // The browsers need no mix: each consumes the telephone's stream as it is.
    await terminal.hear(phone.producerId);
    await desk.hear(phone.producerId);
    for (const ear of [terminal.ear, desk.ear]) {
      const heard = await ear.more(10);
      expect(carries(ToneEar.samples(heard.slice(-5), 'PCMU'), 1800)).toBe(true);
    }

    // The desk leaves: its source goes from the mix, the telephone's stream (same SSRC) goes on with the terminal.
    media.leave('desk-1');
    const after = await phone.ear.more(40, mixSsrc);
    const alone = ToneEar.samples(after.slice(-20), 'PCMU');
    expect([carries(alone, 440), carries(alone, 1000)]).toEqual([true, false]);
    // The mix goes with the call: its router, transports and the process's budget.
    expect(port.mixesInUse).toBe(1);
    media.close();
    expect(port.mixesInUse).toBe(0);
  });

  it('decides direct or mixed one consume at a time: a telephone that consumes two producers at once holds only the mix (review s23 #7)', async () => {
    const media = await port.open('call-mix-race');
    closers.push(media);
    const terminal = await party(media, 'terminal-1', 'terminal', 440, 2001);
    const desk = await party(media, 'desk-1', 'desk', 1000, 2002);
    const phone = await party(media, 'pbx-phone', 'sip', 1800, 2003);
    // What the SIP legs do on connecting: one consume per producer, none awaited before the next.
    const answers = await Promise.all([terminal.producerId, desk.producerId].map((producer) => media.consume('pbx-phone', phone.output, producer)));
    const held = media.consumersOf('pbx-phone');
    expect(held).toHaveLength(1);
    expect(answers.at(-1)!.id).toBe(held[0]!.consumerId);
    await media.resume('pbx-phone', held[0]!.consumerId);
    const first = await phone.ear.more(1);
    const mixed = await phone.ear.more(60);
    expect(new Set(mixed.map((p) => p.ssrc))).toEqual(new Set([first[0]!.ssrc]));
    const both = ToneEar.samples(mixed.slice(-25), 'PCMU');
    expect([carries(both, 440), carries(both, 1000), carries(both, 1800)]).toEqual([true, true, false]);
    media.close();
    expect(port.mixesInUse).toBe(0);
  });

  it('after an event-loop stall of 1 s the mix\'s next packet is 1 s later in RTP time, one sequence number on, marked (review s23 #8)', async () => {
    const media = await port.open('call-mix-stall');
    closers.push(media);
    let now = 0;
    const mix = await ParticipantMix.open(media.router, 'PCMU', { depthFrames: 3, dropAfterFrames: 50 }, { callId: 'call-mix-stall', participantId: 'pbx-phone' }, () => undefined, () => now);
    closers.push(mix);
    const ear = new ToneEar();
    closers.push(ear);
    const out = await media.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
    await out.connect({ ip: '127.0.0.1', port: await ear.bind() });
    await out.consume({ producerId: mix.producerId, rtpCapabilities: media.router.rtpCapabilities });
    // The time source stands still between the steps: only the frames due are sent. The first frame (due at once, the
    // only one marked) may have gone before the consumer existed; the second is the first unmarked packet.
    now += 20;
    await ear.until(() => ear.packets.some((p) => !p.marker));
    const before = ear.packets.at(-1)!;
    now += 1000;
    const [after] = await ear.more(1);
    now += 20;
    const [next] = await ear.more(1);
    expect([(after!.sequenceNumber - before.sequenceNumber) & 0xffff, (after!.timestamp - before.timestamp) >>> 0, after!.marker]).toEqual([1, 8000, true]);
    expect([(next!.sequenceNumber - after!.sequenceNumber) & 0xffff, (next!.timestamp - after!.timestamp) >>> 0, next!.marker]).toEqual([1, 160, false]);
    expect(mix.counters.skipped).toBe(49);
    mix.close();
    media.close();
  });

  it('refuses a fourth party and a mix beyond the process\'s budget by name, and frees the budget with the call', async () => {
    const first = await port.open('call-limits-1');
    closers.push(first);
    first.join({ id: 'terminal-1', kind: 'terminal' });
    first.join({ id: 'pbx-phone', kind: 'sip', audioCodec: 'audio/PCMU' });
    first.join({ id: 'desk-1', kind: 'desk' });
    expect(port.mixesInUse).toBe(1);
    expect(() => first.join({ id: 'desk-2', kind: 'desk' })).toThrow(expect.objectContaining({ code: 'conflict', why: expect.objectContaining({ reason: 'call.participant-limit' }) }));
    // Asked before a colleague is rung (review s23 #6): the same refusal, nothing reserved.
    expect(() => first.assertRoomFor('desk')).toThrow(expect.objectContaining({ code: 'conflict', why: expect.objectContaining({ reason: 'call.participant-limit' }) }));
    expect(port.mixesInUse).toBe(1);
    // A ringing desk prepares beside them; only its answer counts.
    first.join({ id: 'desk-3', kind: 'desk', preparing: true });
    expect(() => first.join({ id: 'desk-3', kind: 'desk' })).toThrow(expect.objectContaining({ code: 'conflict' }));

    const second = await port.open('call-limits-2');
    closers.push(second);
    second.join({ id: 'terminal-2', kind: 'terminal' });
    second.join({ id: 'pbx-phone-2', kind: 'sip', audioCodec: 'audio/PCMA' });
    expect(() => second.join({ id: 'desk-4', kind: 'desk' })).toThrow(expect.objectContaining({ code: 'conflict', why: expect.objectContaining({ reason: 'call.mix-limit' }) }));
    expect(() => second.assertRoomFor('desk')).toThrow(expect.objectContaining({ code: 'conflict', why: expect.objectContaining({ reason: 'call.mix-limit' }) }));
    // Browsers only need no mix.
    const browsers = await port.open('call-limits-3');
    closers.push(browsers);
    for (const id of ['t', 'd1', 'd2', 'd3']) browsers.join({ id, kind: id === 't' ? 'terminal' : 'desk' });

    browsers.assertRoomFor('desk');

    first.close();
    expect(port.mixesInUse).toBe(0);
    second.assertRoomFor('desk');
    expect(port.mixesInUse).toBe(0);
    second.join({ id: 'desk-4', kind: 'desk' });
    expect(port.mixesInUse).toBe(1);
    second.leave('pbx-phone-2');
    expect(port.mixesInUse).toBe(0);
  });
});
