// SRTP with SDES keys end to end: a gateway whose account speaks TLS to Kamailio
// with srtp: require calls an extension Kamailio forwards to a real UA — baresip
// with its srtp module and mediaenc=srtp-mand, so it takes nothing but SRTP. The
// INVITE over TLS carries RTP/SAVP and a=crypto, baresip answers with its own
// key, audio flows both ways through Portier's relay (baresip decodes what it
// gets, its RTCP report counts our SRTCP; mediasoup's stats count the phone's
// packets after the relay decrypted them), nothing is refused by the receiver,
// the leg says media 'srtp', and no key appears in the gateway's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { RtpCounter, pcmaPacket } from '../support/rtp-counter.ts';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Baresip } from '../support/baresip.ts';
import { TestCa } from '../support/test-ca.ts';
import { until } from '../support/call-flow.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { audioProducer } from '../support/sip-call-files.ts';
import { untilAccount } from './account-state.ts';
import { phoneReport } from '../support/phone-reports.ts';

const DOMAIN = 'portier.test';
const RTP_PORTS = { min: 43400, max: 43499 };

describe('SRTP (SDES) on an outbound leg over TLS, with baresip taking SRTP only', () => {
  let ca: TestCa;
  let kamailio: Kamailio;
  let phone: Baresip;
  let gw: Gw;
  let site: SiteFixture;
  let entryId: string;
  const logLines: string[] = [];
  const open: Socket[] = [];
  const udp: RtpCounter[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    ca = await TestCa.create('Portier test PBX CA');
    phone = await Baresip.start({ aor: 'sip:answer@127.0.0.1', srtp: true, accountParams: { regint: 0, answermode: 'auto', mediaenc: 'srtp-mand' } });
    kamailio = await Kamailio.start({
      domain: DOMAIN,
      tls: await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] }),
      users: [{ username: 'lobby', password: 'lobby-secret-1' }],
      forward: { answer: { host: '127.0.0.1', port: phone.sipPort } },
    });
    const sink = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__RTP_PORT_MIN: String(RTP_PORTS.min),
      PORTIER_SIP__RTP_PORT_MAX: String(RTP_PORTS.max),
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, transport: tls, srtp: require, registrar: "127.0.0.1:${kamailio.tlsPort}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN},`
        + ` tls: {ca: "${ca.cert}", server_name: pbx.portier.test}}]`,
    }, { logger: pino({ level: 'debug' }, sink) });
    site = await seedSite(gw);
    const res = await site.admin.post('/api/sites/hq/phonebook', {
      kind: 'person', name: 'Phone with SRTP', routes: [{ type: 'sip', accountId: 'pbx', user: 'answer' }], policy: { legTimeoutS: 120, capS: 300 },
    });
    expect(res.status).toBe(201);
    entryId = res.body.id;
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
  }, 120_000);

  afterAll(async () => {
    timers.forEach((t) => clearInterval(t));
    open.forEach((s) => s.close());
    await gw?.close();
    await kamailio?.close();
    await phone?.close();
    for (const c of udp) c.close();
    ca?.close();
  });

  it('offers RTP/SAVP with a=crypto over TLS; audio flows both ways as SRTP; no key in the log', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const started = await ack(terminal, 'call.start', { entryId });
    expect(started).toMatchObject({ ok: true });
    const callId: string = started.callId;
    await next(terminal, 'call.state', (m: any) => m.step === 'answered', 60_000);
    await phone.event('CALL_ESTABLISHED');

    // On the wire: our INVITE over TLS offers RTP/SAVP with a=crypto; baresip's 200 answers RTP/SAVP with its own key.
    await kamailio.seen(() => kamailio.sdp().some((l) => l.startsWith('INVITE proto tls ')) && kamailio.sdp().some((l) => l.startsWith('200 proto udp ')));
    const sdp = kamailio.sdp();
    const invite = sdp.find((l) => l.startsWith('INVITE proto tls '))!;
    expect(invite).toMatch(/m=audio \d+ RTP\/SAVP 0 8 101 a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$/);
    const answer = sdp.find((l) => l.startsWith('200 proto udp '))!;
    expect(answer).toMatch(/m=audio \d+ RTP\/SAVP \d+.* a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}/);

    const call = gw.gateway.services.calls.get(callId);
    const sipParticipant = call.participants.find((p) => p.kind === 'sip')!;
    const leg = [...gw.gateway.services.sipLegs.legs].find((l) => l.participantId === sipParticipant.id)!;
    expect(leg.media).toBe('srtp');
    expect(leg.relay!.media).toBe('srtp');

    // The terminal speaks into the call (a plain transport standing in for its browser) in the codec baresip answered.
    const pt = Number(/RTP\/SAVP (\d+)/.exec(answer)![1]);
    expect([0, 8]).toContain(pt);
    const media = call.media as SfuCallMedia;
    const counter = new RtpCounter();
    udp.push(counter);
    await counter.bind();
    const t = await media.createPlainTransport(site.terminal.id, { ip: '127.0.0.1', comedia: true });
    await media.produce(site.terminal.id, t.id, 'audio', { codecs: [{ mimeType: pt === 0 ? 'audio/PCMU' : 'audio/PCMA', payloadType: pt, clockRate: 8000 }], encodings: [{ ssrc: 0x5eed }] });
    let seq = 0;
    const send = setInterval(() => {
      const p = pcmaPacket(seq++, 0x5eed);
      p[1] = (p[1]! & 0x80) | pt;
      counter.socket.send(p, t.port, t.ip);
    }, 20);
    timers.push(send);
    const phoneProducer = await audioProducer(media, site.terminal.id, (id) => id === sipParticipant.id);
    const consumer = await media.consume(site.terminal.id, t.id, phoneProducer.producerId);
    await media.resume(site.terminal.id, consumer.id);

    // baresip → Portier: decrypted by the relay and received by mediasoup (its stats), and on to the terminal.
    await counter.reach(pt, 25);
    const stats = await media.stats();
    const up = stats.find((s) => s.participantId === sipParticipant.id)!.audioUp;
    expect(up.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    // Portier → baresip: baresip decodes audio (SRTP) and its RTCP report counts our sender reports (SRTCP).
    await until(() => phone.receivedAudioBytes() > 44, 'baresip decodes the terminal', 60_000);
    // baresip's SRTCP receiver reports on our audio are unprotected and read by the relay (not passed to mediasoup).
    if (leg.relay!.rtcp.counters.reports === 0) await phoneReport(leg.relay!, 'baresip\'s SRTCP receiver report on our audio');
    const report = await phone.event('CALL_RTCP', (e) => e.param === 'audio' && (e.rtcp_stats?.rx?.sent ?? 0) > 0);
    expect(report.rtcp_stats!.rx!.sent).toBeGreaterThan(0);
    clearInterval(send);
    // Every packet the terminal counted came through the relay (more may have, not necessarily: the fresh-clone run saw exactly 25).
    expect(leg.relay!.counters.fromRemote).toBeGreaterThanOrEqual(25);
    expect(leg.relay!.srtpDrops).toEqual({ authFailed: 0, replayed: 0, malformed: 0 });

    // Neither our key nor baresip's is in any log line of the gateway (pino at debug).
    const keys = [invite, answer].map((l) => /inline:([A-Za-z0-9+/]{40})/.exec(l)![1]!);
    expect(logLines.length).toBeGreaterThan(0);
    for (const key of keys) expect(logLines.filter((l) => l.includes(key))).toEqual([]);

    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    await ended;
    await phone.event('CALL_CLOSED');
  }, 180_000);
});
