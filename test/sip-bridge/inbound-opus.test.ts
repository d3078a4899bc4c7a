// A PBX that offers opus calls in through an account whose codecs are
// [opus, pcma, pcmu] (docs/sip.md, "Codecs"): sipp plays the PBX, offering PCMA,
// PCMU and opus at its own dynamic payload type 107 (and telephone-event/48000 at
// 110), in that order — Portier answers in the account's order, opus, at 107. The
// reception's desk answers; its media is played by Node on a plain transport
// producing opus (as a browser does). The desk's opus packets reach the PBX's RTP
// socket at payload type 107 with their payload untouched (no transcoding), and
// the PBX's opus packets reach the desk in opus. The call's participants name opus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpCounter } from '../support/rtp-counter.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, audioProducer } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { PBX_OPUS_PT, opusPacket, opusScenario, payloadOf } from './opus-scenario.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };

describe('an inbound call from a PBX that offers opus', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let scenario: string;
  const peers = new StartedPeers();
  const { open, counters, sipps, timers } = peers;

  beforeAll(async () => {
    const dataDir = peers.dir('portier-inbound-opus-');
    scenario = opusScenario(peers.dir('portier-inbound-opus-sipp-'));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `codecs: [opus, pcma, pcmu], inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${seeded.entries['Empfang']}"}]}}]`));
  });

  afterAll(() => peers.close(gw, kamailio));

  const counter = async () => {
    const c = new RtpCounter();
    counters.push(c);
    return { c, port: await c.bind() };
  };

  it('is answered in opus at the PBX\'s payload type, and opus flows both ways untouched', async () => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ear = await counter();
    const target = `127.0.0.1:${gw.gateway.services.sip.account('pbx')!.transport!.port}`;
    const sipp = await Sipp.uac(scenario, target, { keys: { dialled: '4700', rtp_port: ear.port }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `4700@${target}` } });
    sipps.push(sipp);
    const ring = await next(rita, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    // The telephone talks opus, and so does the desk (it never has to switch: browsers send opus).
    expect(phone.audioCodec).toBe('audio/opus');
    expect(call.participant(site.users.rita!.id)!.audioCodec).toBe('audio/opus');

    // The desk's media, played by Node: opus at the router's own number (100 here), as a browser sends it.
    const media = call.media as SfuCallMedia;
    const deskId = site.users.rita!.id;
    const deskEar = await counter();
    const t = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: true });
    await media.produce(deskId, t.id, 'audio', { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 0xdeaf }] });
    let seq = 0;
    timers.push(setInterval(() => deskEar.c.socket.send(opusPacket(100, ++seq, 0xdeaf), t.port, t.ip), 20));
    const fromPhone = await audioProducer(media, deskId, (id) => id === phone.id);
    const consumer = await media.consume(deskId, t.id, fromPhone.producerId);
    const consumed = (consumer.rtpParameters as { codecs: Array<{ mimeType: string; payloadType: number }> }).codecs[0]!;
    expect(consumed.mimeType).toBe('audio/opus');
    await media.resume(deskId, consumer.id);

    // Desk → PBX: at the PBX's 107, the payload as the desk sent it.
    const payloads: Buffer[] = [];
    ear.c.socket.on('message', (m: Buffer) => { if ((m[1]! & 0x7f) === PBX_OPUS_PT) payloads.push(m); });
    await ear.c.reach(PBX_OPUS_PT, 25);
    expect([...ear.c.byPayloadType.keys()]).toEqual([PBX_OPUS_PT]);
    const payload = payloadOf(payloads.at(-1)!);
    expect(payload.length).toBe(40);
    expect(payload.every((byte) => byte === payload[0])).toBe(true);

    // PBX → desk: the PBX's opus at 107 to the call's RTP socket reaches the desk in opus (the router's number).
    const relay = [...gw.gateway.services.sipInbound.calls].find((c) => c.participantId === phone.id)!.relay!;
    const relayPort = relay.rtpPort;
    let pbxSeq = 0;
    const pbxSends = setInterval(() => ear.c.socket.send(opusPacket(PBX_OPUS_PT, ++pbxSeq, 0xbeef), relayPort, '127.0.0.1'), 20);
    timers.push(pbxSends);
    await deskEar.c.reach(consumed.payloadType, 25);
    expect(relay.counters.dropped).toBe(0);
    const stats = (await media.stats()).find((s) => s.participantId === phone.id)!;
    expect(stats.audioUp.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    expect(stats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);

    clearInterval(pbxSends);
    const ended = next(rita, 'call.state', (m: { step?: string }) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await ended;
    // sipp's checks of the 200 (opus at 107, its rtpmap and fmtp) held, and it answered the BYE.
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
  });
});
