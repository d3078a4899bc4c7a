// The SFU's MediaPort with a plain-RTP participant (Node UDP sockets) next to a
// WebRTC participant: it receives the others' packets in the codec it joined
// with; a producer in another codec is refused (mediasoup never transcodes);
// with rtc.mix.max_participants 2 a third party cannot join a call with a
// non-browser participant (the mix itself: g711-mix-call.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:dgram';
import { boundUdpSocket, rtpPacket } from '../support/rtp-counter.ts';
import type { WorkerPool } from '../../src/sfu/index.ts';
import { MixBudget, SfuMediaPort } from '../../src/sfu/index.ts';
import type { CallMedia, MediaParameters } from '../../src/calls/index.ts';
import { startPool } from '../support/pool.ts';

const OPUS = { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
const PCMU = { mimeType: 'audio/PCMU', payloadType: 0, clockRate: 8000 };
const PCMA = { mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 };
const params = (codec: object, ssrc: number) => ({ codecs: [codec], encodings: [{ ssrc }] }) as unknown as MediaParameters;


/** Resolves with the first `count` RTP packets (RTCP ignored) the socket receives. */
function packets(socket: Socket, count: number): Promise<Array<{ payloadType: number; ssrc: number }>> {
  return new Promise((resolve, reject) => {
    const got: Array<{ payloadType: number; ssrc: number }> = [];
    const timer = setTimeout(() => { socket.off('message', on); reject(new Error(`received ${got.length} of ${count} RTP packets`)); }, 10_000);
    const on = (msg: Buffer) => {
      const pt = msg[1]! & 0x7f;
      if (msg.length < 12 || (pt >= 72 && pt <= 76)) return;
      got.push({ payloadType: pt, ssrc: msg.readUInt32BE(8) });
      if (got.length < count) return;
      clearTimeout(timer);
      socket.off('message', on);
      resolve(got);
    };
    socket.on('message', on);
  });
}

describe('call media with a plain-RTP participant', () => {
  let pool: WorkerPool;
  let port: SfuMediaPort;
  const sockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  const medias: CallMedia[] = [];

  beforeAll(async () => {
    pool = await startPool();
    port = new SfuMediaPort(pool);
  });
  afterAll(async () => {
    timers.forEach(clearInterval);
    sockets.forEach((s) => s.close());
    medias.forEach((m) => m.close());
    await pool?.close();
  });

  /** A call whose terminal (a WebRTC participant) also sends audio in `codec` through a plain test input. */
  async function callWithTerminalAudio(codec: typeof OPUS | typeof PCMU, ssrc: number) {
    const media = await port.open(`call-${ssrc}`);
    medias.push(media);
    media.join({ id: 'terminal-1', kind: 'terminal' });
    const webrtc = await media.createWebRtcTransport('terminal-1');
    expect(webrtc.iceCandidates.length).toBeGreaterThan(0);
    const input = await media.createPlainTransport('terminal-1', { ip: '127.0.0.1', comedia: true });
    const producerId = await media.produce('terminal-1', input.id, 'audio', params(codec, ssrc));
    const sender = await boundUdpSocket();
    sockets.push(sender.socket);
    let seq = 0;
    // Paced like a real sender (one packet per 20 ms) until the test ends.
    timers.push(setInterval(() => sender.socket.send(rtpPacket(codec.payloadType, ++seq, ssrc), input.port, '127.0.0.1'), 20));
    return { media, producerId };
  }

  async function plainParticipant(media: CallMedia, id: string, audioCodec: 'audio/opus' | 'audio/PCMU' | 'audio/PCMA') {
    media.join({ id, kind: 'sip', audioCodec });
    const receiver = await boundUdpSocket();
    sockets.push(receiver.socket);
    const output = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: false });
    await media.connectPlain(id, output.id, { ip: '127.0.0.1', port: receiver.port });
    return { receiver, output };
  }

  it('receives a browser participant\'s opus RTP in opus; asking for PCMU is refused by name', async () => {
    const { media, producerId } = await callWithTerminalAudio(OPUS, 4001);
    const events: string[] = [];
    media.observer.on('newparticipant', (p) => events.push(`joined ${p.id} ${p.kind} ${p.audioCodec}`));
    media.observer.on('participantleft', (p) => events.push(`left ${p.id}`));

    const pcmu = await plainParticipant(media, 'pbx-phone', 'audio/PCMU');
    expect(media.producersFor('pbx-phone')).toEqual([{ producerId, kind: 'audio', participantId: 'terminal-1' }]);
    await expect(media.consume('pbx-phone', pcmu.output.id, producerId)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/does not transcode/) });
    media.leave('pbx-phone');

    const opus = await plainParticipant(media, 'opus-phone', 'audio/opus');
    const consumer = await media.consume('opus-phone', opus.output.id, producerId);
    const codec = (consumer.rtpParameters as any).codecs[0];
    expect(codec.mimeType).toBe('audio/opus');
    const arriving = packets(opus.receiver.socket, 5);
    await media.resume('opus-phone', consumer.id);
    const got = await arriving;
    expect(new Set(got.map((p) => p.payloadType))).toEqual(new Set([codec.payloadType]));
    expect(new Set(got.map((p) => p.ssrc))).toEqual(new Set([(consumer.rtpParameters as any).encodings[0].ssrc]));
    expect(media.counts('opus-phone')).toEqual({ transports: 1, producers: 0, consumers: 1 });
    expect(events).toEqual(['joined pbx-phone sip audio/PCMU', 'left pbx-phone', 'joined opus-phone sip audio/opus']);
  });

  it('delivers PCMU to a PCMU participant when a participant produces PCMU', async () => {
    const { media, producerId } = await callWithTerminalAudio(PCMU, 4002);
    const phone = await plainParticipant(media, 'pbx-phone', 'audio/PCMU');
    const consumer = await media.consume('pbx-phone', phone.output.id, producerId);
    expect((consumer.rtpParameters as any).codecs[0]).toMatchObject({ mimeType: 'audio/PCMU', payloadType: 0 });
    const arriving = packets(phone.receiver.socket, 5);
    await media.resume('pbx-phone', consumer.id);
    expect(new Set((await arriving).map((p) => p.payloadType))).toEqual(new Set([0]));
  });

  it('a codec change closes the participant\'s audio producer in the old codec, so it produces again in the new one', async () => {
    const media = await port.open('call-codec-change');
    medias.push(media);
    media.join({ id: 'terminal-1', kind: 'terminal' });
    const input = await media.createPlainTransport('terminal-1', { ip: '127.0.0.1', comedia: true });
    const opusId = await media.produce('terminal-1', input.id, 'audio', params(OPUS, 4003));
    const phone = await plainParticipant(media, 'pbx-phone', 'audio/PCMA');
    await expect(media.consume('pbx-phone', phone.output.id, opusId)).rejects.toMatchObject({ code: 'unavailable' });
    // One audio producer per participant: a second one is refused while the opus one exists.
    await expect(media.produce('terminal-1', input.id, 'audio', params(PCMA, 4004))).rejects.toMatchObject({ code: 'conflict' });
    // A telephone answered in PCMA: the terminal receives and must send PCMA; its opus producer is gone.
    media.setAudioCodec('terminal-1', 'audio/PCMA');
    expect(media.participant('terminal-1')).toMatchObject({ audioCodec: 'audio/PCMA' });
    expect(media.producersFor('pbx-phone')).toEqual([]);
    // An opus produce still on its way when the codec changed is refused by name.
    await expect(media.produce('terminal-1', input.id, 'audio', params(OPUS, 4005))).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/audio\/PCMA now/) });
    const pcmaId = await media.produce('terminal-1', input.id, 'audio', params(PCMA, 4004));
    const consumer = await media.consume('pbx-phone', phone.output.id, pcmaId);
    expect((consumer.rtpParameters as any).codecs[0]).toMatchObject({ mimeType: 'audio/PCMA', payloadType: 8 });
  });

  it('an opus produce still on its way when a telephone fixes the codec to PCMA is refused after its await, and the PCMA produce that follows takes the audio slot', async () => {
    const media = await port.open('call-codec-race');
    medias.push(media);
    media.join({ id: 'terminal-1', kind: 'terminal' });
    const input = await media.createPlainTransport('terminal-1', { ip: '127.0.0.1', comedia: true });
    const phone = await plainParticipant(media, 'pbx-phone', 'audio/PCMA');
    const told: string[] = [];
    media.observer.on('newproducer', (p) => told.push(`${p.participantId} ${p.kind}`));
    // The page's opus produce has passed the early codec check when the phone answers in PCMA.
    const opus = media.produce('terminal-1', input.id, 'audio', params(OPUS, 4006));
    media.setAudioCodec('terminal-1', 'audio/PCMA');
    await expect(opus).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/audio\/PCMA now/) });
    expect(media.counts('terminal-1')).toEqual({ transports: 1, producers: 0, consumers: 0 });
    // The page retries in PCMA: the slot is free and the phone can consume it.
    const pcmaId = await media.produce('terminal-1', input.id, 'audio', params(PCMA, 4007));
    expect(media.producersFor('pbx-phone')).toEqual([{ producerId: pcmaId, kind: 'audio', participantId: 'terminal-1' }]);
    const consumer = await media.consume('pbx-phone', phone.output.id, pcmaId);
    expect((consumer.rtpParameters as any).codecs[0]).toMatchObject({ mimeType: 'audio/PCMA', payloadType: 8 });
    expect(told).toEqual(['terminal-1 audio']);
  });

  it('lets any number of browser participants each consume every other participant\'s producers', async () => {
    const media = await port.open('call-many');
    medias.push(media);
    const ids = ['terminal-1', 'desk-1', 'desk-2'];
    const produced = new Map<string, string>();
    const told: string[] = [];
    media.observer.on('newproducer', (p) => told.push(`${p.participantId} ${p.kind}`));
    for (const [i, id] of ids.entries()) {
      media.join({ id, kind: id.startsWith('terminal') ? 'terminal' : 'desk' });
      const input = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: true });
      produced.set(id, await media.produce(id, input.id, 'audio', params(OPUS, 5000 + i)));
    }
    expect(told).toEqual(['terminal-1 audio', 'desk-1 audio', 'desk-2 audio']);
    for (const id of ids) {
      const others = ids.filter((x) => x !== id).map((x) => ({ producerId: produced.get(x), kind: 'audio', participantId: x }));
      expect(media.producersFor(id)).toEqual(others);
      // Each consumes both others on its second transport.
      const out = await media.createPlainTransport(id, { ip: '127.0.0.1', comedia: true });
      for (const o of others) await media.consume(id, out.id, o.producerId!);
      expect(media.counts(id)).toEqual({ transports: 2, producers: 1, consumers: 2 });
      // Its own producer is not for it to consume.
      await expect(media.consume(id, out.id, produced.get(id)!)).rejects.toMatchObject({ code: 'not-found' });
    }
  });

  it('reports a producer\'s score to the observer once its RTP flows', async () => {
    const { media, producerId } = await callWithTerminalAudio(OPUS, 4003);
    const score = await new Promise<[string, string, number]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no score within 10 s')), 10_000);
      media.observer.on('score', (...args) => { clearTimeout(timer); resolve(args); });
    });
    expect(score[0]).toBe(producerId);
    expect(score[1]).toBe('terminal-1');
    expect(score[2]).toBeGreaterThan(0);
  });

  it('refuses a third party in a call with a non-browser participant when mixing is off (max_participants 2), and closes everything with the call', async () => {
    const twoParty = new SfuMediaPort(pool, { maxParticipants: 2, budget: new MixBudget(10), settings: { depthFrames: 3, dropAfterFrames: 50 } });
    const media = await twoParty.open('call-three');
    media.join({ id: 'terminal-1', kind: 'terminal' });
    media.join({ id: 'pbx-phone', kind: 'sip', audioCodec: 'audio/PCMU' });
    expect(() => media.join({ id: 'desk-1', kind: 'desk' })).toThrow(expect.objectContaining({ code: 'conflict', why: expect.objectContaining({ reason: 'call.participant-limit' }) }));
    const closed: string[] = [];
    media.observer.on('close', () => closed.push('close'));
    const routers = () => pool.status().reduce((n, w) => n + w.routers, 0);
    const before = routers();
    media.close();
    media.close();
    expect(closed).toEqual(['close']);
    expect(routers()).toBe(before - 1);
    await expect(media.createWebRtcTransport('terminal-1')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('refuses a third party in a call whose telephone speaks opus (call.mix-codec: a mix is G.711), asked before and at the join; a G.711 telephone\'s call takes it', async () => {
    const refused = expect.objectContaining({ code: 'conflict', why: { reason: 'call.mix-codec', params: { codec: 'opus' } } });
    const opus = await port.open('call-opus-phone');
    medias.push(opus);
    opus.join({ id: 'terminal-1', kind: 'terminal' });
    opus.join({ id: 'pbx-phone', kind: 'sip', audioCodec: 'audio/opus' });
    expect(() => opus.assertRoomFor!('desk')).toThrow(refused);
    expect(() => opus.join({ id: 'desk-1', kind: 'desk' })).toThrow(refused);
    expect(opus.participants().map((p) => p.id)).toEqual(['terminal-1', 'pbx-phone']);
    // A telephone that joined in G.711 takes a third party until its answer fixes opus (SipLeg: setAudioCodec before the answer admits it).
    const g711 = await port.open('call-g711-phone');
    medias.push(g711);
    g711.join({ id: 'terminal-1', kind: 'terminal' });
    g711.join({ id: 'pbx-phone', kind: 'sip', audioCodec: 'audio/PCMU' });
    expect(() => g711.assertRoomFor!('desk')).not.toThrow();
    g711.setAudioCodec('pbx-phone', 'audio/opus');
    expect(() => g711.assertRoomFor!('desk')).toThrow(refused);
  });

  it('asked for a telephone taking another\'s place (a PBX\'s move, review s26 #2): the leaving one\'s mix counts as given back, the joining one\'s codec as it answered', async () => {
    const onePort = new SfuMediaPort(pool, { maxParticipants: 4, budget: new MixBudget(1), settings: { depthFrames: 3, dropAfterFrames: 50 } });
    const media = await onePort.open('call-swap');
    medias.push(media);
    media.join({ id: 'terminal-1', kind: 'terminal' });
    media.join({ id: 'desk-1', kind: 'desk' });
    media.join({ id: 'pbx-old', kind: 'sip', audioCodec: 'audio/PCMU' });
    media.join({ id: 'pbx-new', kind: 'sip', audioCodec: 'audio/PCMA', preparing: true });
    const swap = { joining: 'pbx-new', leaving: 'pbx-old' };
    // Beside the old one the new one would need a second mix; in its place, the one the old one gives back.
    expect(() => media.assertRoomFor!('sip')).toThrow(expect.objectContaining({ code: 'conflict', why: expect.objectContaining({ reason: 'call.mix-limit' }) }));
    expect(() => media.assertRoomFor!('sip', swap)).not.toThrow();
    media.setAudioCodec('pbx-new', 'audio/opus');
    expect(() => media.assertRoomFor!('sip', swap)).toThrow(expect.objectContaining({ code: 'conflict', why: { reason: 'call.mix-codec', params: { codec: 'opus' } } }));
  });
});
