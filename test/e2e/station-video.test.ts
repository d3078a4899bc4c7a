// A registered door station's H.264 video decoded by a Chromium desk (issue 13,
// slice 3/4): a real baresip with video (fakevideo through avcodec, Constrained
// Baseline) registers at Portier as a door station and dials; the reception's desk
// page rings and answers; the desk's getStats shows video frames decoded from the
// station's own video producer (no transcoding: the router forwards the station's
// H.264 in the entry it was produced in), and its audio played out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCallSite, until, type CallSite } from '../support/call-flow.ts';
import { deskPage, waitForEachProducer } from '../support/pages.ts';
import { Baresip } from '../support/baresip.ts';

describe('a Chromium desk shows a door station\'s H.264 video', () => {
  let cs: CallSite;
  let station: Baresip;
  let stationId: string;
  let port: number;

  beforeAll(async () => {
    cs = await openCallSite({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0' });
    port = cs.gw.gateway.services.stationEndpoint!.port;
    const made = (await cs.site.admin.post('/api/sites/hq/door-stations', { name: 'Haupteingang', sipUser: 'door-hq', doorId: cs.site.doorId, relay: { way: 'mqtt' } })).body;
    stationId = made.station.id;
    const registrar = cs.gw.gateway.services.stationEndpoint!.registrar;
    const online = new Promise<void>((resolve) => registrar.once('online', () => resolve()));
    station = await Baresip.start({ aor: `sip:door-hq@127.0.0.1:${port}`, accountParams: { auth_pass: made.secret, regint: 300, audio_codecs: 'PCMA' }, video: true });
    await online;
  }, 120_000);
  afterAll(async () => {
    await station?.close();
    await cs?.close();
  });

  it('the reception answers at its desk page and decodes the station\'s video frames (getStats framesDecoded > 0) and plays its audio', async () => {
    const rita = await cs.open(deskPage(cs.chromium.browser, cs.url, 'rita'));
    await rita.locator('#presence[data-state="available"]').waitFor();
    expect((await station.command('dial', `sip:door@127.0.0.1:${port}`)).ok).toBe(true);
    await rita.getByRole('alertdialog').waitFor({ timeout: 30_000 });
    await rita.keyboard.press('F8');
    await rita.locator('section.call').waitFor();
    await station.event('CALL_ESTABLISHED');

    const inbound = [...cs.gw.gateway.services.sipInbound.calls].find((c) => c.stationId === stationId)!;
    await until(() => inbound.video?.producerId !== undefined, 'the station\'s video producer');
    const call = cs.gw.gateway.services.calls.activeCalls[0]!;
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const producers = call.media!.producersFor(cs.site.users.rita!.id).filter((p) => p.participantId === phone.id);
    expect(producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    const videoId = inbound.video!.producerId!;
    expect(producers.find((p) => p.kind === 'video')!.producerId).toBe(videoId);

    // Frames of the station's own video producer decoded by Chromium, and still coming; its audio played out.
    const stats = await waitForEachProducer(rita, producers.map((p) => ({ producerId: p.producerId, kind: p.kind })), 60_000);
    expect(stats[videoId]!.framesDecoded).toBeGreaterThan(0);
    expect(stats[videoId]!.kind).toBe('video');

    expect((await station.command('hangup')).ok).toBe(true);
    await until(() => cs.gw.gateway.services.calls.activeCalls.length === 0, 'the call is over');
  }, 120_000);
});
