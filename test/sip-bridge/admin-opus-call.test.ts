// An account made through the admin API with codecs [opus, pcma] (no codecs in the
// config file: sip.codecs stays G.711) takes a call from a PBX that offers opus:
// sipp plays the PBX, offering PCMA, PCMU and opus at 107 (opus-scenario.ts), and
// the 200 answers opus at 107 with in-band FEC (sipp's checks); the reception's
// desk answers, the telephone's leg is opus, and the desk's opus reaches the PBX
// at 107 with its payload untouched (without the stored list the account would
// take sip.codecs, G.711, and answer PCMA).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/gateway.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { PBX_OPUS_PT, opusPacket, opusScenario, payloadOf } from './opus-scenario.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-8' };

describe('an admin-made account with codecs [opus, pcma] called by a PBX that offers opus', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let scenario: string;
  const peers = new StartedPeers();
  const { open, counters, sipps, timers } = peers;

  beforeAll(async () => {
    scenario = opusScenario(peers.dir('portier-admin-opus-sipp-'));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    ({ gw, site } = await startSeededSipGateway(peers.dir('portier-admin-opus-'), () => '[]'));
    // The seeding gateway's admin session lives in the data dir; only the address is the new gateway's.
    const admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    const made = await admin.post('/api/sip-accounts', {
      id: 'pbx', registrar: `127.0.0.1:${kamailio.port}`, username: 'lobby', password: 'lobby-secret-1', domain: DOMAIN, codecs: ['opus', 'pcma'],
      inbound: { username: TRUNK.user, password: TRUNK.password, numbers: [{ number: '4700', entryId: site.entries['Empfang']! }] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
  });

  afterAll(() => peers.close(gw, kamailio));

  it('is answered in opus at the PBX\'s payload type, and the desk\'s opus reaches the PBX untouched', async () => {
    expect(gw.gateway.services.sip.account('pbx')!.codecs).toEqual(['audio/opus', 'audio/PCMA']);
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ear = new RtpCounter();
    counters.push(ear);
    const earPort = await ear.bind();
    const target = `127.0.0.1:${gw.gateway.services.sip.account('pbx')!.transport!.port}`;
    const sipp = await Sipp.uac(scenario, target, { keys: { dialled: '4700', rtp_port: earPort }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `4700@${target}` } });
    sipps.push(sipp);
    const ring = await next(rita, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(phone.audioCodec).toBe('audio/opus');

    // The desk's media, played by Node: opus at the router's own number (100 here), as a browser sends it.
    const media = call.media as SfuCallMedia;
    const deskId = site.users.rita!.id;
    const desk = new RtpCounter();
    counters.push(desk);
    await desk.bind();
    const t = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: true });
    await media.produce(deskId, t.id, 'audio', { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 0xdeaf }] });
    let seq = 0;
    timers.push(setInterval(() => desk.socket.send(opusPacket(100, ++seq, 0xdeaf), t.port, t.ip), 20));
    const payloads: Buffer[] = [];
    ear.socket.on('message', (m: Buffer) => { if ((m[1]! & 0x7f) === PBX_OPUS_PT) payloads.push(m); });
    await ear.reach(PBX_OPUS_PT, 25);
    expect([...ear.byPayloadType.keys()]).toEqual([PBX_OPUS_PT]);
    const payload = payloadOf(payloads.at(-1)!);
    expect(payload.length).toBe(40);
    expect(payload.every((byte) => byte === payload[0])).toBe(true);

    const ended = next(rita, 'call.state', (m: { step?: string }) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await ended;
    // sipp's checks of the 200 (opus at 107, its rtpmap and fmtp) held, and it answered the BYE.
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
  });
});
