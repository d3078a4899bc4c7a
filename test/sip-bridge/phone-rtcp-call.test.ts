// A phone's own RTCP reaches the quality monitor: a terminal calls baresip (Debian
// baresip-core, answering by itself) through Kamailio; the relay reads baresip's
// receiver reports on the audio we send it (mediasoup never sees them), and the
// SIP leg's sample carries the round trip and the phone's loss and jitter. With a
// UDP relay of the harness between Portier and baresip dropping every 5th of our
// packets, baresip's own reports say it lost them — mediasoup's counters do not
// know — and the leg's loss and MOS show it. A call the other way (a second
// baresip registered at Kamailio dials Portier's AOR, the reception's desk answers)
// folds the caller's reports the same way. The gateway runs on a manual clock:
// the monitor samples when the test moves time, after the reports it waits for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'socket.io-client';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { ApiClient } from '../support/gateway.ts';
import { connect, ack, next, PASSWORD, type Gw, type SiteFixture } from '../support/signaling.ts';
import { until } from '../support/call-flow.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Baresip } from '../support/baresip.ts';
import { GatewayManualClock } from '../support/manual-clock.ts';
import { StartedPeers, pcmaMic } from '../support/sip-call-files.ts';
import { untilAccount } from './account-state.ts';
import { LatestPhoneReport, phoneReport } from '../support/phone-reports.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import type { FarEndReport } from '../../src/calls/index.ts';
import type { LegSample } from '../../src/quality/index.ts';
import type { RtpRelay } from '../../src/sip-bridge/index.ts';
import { producerCodec } from '../../src/sip-bridge/audio-codecs.ts';

const DOMAIN = 'portier.test';
const INTERVAL_MS = 5000;

/** How long the monitor's next sample may take once the clock moved (a stats read of mediasoup): a bound against a hang. */
const SAMPLE_WAIT_MS = 60_000;

