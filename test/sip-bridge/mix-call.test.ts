// A call of three with a telephone through the real gateway: sipp plays a PBX
// calling the reception (its audio a 1800 Hz PCMA tone, a capture written here);
// rita answers, then adds anna (call.add), who answers. Each desk's media is
// played by Node (plain RTP in PCMA, as the pages send after media.codec): rita
// a 440 Hz tone, anna a 1000 Hz tone. The telephone's RTP socket receives one
// stream (one SSRC, sequence numbers stepping by one) carrying both desks'
// tones — the G.711 mix — and each desk still hears the telephone's tone. Anna
// hangs up: the telephone hears rita alone; rita hangs up: the PBX gets BYE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp, SIPP_PCAP_DIR } from '../support/sipp.ts';
import { ToneEar, ToneMouth, carries, writeTonePcap } from '../support/g711-tones.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import type { ProducerInfo } from '../../src/calls/media-port.ts';
import { writeInboundScenarios } from './inbound-scenarios.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };
const PHONE_HZ = 1800;

describe('a telephone in a call of three hears the G.711 mix of both desks', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let scenarioDir: string;
  let scenario: string;
  const open: Socket[] = [];
  const closers: Array<{ close(): void }> = [];
  const sipps: Sipp[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-mix-'));
    scenarioDir = mkdtempSync(join(tmpdir(), 'portier-mix-sipp-'));
    // The PBX answers rita's call and plays a minute of its tone (sipp's g711a.pcap is 7 s of speech).
    const tone = join(scenarioDir, 'tone-1800.pcap');
    writeTonePcap(join(SIPP_PCAP_DIR, 'g711a.pcap'), tone, { law: 'PCMA', hz: PHONE_HZ, seconds: 60 });
    const answered = writeInboundScenarios(scenarioDir).answered;
    scenario = join(scenarioDir, 'answered-tone.xml');
    writeFileSync(scenario, readFileSync(answered, 'utf8').replace(join(SIPP_PCAP_DIR, 'g711a.pcap'), tone));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
    site = await seedSite(seeding);
    await seeding.close();
    gw = await startGateway({
      PORTIER_DATA_DIR: dataDir,
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
        + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${site.entries['Empfang']}"}]}}]`,
    });
  });

  afterAll(async () => {
    open.forEach((s) => s.close());
    for (const s of sipps) await s.close();
    for (const c of closers.reverse()) c.close();
    await gw?.close();
    await kamailio?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scenarioDir, { recursive: true, force: true });
  });

  const desk = async (login: 'rita' | 'anna') => {
    const s = await connect(gw, '/desk', site.users[login]!.cookie);
    open.push(s);
    return s;
  };
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);

  /** The telephone's audio producer, once it exists. */
  const phoneAudio = (media: SfuCallMedia, deskId: string, phoneId: string) => new Promise<ProducerInfo>((resolve) => {
    const isPhone = (p: ProducerInfo) => p.participantId === phoneId && p.kind === 'audio';
    const onProducer = (p: ProducerInfo) => { if (isPhone(p)) { media.observer.off('newproducer', onProducer); resolve(p); } };
    media.observer.on('newproducer', onProducer);
    const present = media.producersFor(deskId).find(isPhone);
    if (present) onProducer(present);
  });

  /** A desk's media played by Node: its tone sent in PCMA, the telephone's audio heard on an ear. */
  const deskMedia = async (media: SfuCallMedia, deskId: string, phoneId: string, hz: number, ssrc: number) => {
    const input = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: true });
    await media.produce(deskId, input.id, 'audio', { codecs: [{ mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 }], encodings: [{ ssrc }] });
    const mouth = new ToneMouth('PCMA', hz, ssrc);
    closers.push(mouth);
    await mouth.start(input.port);
    const ear = new ToneEar();
    closers.push(ear);
    const output = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: false });
    await media.connectPlain(deskId, output.id, { ip: '127.0.0.1', port: await ear.bind() });
    const consumer = await media.consume(deskId, output.id, (await phoneAudio(media, deskId, phoneId)).producerId);
    await media.resume(deskId, consumer.id);
    return { ear, mouth };
  };

  /** The last `n` packets of the ear carry exactly these of the tones (440 rita, 1000 anna, the phone's own). */
  const tonesOf = (ear: ToneEar, n: number) => {
    const samples = ToneEar.samples(ear.packets.slice(-n), 'PCMA');
    return [440, 1000, PHONE_HZ].filter((hz) => carries(samples, hz));
  };

  it('rita answers, adds anna; the PBX hears one stream with both desks, both desks hear the PBX', async () => {
    const [rita, anna] = [await desk('rita'), await desk('anna')];
    const phoneEar = new ToneEar();
    closers.push(phoneEar);
    const target = `127.0.0.1:${gw.gateway.services.sip.account('pbx')!.transport!.port}`;
    const sipp = await Sipp.uac(scenario, target, {
      keys: { dialled: '4700', rtp_port: await phoneEar.bind() }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `4700@${target}` },
    });
    sipps.push(sipp);

    const ring = await next(rita, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    expect(await next(rita, 'media.codec')).toEqual({ callId: ring.callId, audioCodec: 'audio/PCMA' });
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const media = call.media as SfuCallMedia;
    const ritaSide = await deskMedia(media, site.users.rita!.id, phone.id, 440, 0x4401);
    // Two parties: the telephone hears rita directly.
    await phoneEar.until(() => phoneEar.packets.length >= 30 && tonesOf(phoneEar, 10).includes(440));

    // Rita adds anna, who answers: a third party in a call with a telephone (refused before the mix).
    const annaRings = next(anna, 'call.ring');
    expect(await ack(rita, 'call.add', { callId: call.id, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    expect((await annaRings).callId).toBe(call.id);
    expect(await ack(anna, 'call.answer', { callId: call.id })).toMatchObject({ ok: true });
    expect(await next(anna, 'media.codec')).toEqual({ callId: call.id, audioCodec: 'audio/PCMA' });
    const annaSide = await deskMedia(media, site.users.anna!.id, phone.id, 1000, 0x1001);

    // The telephone's socket: both desks' tones in one stream, never its own.
    await phoneEar.until(() => tonesOf(phoneEar, 25).join() === '440,1000');
    const mixed = await phoneEar.more(50);
    expect(new Set(mixed.map((p) => p.ssrc)).size).toBe(1);
    expect(new Set(mixed.slice(1).map((p, i) => (p.sequenceNumber - mixed[i]!.sequenceNumber + 65536) % 65536))).toEqual(new Set([1]));
    expect(new Set(mixed.map((p) => p.payloadType))).toEqual(new Set([8]));
    expect(tonesOf(phoneEar, 25)).toEqual([440, 1000]);
    // The telephone holds one audio consumer (its mix), and mediasoup counts what it sends to the telephone.
    expect(media.consumersOf(phone.id)).toHaveLength(1);
    const phoneStats = (await media.stats()).find((s) => s.participantId === phone.id)!;
    expect(phoneStats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);

    // Both desks (browsers in real life: no mix) hear the telephone's tone.
    for (const side of [ritaSide, annaSide]) await side.ear.until(() => side.ear.packets.length >= 25 && tonesOf(side.ear, 10).includes(PHONE_HZ));

    // Anna leaves: the telephone's stream goes on with rita alone.
    const ssrc = mixed[0]!.ssrc;
    expect(await ack(anna, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await phoneEar.until(() => tonesOf(phoneEar, 25).join() === '440');
    expect(phoneEar.packets.at(-1)!.ssrc).toBe(ssrc);

    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    expect(routers()).toBe(0);
  });
});
