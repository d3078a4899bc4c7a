// Outbound SIP calls through a real Kamailio (registrar and record-routing proxy
// with digest auth) to real sipp user agent servers, from a real gateway: a
// terminal calls a phone-book entry whose route is an extension; the INVITE's
// SDP, the 180 → ringing, the 200 → a `sip` participant with G.711 RTP both ways
// (sipp plays g711a.pcap; a Node UDP socket stands in for the phone's ear and
// one for the terminal's plain RTP media), BYE from either side, CANCEL, and
// 486/603/480/no answer handing the call to the reception. Peers start once for
// the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpCounter, pcmaPacket } from '../support/rtp-counter.ts';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { audioProducer } from '../support/sip-call-files.ts';

const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, 'scenarios');
/** sip.rtp_port_min..max of the gateway under test: the ports its SDP offers name. */
const RTP_PORTS = { min: 43100, max: 43199 };

describe('outbound SIP calls', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  const sipps: Record<string, Sipp> = {};
  const ears: Record<string, RtpCounter> = {};
  const entries: Record<string, string> = {};
  const open: Socket[] = [];
  const udp: RtpCounter[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    for (const name of ['answer', 'hangs-up', 'early-media', 'early-answer']) {
      ears[name] = new RtpCounter();
      sipps[name] = await Sipp.uas(join(SCENARIOS, `${name}.xml`), { rtp_port: await ears[name]!.bind() });
    }
    // One call, then sipp exits: its exit code says whether each 200's direction passed its check.
    ears.holds = new RtpCounter();
    sipps.holds = await Sipp.uas(join(SCENARIOS, 'holds.xml'), { rtp_port: await ears.holds.bind() }, { calls: 1 });
    for (const name of ['session-refresh', 'session-expires', 'session-glare', 'session-gone']) {
      ears[name] = new RtpCounter();
      sipps[name] = await Sipp.uas(join(SCENARIOS, `${name}.xml`), { rtp_port: await ears[name]!.bind() }, { calls: 1 });
    }
    for (const name of ['busy', 'declined', 'unavailable', 'no-answer']) sipps[name] = await Sipp.uas(join(SCENARIOS, `${name}.xml`));
    kamailio = await Kamailio.start({
      domain: DOMAIN,
      users: [{ username: 'lobby', password: 'lobby-secret-1' }],
      forward: Object.fromEntries(Object.entries(sipps).map(([name, s]) => [name.replace('-', ''), { host: '127.0.0.1', port: s.port }])),
    });
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__RTP_PORT_MIN: String(RTP_PORTS.min),
      PORTIER_SIP__RTP_PORT_MAX: String(RTP_PORTS.max),
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}}]`,
      // The session-timer scenarios' intervals are seconds, not the RFC's 90 s floor (which the config cannot go below).
    }, { sessionMinSeconds: 3 });
    site = await seedSite(gw);
    for (const name of Object.keys(sipps)) {
      const res = await site.admin.post('/api/sites/hq/phonebook', {
        kind: 'person', name: `Phone ${name}`, routes: [{ type: 'sip', accountId: 'pbx', user: name.replace('-', '') }], policy: { legTimeoutS: 5 },
      });
      expect(res.status).toBe(201);
      entries[name] = res.body.id;
    }
  });

  afterAll(async () => {
    timers.forEach((t) => clearInterval(t));
    open.forEach((s) => s.close());
    await gw?.close();
    await kamailio?.close();
    for (const s of Object.values(sipps)) await s.close();
    for (const c of [...Object.values(ears), ...udp]) c.close();
  });

  const client = async (ns: '/terminal' | '/desk', cookie: string) => {
    const s = await connect(gw, ns, cookie);
    open.push(s);
    return s;
  };
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);
  /** Resolves once Kamailio logged `n` requests of the method (it logs each as it routes it). */
  const kamailioSaw = (method: string, n: number) => kamailio.sawRequests(method, n);
  const legsOf = (callId: string) => gw.gateway.services.calls.get(callId).legs.map((l) => `${l.route.type}:${l.state}${l.note ? `(${l.note})` : ''}`);

  /** The terminal's media played by Node: a plain RTP transport (comedia) that sends PCMA and counts what comes back. */
  const terminalMedia = async (media: SfuCallMedia, terminalId: string) => {
    const counter = new RtpCounter();
    udp.push(counter);
    await counter.bind();
    const t = await media.createPlainTransport(terminalId, { ip: '127.0.0.1', comedia: true });
    await media.produce(terminalId, t.id, 'audio', { codecs: [{ mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 }], encodings: [{ ssrc: 0x5eed }] });
    let seq = 0;
    const send = setInterval(() => counter.socket.send(pcmaPacket(seq++, 0x5eed), t.port, t.ip), 20);
    timers.push(send);
    const stop = () => clearInterval(send);
    return { counter, transportId: t.id, stop };
  };

  it('answered: the phone rings, answers in PCMA, audio flows both ways, the terminal hangs up with BYE', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const invitesBefore = kamailio.requests('INVITE').length;
    const started = await ack(terminal, 'call.start', { entryId: entries.answer });
    expect(started).toMatchObject({ ok: true });
    const callId: string = started.callId;
    // 180 from the phone: the terminal sees it ring; then 200 → answered.
    expect(await next(terminal, 'call.state', (m: any) => m.step === 'ringing')).toMatchObject({ target: 'person', routeIndex: 0 });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    // The phone answered in PCMA: the terminal is asked to send its microphone in PCMA (mediasoup does not transcode).
    expect(await next(terminal, 'media.codec')).toEqual({ callId, audioCodec: 'audio/PCMA' });
    // The INVITE went through Kamailio (challenged once with 407, then with credentials).
    await kamailio.sawRequests('INVITE', invitesBefore + 2);
    expect(kamailio.requests('INVITE').length - invitesBefore).toBe(2);

    const call = gw.gateway.services.calls.get(callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(phone).toMatchObject({ kind: 'sip', audioCodec: 'audio/PCMA', leftAt: null });
    // mediasoup does not transcode: the terminal now receives (and must send) PCMA too.
    expect(call.participant(site.terminal.id)!.audioCodec).toBe('audio/PCMA');
    const media = call.media as SfuCallMedia;

    const term = await terminalMedia(media, site.terminal.id);
    // The leg reports its answer before mediasoup has its producer: wait for it.
    const phoneProducer = await audioProducer(media, site.terminal.id, (id) => id === phone.id);
    const consumer = await media.consume(site.terminal.id, term.transportId, phoneProducer.producerId);
    expect((consumer.rtpParameters as any).codecs[0].mimeType).toBe('audio/PCMA');
    await media.resume(site.terminal.id, consumer.id);

    // The visitor's audio reaches the phone (sipp's answer named the Node ear as its RTP port) ...
    await ears.answer!.reach(8, 25);
    // ... from the leg's RTP port, an even one of sip.rtp_port_min..max (symmetric RTP: the port its offer named).
    const legPort = ears.answer!.lastSource!.port;
    expect(legPort % 2).toBe(0);
    expect(legPort).toBeGreaterThanOrEqual(RTP_PORTS.min);
    expect(legPort).toBeLessThan(RTP_PORTS.max);
    // ... and the phone's (g711a.pcap, played by sipp) reaches the terminal.
    await term.counter.reach(8, 25);
    term.stop();

    const byesBefore = kamailio.requests('BYE').length;
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
    // The BYE went out (record-routed through Kamailio) and the call's router is gone.
    expect(await kamailioSaw('BYE', byesBefore + 1)).toBe(byesBefore + 1);
    expect(routers()).toBe(0);
  });

  it('early media: a 183 with SDP plays the PBX\'s audio to the terminal while it still rings; nothing goes to the phone before an answer', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries['early-media'] });
    const callId: string = started.callId;
    await next(terminal, 'call.state', (m: any) => m.step === 'ringing');
    // The phone's early audio is announced to the terminal like any participant's producer.
    const announced = await next(terminal, 'media.producer', (m: any) => m.callId === callId);
    const call = gw.gateway.services.calls.get(callId);
    const media = call.media as SfuCallMedia;
    const early = media.producersFor(site.terminal.id).find((p) => p.producerId === announced.producerId)!;
    expect(early).toMatchObject({ kind: 'audio', producerId: announced.producerId });
    expect(call.hasParticipant(early.participantId)).toBe(false);
    const term = await terminalMedia(media, site.terminal.id);
    const consumer = await media.consume(site.terminal.id, term.transportId, early.producerId);
    expect((consumer.rtpParameters as any).codecs[0].mimeType).toBe('audio/PCMA');
    await media.resume(site.terminal.id, consumer.id);
    // sipp's g711a.pcap after its 183 reaches the terminal through mediasoup ...
    await term.counter.reach(8, 25);
    const phoneUp = (await media.stats()).find((st) => st.participantId === early.participantId)!.audioUp;
    expect(phoneUp).toHaveLength(1);
    expect(phoneUp[0]!.id).toContain(early.producerId);
    expect(phoneUp[0]!.packets).toBeGreaterThanOrEqual(25);
    // ... while the call still rings: not answered, the leg ringing, and the phone consumes nothing of the visitor.
    expect(call.answered).toBe(false);
    expect(legsOf(callId)).toEqual(['sip:ringing']);
    expect(media.consumersOf(early.participantId)).toEqual([]);
    expect(ears['early-media']!.count(8)).toBe(0);
    term.stop();
    const cancelsBefore = kamailio.requests('CANCEL').length;
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'cancelled', outcome: 'cancelled' });
    expect(await kamailioSaw('CANCEL', cancelsBefore + 1)).toBe(cancelsBefore + 1);
    expect(routers()).toBe(0);
  });

  it('early media, then the answer: the early producer goes on after the 200 and audio flows both ways', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries['early-answer'] });
    const callId: string = started.callId;
    const announced = await next(terminal, 'media.producer', (m: any) => m.callId === callId);
    const call = gw.gateway.services.calls.get(callId);
    const media = call.media as SfuCallMedia;
    const term = await terminalMedia(media, site.terminal.id);
    const consumer = await media.consume(site.terminal.id, term.transportId, announced.producerId);
    await media.resume(site.terminal.id, consumer.id);
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await next(terminal, 'media.codec')).toEqual({ callId, audioCodec: 'audio/PCMA' });
    // Announced again at the answer (as a ringing desk's producers are): the page shows what it kept aside while it rang.
    expect(await next(terminal, 'media.producer', (m: any) => m.callId === callId)).toMatchObject({ producerId: announced.producerId });
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    // The 200 repeats the 183's answer: the phone's one audio producer is still the early one.
    expect(media.producersFor(site.terminal.id).filter((p) => p.participantId === phone.id).map((p) => p.producerId)).toEqual([announced.producerId]);
    const atAnswer = term.counter.count(8);
    await term.counter.reach(8, atAnswer + 25);
    // The visitor's audio reaches the phone once it answered.
    await ears['early-answer']!.reach(8, 25);
    term.stop();
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
    expect(routers()).toBe(0);
  });

  it('hold: the phone\'s re-INVITEs sendonly / inactive / sendrecv / c=0.0.0.0 / sendrecv are answered recvonly / inactive / sendrecv / recvonly / sendrecv, the phone hears nothing and the RTP timeout sleeps while held, audio again after', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries.holds });
    const callId: string = started.callId;
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await next(terminal, 'media.codec')).toEqual({ callId, audioCodec: 'audio/PCMA' });
    const call = gw.gateway.services.calls.get(callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const media = call.media as SfuCallMedia;
    const term = await terminalMedia(media, site.terminal.id);
    const ear = ears.holds!;
    await ear.reach(8, 8);
    const leg = [...gw.gateway.services.sipLegs.legs].find((l) => l.participantId === phone.id)!;
    expect(leg.held).toBe(false);
    // What mediasoup and the leg's RTP watch see at each direction, before Portier's 200 leaves (the event comes first).
    const seen: Array<{ direction: string; consumersPaused: boolean[]; held: boolean; ear: number }> = [];
    const legs = gw.gateway.services.sipLegs;
    const back = new Promise<void>((resolve) => {
      const onDirection = (d: { callId: string; direction: string }) => {
        if (d.callId !== callId) return;
        seen.push({ direction: d.direction, consumersPaused: media.consumersOf(phone.id).map((c) => c.paused), held: leg.held, ear: ear.count(8) });
        if (seen.length === 5) { legs.off('direction', onDirection); resolve(); }
      };
      legs.on('direction', onDirection);
    });
    // The phone holds now: an OPTIONS into sipp's call (Portier's Call-ID) lets its scenario go on.
    const sippHolds = sipps.holds!;
    /** ACKs from sipp's port: its one call's ACKs of the re-INVITEs' 200s (Portier's own ACK of the INVITE's 200 comes from Portier's port). */
    const sippAcks = () => kamailio.requests('ACK').filter((l) => l.includes(` via 127.0.0.1:${sippHolds.port} `)).length;
    ear.socket.send([
      `OPTIONS sip:uas@127.0.0.1:${sippHolds.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${ear.socket.address().port};branch=z9hG4bK-go-${callId}`,
      'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:uas@127.0.0.1>', `Call-ID: ${leg.sipCallId}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n'), sippHolds.port, '127.0.0.1');
    await back;
    // Before: the leg answered every re-INVITE with sendrecv and nothing paused.
    expect(seen.map((s) => [s.direction, s.consumersPaused, s.held])).toEqual([
      ['recvonly', [true], true], ['inactive', [true], true], ['sendrecv', [false], false], ['recvonly', [true], true], ['sendrecv', [false], false],
    ]);
    // Back: the visitor is heard on the phone again, at the address it had before the old-style hold.
    await ear.reach(8, seen[4]!.ear + 8);
    // Hung up only once sipp has the fifth 200 and acknowledged it: the direction event comes before the 200 leaves, and a BYE before it is an unexpected message to sipp (the final fresh-clone run of stop 24 failed so).
    // Counted from sipp's port: a count of all ACKs from before the OPTIONS could include Portier's ACK of the INVITE's 200 only once Kamailio logged it.
    while (sippAcks() < 5) await kamailio.sawRequests('ACK', kamailio.requests('ACK').length + 1);
    term.stop();
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
    // sipp checked each 200's a= line and got the BYE.
    expect(await sippHolds.exited(), sippHolds.output.slice(-3000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('session timers: the phone asks Portier to refresh (Session-Expires 10;refresher=uac) — a re-INVITE with Session-Expires at half the interval; the phone\'s UPDATE refresh is answered 200 with Session-Expires', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries['session-refresh'] });
    const callId: string = started.callId;
    const legs = gw.gateway.services.sipLegs;
    const refreshes: Array<{ seconds: number; weRefresh: boolean; refreshes: number }> = [];
    const twoRefreshes = new Promise<void>((resolve) => {
      const onSession = (s: { callId: string; seconds: number; weRefresh: boolean; refreshes: number }) => {
        if (s.callId !== callId) return;
        refreshes.push({ seconds: s.seconds, weRefresh: s.weRefresh, refreshes: s.refreshes });
        if (refreshes.length === 2) { legs.off('session', onSession); resolve(); }
      };
      legs.on('session', onSession);
    });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    const invitesBefore = kamailio.requests('INVITE').length;
    await twoRefreshes;
    // Ours (the re-INVITE, answered 2xx: we refresh again), then the phone's UPDATE (refresher=uas: still us).
    expect(refreshes).toEqual([{ seconds: 10, weRefresh: true, refreshes: 1 }, { seconds: 10, weRefresh: true, refreshes: 2 }]);
    // Both went through Kamailio (its log line may come after Portier's event: waited for).
    expect(await kamailioSaw('INVITE', invitesBefore + 1)).toBeGreaterThanOrEqual(invitesBefore + 1);
    expect(await kamailioSaw('UPDATE', 1)).toBe(1);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
    // sipp checked the re-INVITE's and the UPDATE's 200's Session-Expires, and got the BYE (before: UPDATE got 501, no refresh was sent).
    const sipp = sipps['session-refresh']!;
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('session timers: the phone is the refresher (Session-Expires 3;refresher=uas) and never refreshes — the call ends session-expired with a BYE', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries['session-expires'] });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await next(terminal, 'call.state', (m: any) => m.step === 'ended', 30_000)).toMatchObject({ reason: 'session-expired', outcome: 'answered' });
    expect(() => gw.gateway.services.calls.get(started.callId)).toThrow(/not found/);
    const sipp = sipps['session-expires']!;
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('session timers (review s21 #32): Portier\'s refresh answered 491 is sent again after the RFC 3261 §14.1 wait and the call stays up; the phone\'s UPDATE asking 2 s (below the floor, 3 here) is answered 422 with Min-SE', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const updatesBefore = kamailio.requests('UPDATE').length;
    const refusalsBefore = kamailio.replies(422, 'UPDATE').length;
    const started = await ack(terminal, 'call.start', { entryId: entries['session-glare'] });
    const callId: string = started.callId;
    const legs = gw.gateway.services.sipLegs;
    const refreshed = new Promise<{ seconds: number; weRefresh: boolean; refreshes: number }>((resolve) => {
      const onSession = (s: { callId: string; seconds: number; weRefresh: boolean; refreshes: number }) => {
        if (s.callId !== callId) return;
        legs.off('session', onSession);
        resolve({ seconds: s.seconds, weRefresh: s.weRefresh, refreshes: s.refreshes });
      };
      legs.on('session', onSession);
    });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    // Before: the 491 ended the call (session-expired, BYE).
    expect(await refreshed).toEqual({ seconds: 10, weRefresh: true, refreshes: 1 });
    // The UPDATE's 422 went back through Kamailio (sipp checks its Min-SE).
    expect(await kamailio.sawRequests('UPDATE', updatesBefore + 1)).toBe(updatesBefore + 1);
    // Hung up only once the 422 is on its way to the phone: a BYE before it is an unexpected message to sipp (the CI run of stop 24 hung up when Kamailio had logged the UPDATE, and sipp got the BYE first).
    expect(await kamailio.sawReplies(422, 'UPDATE', refusalsBefore + 1)).toBe(refusalsBefore + 1);
    expect(gw.gateway.services.calls.get(callId).ended).toBe(false);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-terminal', outcome: 'answered' });
    const sipp = sipps['session-glare']!;
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('session timers (review s21 #32): Portier\'s refresh answered 481 — the dialog is gone at the phone — ends the call session-expired with a BYE', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries['session-gone'] });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await next(terminal, 'call.state', (m: any) => m.step === 'ended', 30_000)).toMatchObject({ reason: 'session-expired', outcome: 'answered' });
    expect(() => gw.gateway.services.calls.get(started.callId)).toThrow(/not found/);
    const sipp = sipps['session-gone']!;
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
    expect(routers()).toBe(0);
  });

  it('the phone hangs up: its BYE ends the call for the terminal', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries['hangs-up'] });
    await next(terminal, 'call.state', (m: any) => m.step === 'answered');
    // sipp plays its capture to Portier while the call lasts, then sends BYE.
    expect(await next(terminal, 'call.state', (m: any) => m.step === 'ended', 15_000)).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(gw.gateway.services.calls.callOfTerminal(site.terminal.id)).toBeUndefined();
    expect(() => gw.gateway.services.calls.get(started.callId)).toThrow(/not found/);
    expect(routers()).toBe(0);
  });

  /** The terminal calls the entry; the phone refuses; the reception (rita) rings next. */
  const refusedThenReception = async (name: string) => {
    const rita = await client('/desk', site.users.rita!.cookie);
    const terminal = await client('/terminal', site.terminal.cookie);
    const started = await ack(terminal, 'call.start', { entryId: entries[name] });
    const callId: string = started.callId;
    expect(await next(rita, 'call.ring')).toMatchObject({ callId });
    expect(await next(terminal, 'call.state', (m: any) => m.step === 'ringing' && m.target === 'reception')).toMatchObject({ routeIndex: 1 });
    const legs = legsOf(callId);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'cancelled', outcome: 'cancelled' });
    rita.close();
    terminal.close();
    expect(routers()).toBe(0);
    return legs;
  };

  it('486 Busy Here: the leg is busy and the reception takes over', async () => {
    expect(await refusedThenReception('busy')).toEqual(['sip:busy(sip 486)', 'desk-group:ringing']);
  });

  it('603 Decline: the leg is declined and the reception takes over', async () => {
    expect(await refusedThenReception('declined')).toEqual(['sip:declined(sip 603)', 'desk-group:ringing']);
  });

  it('480 Temporarily Unavailable: the leg is unanswered and the reception takes over', async () => {
    expect(await refusedThenReception('unavailable')).toEqual(['sip:no-answer(sip 480)', 'desk-group:ringing']);
  });

  it('no answer within the leg timeout: CANCEL goes out and the reception takes over', async () => {
    const cancelsBefore = kamailio.requests('CANCEL').length;
    expect(await refusedThenReception('no-answer')).toEqual(['sip:no-answer(timeout)', 'desk-group:ringing']);
    expect(await kamailioSaw('CANCEL', cancelsBefore + 1)).toBe(cancelsBefore + 1);
  });

  it('the visitor gives up while the phone rings: CANCEL goes out', async () => {
    const terminal = await client('/terminal', site.terminal.cookie);
    const cancelsBefore = kamailio.requests('CANCEL').length;
    const started = await ack(terminal, 'call.start', { entryId: entries['no-answer'] });
    await next(terminal, 'call.state', (m: any) => m.step === 'ringing');
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId: started.callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'cancelled', outcome: 'cancelled' });
    expect(await kamailioSaw('CANCEL', cancelsBefore + 1)).toBe(cancelsBefore + 1);
    expect(routers()).toBe(0);
  });

  it('a SIP route is checked when saved: a configured account and an extension or number', async () => {
    const post = (route: object) => site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Wrong phone', routes: [route] });
    expect(await post({ type: 'sip', accountId: 'nope', user: '7001' })).toMatchObject({ status: 400, body: { error: 'invalid' } });
    expect(await post({ type: 'sip', accountId: 'pbx', user: '70 01' })).toMatchObject({ status: 400, body: { error: 'invalid' } });
    expect(await post({ type: 'sip', accountId: 'pbx', user: 'x@evil.example' })).toMatchObject({ status: 400, body: { error: 'invalid' } });
    expect(await post({ type: 'sip', accountId: 'pbx', user: '+49301234567' })).toMatchObject({ status: 201 });
  });
});
