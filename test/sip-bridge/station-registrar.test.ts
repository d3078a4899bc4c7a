// Portier as the door stations' registrar (issue 13, slice 3): a real baresip
// registers as a station made in the admin API with the secret shown once, and
// the admin API and /ready show it online; a REGISTER without credentials is
// challenged, an unknown station or a wrong secret get 403 and are counted (one
// summary line, not one per request), a too short expiry 423 with Min-Expires,
// Expires: 0 takes the station offline, and deleting the station ends its binding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Baresip } from '../support/baresip.ts';
import { UdpPeer } from './udp-peer.ts';
import { stationRegisterer } from '../support/station-register.ts';
import { scrapeMetrics } from '../support/metrics.ts';

describe('door stations register at Portier', () => {
  let gw: Gw;
  let site: SiteFixture;
  let station: Baresip;
  let peer: UdpPeer;
  let port: number;
  let made: { station: { id: string }; secret: string };
  let other: { station: { id: string }; secret: string };

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__STATIONS__ENABLED: 'true', PORTIER_SIP__STATIONS__PORT: '0' });
    site = await seedSite(gw);
    port = gw.gateway.services.stationEndpoint!.port;
    made = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Haupteingang', sipUser: 'door-hq', doorId: site.doorId, relay: { way: 'sip-info', code: '*1' } })).body;
    other = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Garage', sipUser: 'garage', relay: { way: 'mqtt' } })).body;
    peer = await UdpPeer.start();
  }, 120_000);
  afterAll(async () => {
    await station?.close();
    await peer?.close();
    await gw?.close();
  });

  const registration = async (id: string) => ((await site.admin.get('/api/sites/hq/door-stations')).body as Array<{ id: string; registration: { online: boolean } }>)
    .find((s) => s.id === id)!.registration;

  /** A REGISTER from the bare peer as `user`, its answer; `secret` answers a 401's challenge. */
  let registerer: ReturnType<typeof stationRegisterer> | undefined;
  const register = (user: string, opts: { secret?: string; expires?: number; callId?: string } = {}) => (registerer ??= stationRegisterer(peer, port))(user, opts);

  it('a baresip station registers with its secret: online in the admin API and in /ready', async () => {
    expect(await registration(made.station.id)).toEqual({ online: false });
    // baresip registers as it starts, maybe before ctrl_tcp reports events: the registrar's own event says it.
    const registrar = gw.gateway.services.stationEndpoint!.registrar;
    const online = new Promise<string>((resolve) => registrar.on('online', (b) => resolve(b.stationId)));
    station = await Baresip.start({ aor: `sip:door-hq@127.0.0.1:${port}`, accountParams: { auth_pass: made.secret, regint: 120 } });
    expect(await online).toBe(made.station.id);

    expect(await registration(made.station.id)).toMatchObject({ online: true, contact: `127.0.0.1:${station.sipPort}` });
    const ready = (await site.admin.get('/ready')).body as { components: Record<string, { state: string; stations: Array<{ id: string; online: boolean }> }> };
    expect(ready.components['door-stations']!.state).toBe('ready');
    expect(ready.components['door-stations']!.stations).toEqual([expect.objectContaining({ id: made.station.id, online: true })]);
    expect(await registration(other.station.id)).toEqual({ online: false });
  });

  it('challenges a REGISTER without credentials and refuses an unknown station and a wrong secret with 403, counted', async () => {
    const registrar = gw.gateway.services.stationEndpoint!.registrar;
    const refused = registrar.counters.refused;
    expect(await register('garage')).toMatch(/^SIP\/2.0 401 .*\r\n[\s\S]*WWW-Authenticate: Digest realm="portier"/);
    expect(await register('nobody', { secret: 'whatever-it-is' })).toMatch(/^SIP\/2.0 403/);
    expect(await register('garage', { secret: 'not-the-secret' })).toMatch(/^SIP\/2.0 403/);
    expect(registrar.counters.refused).toBe(refused + 2);
    expect(await registration(other.station.id)).toEqual({ online: false });
  });

  it('grants at most sip.stations.max_expires, refuses less than min_expires with 423, and Expires: 0 takes the station offline', async () => {
    const brief = await register('garage', { secret: other.secret, expires: 10 });
    expect(brief).toMatch(/^SIP\/2.0 423/);
    expect(brief).toContain('Min-Expires: 60');
    const callId = randomBytes(8).toString('hex');
    const ok = await register('garage', { secret: other.secret, expires: 99_999, callId });
    expect(ok).toMatch(/^SIP\/2.0 200/);
    expect(ok).toMatch(/Expires: 3600\r\n/);
    expect(ok).toContain(`Contact: <sip:garage@127.0.0.1:${peer.port}>;expires=3600`);
    expect(await registration(other.station.id)).toMatchObject({ online: true, contact: `127.0.0.1:${peer.port}` });
    // Both stations (baresip's and this one) count on /metrics, until this one leaves.
    expect((await scrapeMetrics(gw.base)).get('portier_sip_door_stations_registered')).toBe(2);
    expect(await register('garage', { secret: other.secret, expires: 0, callId })).toMatch(/^SIP\/2.0 200/);
    expect(await registration(other.station.id)).toEqual({ online: false });
    expect((await scrapeMetrics(gw.base)).get('portier_sip_door_stations_registered')).toBe(1);
  });

  it('a renewed secret ends the binding at once; the old secret is refused', async () => {
    expect(await register('garage', { secret: other.secret })).toMatch(/^SIP\/2.0 200/);
    const renewed = (await site.admin.post(`/api/door-stations/${other.station.id}/secret`, {})).body as { secret: string };
    expect(await registration(other.station.id)).toEqual({ online: false });
    expect(await register('garage', { secret: other.secret })).toMatch(/^SIP\/2.0 403/);
    expect(await register('garage', { secret: renewed.secret })).toMatch(/^SIP\/2.0 200/);
    expect((await site.admin.call('DELETE', `/api/door-stations/${other.station.id}`)).status).toBe(204);
    expect(gw.gateway.services.stationEndpoint!.registrar.binding(other.station.id)).toBeUndefined();
  });
});