describe('a phone\'s RTCP receiver reports in the SIP leg\'s quality samples (baresip through Kamailio)', () => {
  const peers = new StartedPeers();
  const clock = new GatewayManualClock();
  const udp: UdpSocket[] = [];
  let kamailio: Kamailio;
  let phone: Baresip;
  let alice: Baresip;
  let gw: Gw;
  let site: SiteFixture;
  let entryId: string;

  beforeAll(async () => {
    // PCMA only: the terminal's microphone below is PCMA (pcmaMic).
    phone = await Baresip.start({ aor: 'sip:answer@127.0.0.1', audioCodecs: ['PCMA'], accountParams: { regint: 0, answermode: 'auto' } });
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'alice', password: 'alice-secret-1' }],
      forward: { answer: { host: '127.0.0.1', port: phone.sipPort } },
    });
    // Calls to Portier's AOR (its number 'lobby') ring the reception (kamailio-inbound.test.ts).
    ({ gw, site } = await startSeededSipGateway(peers.dir('portier-rtcp-'), (site) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, codecs: [pcma], `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${site.entries['Empfang']}"}]}}]`, { options: { clock } }));
    // The admin signs in again on this gateway (the seeding one knew no account 'pbx' to route on).
    const admin = new ApiClient(gw.base);
    expect((await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD })).status).toBe(200);
    const res = await admin.post('/api/sites/hq/phonebook', {
      kind: 'person', name: 'Phone reporting RTCP', routes: [{ type: 'sip', accountId: 'pbx', user: 'answer' }], policy: { legTimeoutS: 120, capS: 600 },
    });
    expect(res.status).toBe(201);
    entryId = res.body.id;
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
    alice = await Baresip.start({
      aor: `sip:alice@${DOMAIN}`, audioCodecs: ['PCMA'],
      accountParams: { auth_pass: 'alice-secret-1', outbound: `"sip:127.0.0.1:${kamailio.port};lr"`, regint: 600 },
    });
    await until(() => alice.output.includes('alice@portier.test: {0/UDP/v4} 200 OK'), 'alice is registered at Kamailio');
  }, 120_000);

  afterAll(async () => {
    udp.forEach((s) => s.close());
    await alice?.close();
    await peers.close(gw, kamailio);
    await phone?.close();
  });

  /** The terminal calls baresip; once answered, the call's media, the SIP participant's id and its leg's relay. */
  async function callThePhone(): Promise<{ terminal: Socket; callId: string; media: SfuCallMedia; sipId: string; relay: RtpRelay }> {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    peers.open.push(terminal);
    const started = await ack(terminal, 'call.start', { entryId });
    expect(started).toMatchObject({ ok: true });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered', 60_000);
    const call = gw.gateway.services.calls.get(started.callId);
    const sipId = call.participants.find((p) => p.kind === 'sip')!.id;
    const leg = [...gw.gateway.services.sipLegs.legs].find((l) => l.participantId === sipId)!;
    return { terminal, callId: started.callId, media: call.media as SfuCallMedia, sipId, relay: leg.relay! };
  }

  /**
   * The monitor's next sample of `participantId`, after the clock moved one interval, and the phone's latest
   * report when the sample was taken (the monitor folds the reports it took until then, synchronously).
   */
  async function nextInterval(participantId: string, reports: LatestPhoneReport): Promise<{ sample: LegSample; latest: FarEndReport | undefined }> {
    const { quality } = gw.gateway.services;
    const sample = new Promise<{ sample: LegSample; latest: FarEndReport | undefined }>((resolve, reject) => {
      const timer = setTimeout(() => {
        quality.off('sample', on);
        reject(new Error(`no quality sample of ${participantId} within ${SAMPLE_WAIT_MS} ms of the clock's move`));
      }, SAMPLE_WAIT_MS);
      const on = (s: LegSample) => {
        if (s.participantId !== participantId) return;
        clearTimeout(timer);
        quality.off('sample', on);
        resolve({ sample: s, latest: reports.latest });
      };
      quality.on('sample', on);
    });
    await clock.advance(INTERVAL_MS);
    return sample;
  }

  async function hangUp(terminal: Socket, callId: string): Promise<void> {
    const from = phone.events.length;
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    await ended;
    await phone.event('CALL_CLOSED', () => true, from);
  }

  it('the SIP leg\'s sample carries the round trip and the jitter baresip reports on our audio (mediasoup alone has no RTT for it)', async () => {
    const { terminal, callId, media, sipId, relay } = await callThePhone();
    const reports = new LatestPhoneReport(relay);
    const mic = await pcmaMic(media, site.terminal.id, 0x5eed, peers);
    // A report with a round trip needs one of mediasoup's sender reports to have reached baresip first.
    const report = await phoneReport(relay, 'a round trip and packets expected on our audio', (r) => r.rttMs !== null && r.expected > 0);
    expect(report.lost).toBeGreaterThanOrEqual(0);
    expect(report.rttMs).not.toBeNull();
    // Compared with the latest report the monitor folded (a newer one may have come after the awaited one).
    const { sample, latest } = await nextInterval(sipId, reports);
    reports.close();
    expect(sample.rttMs).not.toBeNull();
    expect(sample.jitterMs).toBeGreaterThanOrEqual(latest!.jitterMs);
    expect(sample.mos).not.toBeNull();
    // mediasoup got none of the phone's RTCP: its consumer toward the phone knows no round trip.
    const down = (await media.stats()).find((s) => s.participantId === sipId)!.audioDown;
    expect(down.every((s) => s.rttMs === null || s.rttMs === 0)).toBe(true);
    expect(relay.rtcp.counters.refused).toEqual({ short: 0, oversized: 0, version: 0, truncated: 0, malformed: 0 });
    mic.stop();
    await hangUp(terminal, callId);
  }, 120_000);

  it('every 5th packet of ours to baresip dropped on the way: baresip\'s reports carry the loss, the leg\'s loss and MOS show it, mediasoup\'s counters do not', async () => {
    const { terminal, callId, media, sipId, relay } = await callThePhone();
    // The harness's UDP relay: our RTP goes through it to baresip, every 5th packet dropped; RTCP goes straight.
    const far = relay.remote!;
    const lossy = createSocket('udp4');
    udp.push(lossy);
    await new Promise<void>((resolve) => lossy.bind(0, '127.0.0.1', resolve));
    let n = 0;
    lossy.on('message', (packet) => { if (++n % 5 !== 0) lossy.send(packet, far.rtpPort, far.address); });
    relay.connectRemote({ ...far, rtpPort: lossy.address().port }, producerCodec('audio/PCMA').payloadType);
    const reports = new LatestPhoneReport(relay);
    const mic = await pcmaMic(media, site.terminal.id, 0x5eee, peers);
    const report = await phoneReport(relay, '100 packets expected, some lost', (r) => r.expected >= 100 && r.lost > 0);
    expect(report.lost / report.expected).toBeGreaterThan(0.1);
    const { sample } = await nextInterval(sipId, reports);
    reports.close();
    expect(sample.lossPercent).toBeGreaterThan(10);
    expect(sample.mos!).toBeLessThan(gw.gateway.config.quality.mos_threshold);
    // The SFU alone would not know: its consumer toward the phone counts no loss (no receiver report reached it).
    const down = (await media.stats()).find((s) => s.participantId === sipId)!.audioDown;
    expect(down.reduce((lost, s) => lost + s.lost, 0)).toBe(0);
    mic.stop();
    await hangUp(terminal, callId);
  }, 120_000);

  it('a call from the PBX: the caller\'s own reports on the desk\'s audio give its leg an RTT and its jitter', async () => {
    // Rita signs in on this gateway (sessions of the seeding one ended with it).
    const desk = new ApiClient(gw.base);
    expect((await desk.post('/api/auth/login', { login: 'rita', password: PASSWORD })).status).toBe(200);
    const rita = await connect(gw, '/desk', desk.cookie!);
    peers.open.push(rita);
    const ringing = next(rita, 'call.ring');
    await alice.command('dial', `sip:lobby@${DOMAIN}`);
    const ring = await ringing;
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_ESTABLISHED');
    const call = gw.gateway.services.calls.get(ring.callId);
    const sipId = call.participants.find((p) => p.kind === 'sip')!.id;
    const deskId = call.participants.find((p) => p.kind === 'desk')!.id;
    const relay = gw.gateway.services.sipInbound.byParticipant(sipId)!.relay!;
    const reports = new LatestPhoneReport(relay);
    const mic = await pcmaMic(call.media as SfuCallMedia, deskId, 0x5eef, peers);
    await phoneReport(relay, 'a round trip and packets expected on the desk\'s audio', (r) => r.rttMs !== null && r.expected > 0);
    const { sample, latest } = await nextInterval(sipId, reports);
    reports.close();
    expect(sample.rttMs).not.toBeNull();
    expect(sample.jitterMs).toBeGreaterThanOrEqual(latest!.jitterMs);
    mic.stop();
    const from = alice.events.length;
    expect(await ack(rita, 'call.hangup', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_CLOSED', () => true, from);
    await until(() => call.ended, 'the call ends');
  }, 120_000);
});
