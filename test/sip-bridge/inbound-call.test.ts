// Calls from a PBX through the real gateway: sipp plays the PBX (a UAC sending
// its INVITEs straight to the account's socket, as Asterisk or 3CX send a trunk
// call to the registered contact; Kamailio is the registrar). Every INVITE is
// challenged (401) and sent again with the trunk's credentials; the number's
// phone-book entry (Anna, falling back to the reception) rings a desk over
// socket.io; the desk answers, gets media.codec PCMA, and audio flows both ways
// (sipp plays g711a.pcap to Portier; the desk's plain RTP in PCMA reaches the
// Node socket the PBX's SDP names; mediasoup's stats count both). BYE from either
// side, CANCEL while ringing, wrong credentials (403, nothing rings), an unknown
// number (404), nobody to answer (486) and a closed lobby (480).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpCounter, pcmaPacket } from '../support/rtp-counter.ts';
import type { Socket } from 'socket.io-client';
import { ApiClient } from '../support/gateway.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, audioProducer, pbxAnswered } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { writeInboundScenarios, type InboundScenario } from './inbound-scenarios.ts';
import { received, ackOf } from '../support/sip-tap.ts';
import { reinvite2xxTimer } from '../../src/sip-bridge/session-hooks.ts';
import type { Session } from 'sip.js';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };

