// A caller that offers video as well as audio — a door station or video phone
// calling through the PBX trunk, played by a real baresip (fakevideo through
// avcodec's H.264) — reaches the reception's desk: Portier's answer keeps the
// offer's m-lines (RFC 3264 §6: the video one refused with port 0), baresip takes
// the call and audio flows both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Baresip } from '../support/baresip.ts';
import { RtpCounter, pcmaPacket } from '../support/rtp-counter.ts';
import { until } from '../support/call-flow.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };

describe('a caller offering video and audio', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let station: Baresip;
  let rita: Socket;
  const desk = new RtpCounter();
  // baresip's outbound proxy: passes every datagram between baresip and Portier's account and keeps what Portier sent.
  const proxy = createSocket('udp4');
  const fromPortier: string[] = [];
  let send: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-video-caller-'));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    ({ gw, site } = await startSeededSipGateway(dataDir, (site) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${site.entries['Empfang']}"}]}}]`));
    const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
    await new Promise<void>((resolve) => proxy.bind(0, '127.0.0.1', resolve));
    station = await Baresip.start({
      aor: `sip:${TRUNK.user}@127.0.0.1:${port}`,
      accountParams: { auth_pass: TRUNK.password, regint: 0, audio_codecs: 'PCMA', outbound: `"sip:127.0.0.1:${proxy.address().port};lr"` },
      video: true,
    });
    proxy.on('message', (data, from) => {
      if (from.port === station.sipPort) {
        proxy.send(data, port, '127.0.0.1');
      } else {
        fromPortier.push(data.toString());
        proxy.send(data, station.sipPort, '127.0.0.1');
      }
    });
    rita = await connect(gw, '/desk', site.users.rita!.cookie);
  });
  afterAll(async () => {
    if (send) clearInterval(send);
    rita?.close();
    await station?.close();
    await gw?.close();
    await kamailio?.close();
    desk.close();
    proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the reception answers: baresip takes Portier\'s answer (video refused with port 0) and audio flows both ways', async () => {
    const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
    const ring = next<{ callId: string }>(rita, 'call.ring');
    expect((await station.command('dial', `sip:4700@127.0.0.1:${port}`)).ok).toBe(true);
    const { callId } = await ring;
    expect(await ack(rita, 'call.answer', { callId })).toMatchObject({ ok: true });
    const established = await station.event('CALL_ESTABLISHED');
    expect(established.direction).toBe('outgoing');
    // Portier's answer has the offer's two m-lines: our PCMA and the video refused (RFC 3264 §6).
    const ok = fromPortier.find((m) => m.startsWith('SIP/2.0 200') && /\r\nCSeq: *\d+ INVITE/i.test(m))!;
    expect(ok).toBeDefined();
    expect(ok.split('\r\n').filter((l) => l.startsWith('m='))).toEqual([expect.stringMatching(/^m=audio [1-9]\d* RTP\/AVP 8$/), 'm=video 0 RTP/AVP 96']);

    // The desk's media played by Node: PCMA to the caller, and the caller's audio consumed.
    const call = gw.gateway.services.calls.get(callId);
    const media = call.media as SfuCallMedia;
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const deskId = site.users.rita!.id;
    await desk.bind();
    const t = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: true });
    await media.produce(deskId, t.id, 'audio', { codecs: [{ mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 }], encodings: [{ ssrc: 0xdeaf }] });
    let seq = 0;
    send = setInterval(() => desk.socket.send(pcmaPacket(seq++, 0xdeaf), t.port, t.ip), 20);
    const fromPhone = media.producersFor(deskId).find((p) => p.participantId === phone.id && p.kind === 'audio')!;
    const consumer = await media.consume(deskId, t.id, fromPhone.producerId);
    await media.resume(deskId, consumer.id);

    // baresip's tone reaches the desk, and the desk's audio reaches baresip (its RTCP and its recording).
    await desk.reach(8, 25);
    const report = await station.event('CALL_RTCP', (e) => e.param === 'audio' && (e.rtcp_stats?.rx?.sent ?? 0) > 0);
    expect(report.rtcp_stats!.rx!.sent).toBeGreaterThan(0);
    await until(() => station.receivedAudioBytes() > 44, 'baresip decodes the desk');

    expect((await station.command('hangup')).ok).toBe(true);
    await station.event('CALL_CLOSED');
    await until(() => gw.gateway.services.calls.activeCalls.length === 0, 'the call is over');
  });
});
