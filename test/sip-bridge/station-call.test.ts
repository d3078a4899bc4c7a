// A registered door station's button (issue 13, slice 3): a real baresip with
// H.264 video (fakevideo through avcodec) registers at Portier as a station made
// in the admin API and dials; the call rings the site's reception (the station
// names no entry) like a terminal's call, with the station's name and a door;
// the reception answers, Portier's answer takes the station's video (its H.264
// format, not refused), the station's video becomes a video producer of its
// participant whose RTP arrives, and Open door at the desk reaches baresip as SIP
// INFO DTMF (application/dtmf-relay: '*', '1'), audited with the call id — a
// double press sends the code once, both presses get its outcome (review s21 #11).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Baresip } from '../support/baresip.ts';
import { until } from '../support/call-flow.ts';

describe('a door station calls through Portier', () => {
  let gw: Gw;
  let site: SiteFixture;
  let station: Baresip;
  let rita: Socket;
  let made: { station: { id: string }; secret: string };
  let port: number;

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0' });
    site = await seedSite(gw);
    port = gw.gateway.services.stationEndpoint!.port;
    made = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Haupteingang', sipUser: 'door-hq', doorId: site.doorId, relay: { way: 'sip-info', code: '*1' } })).body;
    const registrar = gw.gateway.services.stationEndpoint!.registrar;
    const online = new Promise<void>((resolve) => registrar.once('online', () => resolve()));
    station = await Baresip.start({ aor: `sip:door-hq@127.0.0.1:${port}`, accountParams: { auth_pass: made.secret, regint: 300, audio_codecs: 'PCMA' }, video: true });
    await online;
    rita = await connect(gw, '/desk', site.users.rita!.cookie);
  }, 120_000);
  afterAll(async () => {
    rita?.close();
    await station?.close();
    await gw?.close();
  });

  it('rings the reception with the station\'s video; Open door reaches the station as SIP INFO, audited with the call id', async () => {
    const ring = next<{ callId: string; hasDoor: boolean; terminal: { name: string } }>(rita, 'call.ring', () => true, 30_000);
    expect((await station.command('dial', `sip:door@127.0.0.1:${port}`)).ok).toBe(true);
    const rung = await ring;
    expect(rung.hasDoor).toBe(true);
    expect(rung.terminal.name).toContain('door-hq');
    const call = gw.gateway.services.calls.get(rung.callId);
    expect(call.entryId).toBe(site.entries['Empfang']);

    const answered = await ack(rita, 'call.answer', { callId: rung.callId });
    expect(answered.terminal.hasDoor).toBe(true);
    await station.event('CALL_ESTABLISHED');

    // The station's H.264 video: a video producer of its participant, its RTP passing the relay.
    const inbound = [...gw.gateway.services.sipInbound.calls].find((c) => c.stationId === made.station.id)!;
    expect(inbound.video?.offer.format).toMatchObject({ profileLevelId: expect.stringMatching(/^42/) });
    await until(() => inbound.video?.producerId !== undefined && inbound.video.relay.counters.fromRemote >= 10, 'the station\'s video reaches mediasoup');
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const video = call.media!.producersFor(site.users.rita!.id).find((p) => p.participantId === phone.id && p.kind === 'video');
    expect(video?.producerId).toBe(inbound.video!.producerId);

    // Open door pressed twice at once (a double click): '*' and '1' as SIP INFO in the dialog, each answered by
    // the station, sent once; both presses are told the one outcome.
    const from = station.events.length;
    const opened = await Promise.all([ack(rita, 'door.open', { callId: rung.callId }), ack(rita, 'door.open', { callId: rung.callId })]);
    expect(opened.map((o) => JSON.stringify(o))).toEqual([expect.stringContaining('acknowledged'), expect.stringContaining('acknowledged')]);
    const audit = (await site.admin.get(`/api/audit?action=door.open`)).body as Array<{ target_type: string; target_id: string; correlation_id: string; outcome: string; details: string }>;
    // One opening (keys sent once), two entries: the first press opened, the second joined it (review s22 #6),
    // both naming the station (review s23 #4).
    const ofCall = audit.filter((e) => e.correlation_id === rung.callId);
    expect(ofCall.map((e) => (JSON.parse(e.details) as { phase?: string }).phase ?? 'opened').sort()).toEqual(['joined', 'opened']);
    for (const e of ofCall) expect(e).toMatchObject({ target_type: 'door-station', target_id: made.station.id, correlation_id: rung.callId, outcome: 'ok' });
    expect(JSON.parse(ofCall.find((e) => !(JSON.parse(e.details) as { phase?: string }).phase)!.details)).toMatchObject({ via: 'sip-info' });

    expect((await station.command('hangup')).ok).toBe(true);
    await until(() => gw.gateway.services.calls.activeCalls.length === 0, 'the call is over');
    // baresip reports in order: every key it received is reported before the call's end.
    await station.event('CALL_CLOSED', () => true, from);
    expect(station.events.slice(from).filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param)).toEqual(['*', '1']);
  });
});