describe('inbound SIP calls', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let scenarioDir: string;
  let scenarios: Record<InboundScenario, string>;
  let admin: ApiClient;
  const peers = new StartedPeers();
  const { open, counters, sipps, timers } = peers;

  beforeAll(async () => {
    dataDir = peers.dir('portier-inbound-');
    scenarioDir = peers.dir('portier-inbound-sipp-');
    scenarios = writeInboundScenarios(scenarioDir);
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    // The numbers name phone-book entries: seed them first, then start the gateway configured with them on the same data.
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => {
      const numbers = `[{number: "4711", entry: "${seeded.entries['Anna Müller']}"}, {number: "4700", entry: "${seeded.entries['Empfang']}"}]`;
      return `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
        + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: ${numbers}}}]`;
    }, {
      // One inbound call at a time: the second gets 486 with Retry-After (review s19 #13).
      env: { PORTIER_SIP__INBOUND__MAX_CALLS: '1', PORTIER_SIP__INBOUND__BUSY_RETRY_SECONDS: '17' },
      // The session-timer scenarios' intervals are seconds, not the RFC's 90 s floor (which the config cannot go below).
      options: { sessionMinSeconds: 3 },
    }));
    // The admin's session lives on in the data directory.
    admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
  });

  afterAll(() => peers.close(gw, kamailio));

  const desk = async (login: 'rita' | 'anna') => {
    const s = await connect(gw, '/desk', site.users[login]!.cookie);
    open.push(s);
    return s;
  };
  const account = () => gw.gateway.services.sip.account('pbx')!;
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);
  const counter = async () => {
    const c = new RtpCounter();
    counters.push(c);
    return { c, port: await c.bind() };
  };

  /** The PBX calls `dialled` with the scenario; `ear` is where its SDP says it hears. */
  const pbxCalls = async (scenario: InboundScenario, dialled: string, opts: { ear?: number; password?: string; authUri?: string } = {}) => {
    const ear = opts.ear ?? (await counter()).port;
    const target = `127.0.0.1:${account().transport!.port}`;
    const sipp = await Sipp.uac(scenarios[scenario], target, {
      // The digest over the INVITE's Request-URI (sip:<dialled>@<target>), as a PBX computes it.
      keys: { dialled, rtp_port: ear }, auth: { user: TRUNK.user, password: opts.password ?? TRUNK.password, uri: opts.authUri ?? `${dialled}@${target}` },
    });
    sipps.push(sipp);
    return sipp;
  };

  /** The caller's audio producer, once it exists: the phone's media may join after the desk answered. */
  const callerAudio = (media: SfuCallMedia, deskId: string, callerId: string) => audioProducer(media, deskId, (id) => id === callerId);

  /** The desk's media played by Node: a plain RTP transport sending PCMA and consuming the caller's audio. */
  const deskMedia = async (media: SfuCallMedia, deskId: string, callerId: string) => {
    const { c } = await counter();
    const t = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: true });
    await media.produce(deskId, t.id, 'audio', { codecs: [{ mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 }], encodings: [{ ssrc: 0xdeaf }] });
    let seq = 0;
    const send = setInterval(() => c.socket.send(pcmaPacket(seq++, 0xdeaf), t.port, t.ip), 20);
    timers.push(send);
    const callerProducer = await callerAudio(media, deskId, callerId);
    const consumer = await media.consume(deskId, t.id, callerProducer.producerId);
    expect((consumer.rtpParameters as any).codecs[0].mimeType).toBe('audio/PCMA');
    await media.resume(deskId, consumer.id);
    return { counter: c, stop: () => clearInterval(send) };
  };

  /** Rita answers the ringing call; returns the call and its telephone participant. */
  const ritaAnswers = async (rita: Socket) => {
    const ring = await next(rita, 'call.ring');
    // The desk sees who calls, as the trunk names the caller.
    expect(ring.terminal).toMatchObject({ name: 'Reception (7001)', siteId: 'hq' });
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    // The telephone speaks PCMA: the desk is asked to send its microphone in PCMA.
    expect(await next(rita, 'media.codec')).toEqual({ callId: ring.callId, audioCodec: 'audio/PCMA' });
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(phone).toMatchObject({ id: call.terminalId, audioCodec: 'audio/PCMA', leftAt: null });
    expect(call.participant(site.users.rita!.id)!.audioCodec).toBe('audio/PCMA');
    return { call, phone };
  };

  it('nobody can answer (no desk online, fallback exhausted): 486 — before any desk connects', async () => {
    const sipp = await pbxCalls('refused-486', '4711');
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
    expect(routers()).toBe(0);
  });

  it('challenged, authenticated, the reception answers after the host: PCMA both ways, the desk hangs up with BYE', async () => {
    const rita = await desk('rita');
    const before = account().status().inbound;
    const ear = await counter();
    const sipp = await pbxCalls('answered', '4711', { ear: ear.port });
    const { call, phone } = await ritaAnswers(rita);
    // Anna (offline) first, then the reception: the entry's fallback.
    expect(call.legs.map((l) => `${l.route.type}:${l.state}${l.note ? `(${l.note})` : ''}`)).toEqual(['desk-user:failed(offline)', 'desk-group:answered']);
    const after = account().status().inbound;
    expect(after.challenged).toBeGreaterThan(before.challenged);
    expect(after.accepted).toBe(before.accepted + 1);

    const media = call.media as SfuCallMedia;
    const deskSide = await deskMedia(media, site.users.rita!.id, phone.id);
    // The desk's audio reaches the phone's ear (the inbound leg consumes the desk's PCMA) ...
    await ear.c.reach(8, 25);
    // … from the call's RTP socket inside sip.rtp_port_min..max (42000–42999 by default), as an outbound leg's (before: any port).
    expect(ear.c.lastSource!.port).toBeGreaterThanOrEqual(42000);
    expect(ear.c.lastSource!.port).toBeLessThanOrEqual(42999);
    // ... and the PBX's (g711a.pcap, played by sipp) reaches the desk.
    await deskSide.counter.reach(8, 25);
    const stats = (await media.stats()).find((s) => s.participantId === phone.id)!;
    expect(stats.audioUp.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    expect(stats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    deskSide.stop();

    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    // sipp received the BYE and answered it: its scenario completed.
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('past sip.inbound.max_calls (1 here) an authenticated INVITE gets 486 Busy Here with Retry-After, counted, nothing rings', async () => {
    const rita = await desk('rita');
    const first = await pbxCalls('answered', '4711');
    const { call } = await ritaAnswers(rita);
    // The first call's 200 goes out once its media joined (after the desk's answer was acknowledged): the hang-up
    // below must reach the PBX as a BYE of an established dialog.
    await pbxAnswered(gw, call.id);
    const before = account().status().inbound;
    const second = await pbxCalls('busy', '4700');
    expect(await second.exited(), second.output.slice(0, 2000)).toBe(0);
    expect(account().status().inbound).toMatchObject({ busy: before.busy + 1, accepted: before.accepted + 1 });
    expect(gw.gateway.services.calls.activeCalls.map((c) => c.id)).toEqual([call.id]);
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await ended;
    expect(await first.exited(), first.output.slice(0, 2000)).toBe(0);
  });

  it('an Authorization computed over another URI than the Request-URI is challenged again, never accepted (RFC 7616 §3.4.6)', async () => {
    const before = account().status().inbound;
    // sipp's default digest uri (sip:remote_ip:remote_port) names no number: a fresh 401 each time, until sipp gives up on its 401.
    const sipp = await pbxCalls('refused-401', '4700', { authUri: `127.0.0.1:${account().transport!.port}` });
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    const after = account().status().inbound;
    expect(after.challenged).toBe(before.challenged + 2);
    expect(after.accepted).toBe(before.accepted);
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
  });

  it('late offer (INVITE without SDP): our 200 carries the offer (PCMA), the ACK the answer, audio both ways', async () => {
    const rita = await desk('rita');
    const ear = await counter();
    const sipp = await pbxCalls('late-offer', '4711', { ear: ear.port });
    const { call, phone } = await ritaAnswers(rita);
    const deskSide = await deskMedia(call.media as SfuCallMedia, site.users.rita!.id, phone.id);
    // The far end is known from the ACK's answer only: the desk's audio reaches the ear it names ...
    await ear.c.reach(8, 25);
    // ... and the PBX's capture reaches the desk.
    await deskSide.counter.reach(8, 25);
    deskSide.stop();
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
  });

  for (const [scenario, what] of [['late-offer-no-answer', 'an ACK without SDP'], ['late-offer-wrong-answer', 'an answer without the offered codec']] as const) {
    it(`late offer and ${what}: Portier sends BYE (Reason 488), the call ends as media-failure`, async () => {
      const rita = await desk('rita');
      const sipp = await pbxCalls(scenario, '4711');
      const { call } = await ritaAnswers(rita);
      expect(await next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id, 15_000)).toMatchObject({ reason: 'media-failure' });
      // sipp got the BYE with its Reason (the scenario checks cause=488) and answered it.
      expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
      expect(routers()).toBe(0);
    });
  }

  /** An OPTIONS into sipp's call lets its 'hold' scenario go on. */
  const holdsNow = (sipp: Sipp, from: RtpCounter) => from.socket.send([
    `OPTIONS sip:pbx@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${from.socket.address().port};branch=z9hG4bK-go-${sipp.pid}`,
    'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:pbx@127.0.0.1>', `Call-ID: 1-${sipp.pid}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'), sipp.port, '127.0.0.1');

  it('hold: re-INVITEs sendonly / inactive / sendrecv / c=0.0.0.0 are answered recvonly / inactive / sendrecv / recvonly, the phone hears nothing while held, audio again after', async () => {
    const rita = await desk('rita');
    const ear = await counter();
    const sipp = await pbxCalls('hold', '4711', { ear: ear.port });
    const { call, phone } = await ritaAnswers(rita);
    const media = call.media as SfuCallMedia;
    const deskSide = await deskMedia(media, site.users.rita!.id, phone.id);
    await ear.c.reach(8, 10);
    // What mediasoup does at each direction, seen before Portier's 200 leaves (the event comes first).
    const seen: Array<{ direction: string; consumersPaused: boolean[]; ear: number }> = [];
    const unheld = new Promise<void>((resolve) => {
      const onDirection = (d: { callId: string; direction: string }) => {
        if (d.callId !== call.id) return;
        seen.push({ direction: d.direction, consumersPaused: media.consumersOf(phone.id).map((c) => c.paused), ear: ear.c.count(8) });
        if (seen.length === 5) { gw.gateway.services.sipInbound.off('direction', onDirection); resolve(); }
      };
      gw.gateway.services.sipInbound.on('direction', onDirection);
    });
    // The fifth re-INVITE's ACK (CSeq 7): sipp has Portier's last 200.
    const lastAck = received(account().transport!, ackOf(`1-${sipp.pid}@127.0.0.1`, 7));
    // The PBX holds now.
    holdsNow(sipp, ear.c);
    await unheld;
    // sipp checked each 200's direction (recvonly, inactive, sendrecv); mediasoup paused the phone's consumer while held.
    // c=0.0.0.0 (RFC 2543 hold) is a hold too: never an address to send to (before: the desk's audio went to this host, nothing paused).
    expect(seen.map((s) => [s.direction, s.consumersPaused])).toEqual([
      ['recvonly', [true]], ['inactive', [true]], ['sendrecv', [false]], ['recvonly', [true]], ['sendrecv', [false]],
    ]);
    // Back: the desk is heard on the phone again, at the address it had before the old-style hold.
    await ear.c.reach(8, seen[4]!.ear + 8);
    // Hung up only once sipp acknowledged the fifth 200: the direction event comes before the 200 leaves, and a BYE
    // before it is an unexpected message to sipp (as in outbound-call.test.ts's hold).
    await lastAck;
    deskSide.stop();
    const ended = next(rita, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
    await ended;
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  });

  /** The hold scenario with the 200 to CSeq 4 held back past CSeq 3's retransmission timer; `stallMs`: the event loop blocked that long right after the first 200 to CSeq 3. */
  async function reinviteAfterT1(stallMs: number): Promise<void> {
    const rita = await desk('rita');
    const ear = await counter();
    const invited = new Promise<Session>((resolve) => gw.gateway.services.sip.once('invite', (incoming) => resolve(incoming.invitation)));
    const sipp = await pbxCalls('hold', '4711', { ear: ear.port });
    const { call, phone } = await ritaAnswers(rita);
    const deskSide = await deskMedia(call.media as SfuCallMedia, site.users.rita!.id, phone.id);
    await ear.c.reach(8, 10);
    // A slow answer to the second re-INVITE (CSeq 4): its 200 leaves only once the 2xx retransmission timer of the
    // first (CSeq 3: T1 after that 200 was handed over) has run — told by the dialog's hook (session-hooks.ts), which
    // reports each run's decision. Every 200 to a re-INVITE is counted as it is handed over.
    const timerRuns = reinvite2xxTimer(await invited)!;
    expect(timerRuns).toBeDefined();
    const firstTimerRan = new Promise<void>((resolve) => {
      const ran = (cseq: number) => { if (cseq === 3) { timerRuns.off('ran', ran); resolve(); } };
      timerRuns.on('ran', ran);
    });
    const transport = account().transport!;
    const send = transport.send;
    const oks = new Map<number, number>();
    // 200s to CSeq 3 handed over after its ACK came in (review s25 #6: one before the ACK is a rightful retransmission when
    // the ACK is slow on a loaded machine; one after it is the bug).
    let acked3 = false;
    let oksAfterAck3 = 0;
    transport.send = async function (this: typeof transport, text: string) {
      const cseq = Number(/^CSeq:\s*(\d+) INVITE\s*$/im.exec(text)?.[1] ?? 0);
      if (text.startsWith('SIP/2.0 200') && cseq >= 3) {
        oks.set(cseq, (oks.get(cseq) ?? 0) + 1);
        if (cseq === 3 && acked3) oksAfterAck3++;
        if (cseq === 3 && oks.get(3) === 1) {
          // A GC pause or a loaded machine: nothing runs while sipp's ACK arrives in the socket, and T1 passes.
          if (stallMs > 0) setImmediate(() => { const until = performance.now() + stallMs; while (performance.now() < until) { /* the stall */ } });
        }
        if (cseq === 4) await firstTimerRan;
      }
      return send.call(this, text);
    };
    try {
      const lastAck = received(transport, ackOf(`1-${sipp.pid}@127.0.0.1`, 7));
      // Tapped after (inside) the last ACK's tap: a tap that matched puts back the handler it wrapped.
      void received(transport, ackOf(`1-${sipp.pid}@127.0.0.1`, 3)).then(() => { acked3 = true; });
      holdsNow(sipp, ear.c);
      // sipp ends at once when a check fails (before: the "answer" to CSeq 4 it took said recvonly).
      await Promise.race([lastAck, sipp.exited()]);
      // Before: the 200 to CSeq 3 went out again while CSeq 4 was being answered. (CSeq 4's own, held back past T1,
      // may rightly go again before its ACK; sipp takes a repeat of the last message it received as such.)
      expect([...oks.keys()]).toEqual([3, 4, 5, 6, 7]);
      expect(acked3).toBe(true);
      expect(oksAfterAck3).toBe(0);
    } finally {
      transport.send = send;
      deskSide.stop();
      if (!call.ended) {
        const ended = next(rita, 'call.state', (m: any) => m.step === 'ended');
        expect(await ack(rita, 'call.hangup', { callId: call.id })).toEqual({ ok: true });
        await ended;
      }
    }
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  }

  it('a re-INVITE answered after T1: the 200 of the one before, acknowledged, is not sent again (sip.js 0.21.2 sent it, sipp took it for the answer)', () => reinviteAfterT1(0));

  // Review s25 #6: after a stall the retransmission timer is due before the ACK in the socket is read (Node runs due timers
  // first); sent then, sipp (which had sent its next re-INVITE) took it for that one's answer. Now the timer looks again after
  // the pending datagrams are read.
  it('a gateway stalled past T1 right after its 200 reads the ACK waiting in its socket before it would send the 200 again', () => reinviteAfterT1(700));

  it('session timers (RFC 4028) on an inbound call: the 200 grants the INVITE\'s Session-Expires, the PBX\'s UPDATE refresh is answered 200 (before: 501), one asking less than the floor 422 with Min-SE; without refreshes the call ends session-expired with a BYE', async () => {
    const rita = await desk('rita');
    const sipp = await pbxCalls('session-timer', '4711');
    const { call } = await ritaAnswers(rita);
    expect(await next(rita, 'call.state', (m: any) => m.step === 'ended' && m.callId === call.id, 30_000)).toMatchObject({ reason: 'session-expired' });
    // sipp checked the 200's and the UPDATE's Session-Expires, the 422's Min-SE, and got the BYE.
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('the PBX hangs up: its BYE ends the call for the desk', async () => {
    const rita = await desk('rita');
    const sipp = await pbxCalls('hangs-up', '4700');
    const { call } = await ritaAnswers(rita);
    expect(await next(rita, 'call.state', (m: any) => m.step === 'ended', 15_000)).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    expect(() => gw.gateway.services.calls.get(call.id)).toThrow(/not found/);
    expect(routers()).toBe(0);
    // The desk's history names a telephone's call as such (the page shows 'Telephone'), never by the caller's number.
    const { calls } = await ack<{ calls: Array<{ id: string; terminalName: string; fromPhone: boolean }> }>(rita, 'history.list', {});
    expect(calls.find((c) => c.id === call.id)).toMatchObject({ outcome: 'answered', terminalName: '', fromPhone: true });
  });

  it('CANCEL while the desk rings: the desk stops ringing, the PBX gets 487', async () => {
    const rita = await desk('rita');
    const sipp = await pbxCalls('cancel', '4700');
    const ring = await next(rita, 'call.ring');
    expect(await next(rita, 'call.stop-ring')).toMatchObject({ callId: ring.callId, reason: 'cancelled' });
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
    expect(routers()).toBe(0);
  });

  it('wrong trunk credentials: 403, and nothing rings', async () => {
    const rita = await desk('rita');
    const before = account().status().inbound;
    const sipp = await pbxCalls('refused-403', '4700', { password: 'guessed' });
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    // Refused (more than once if sipp repeated its INVITE on a loaded machine), never accepted.
    const after = account().status().inbound;
    expect(after.refused).toBeGreaterThan(before.refused);
    expect(after.accepted).toBe(before.accepted);
    await expect(next(rita, 'call.ring', () => true, 0)).rejects.toThrow(/no call.ring/);
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
  });

  it('a number that is not configured: 404 after authentication, nothing rings', async () => {
    const rita = await desk('rita');
    const sipp = await pbxCalls('refused-404', '4999');
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    await expect(next(rita, 'call.ring', () => true, 0)).rejects.toThrow(/no call.ring/);
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
  });

  it('outside the opening hours: 480, nothing rings', async () => {
    expect((await admin.call('PUT', '/api/sites/hq/opening-hours', { hours: [], afterHoursEntryId: null })).status).toBe(200);
    const rita = await desk('rita');
    const sipp = await pbxCalls('refused-480', '4700');
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    await expect(next(rita, 'call.ring', () => true, 0)).rejects.toThrow(/no call.ring/);
    expect((await admin.call('PUT', '/api/sites/hq/opening-hours', { hours: null, afterHoursEntryId: null })).status).toBe(200);
  });
});
