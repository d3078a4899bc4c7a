// SIP door stations through the admin API (issue 13, slice 3): made for a site
// with its SIP user, door, entry and relay; the digest secret is answered once and
// stored sealed under the master key (never the secret itself in the database);
// a taken SIP user, a door or entry of another site are refused by name; changes
// and removals are audited; a restarted gateway still knows the station and its secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { startGateway } from '../support/gateway.ts';

describe('door stations (admin API)', () => {
  let gw: Gw;
  let site: SiteFixture;
  let labDoor: string;
  let labEntry: string;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    labDoor = (await site.admin.post('/api/sites/lab/doors', { name: 'Lab door' })).body.id;
    labEntry = (await site.admin.post('/api/sites/lab/phonebook', { kind: 'reception', name: 'Lab desk', routes: [{ type: 'desk-group', roleId: 'reception' }] })).body.id;
  }, 120_000);
  afterAll(async () => { await gw?.close(); });

  const audited = async (action: string) => (await site.admin.get(`/api/audit?action=${action}`)).body as Array<{ target_id: string; details: string | null }>;

  it('makes a station: the secret is answered once, stored sealed, never listed; the station is offline until it registers', async () => {
    const made = await site.admin.post('/api/sites/hq/door-stations', {
      name: 'Haupteingang', doorId: site.doorId, sipUser: 'door-hq-1', entryId: site.entries['Anna Müller'], relay: { way: 'sip-info', code: '*1' },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { station, secret } = made.body as { station: { id: string }; secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(station).toMatchObject({ siteId: 'hq', doorId: site.doorId, sipUser: 'door-hq-1', relay: { way: 'sip-info', hasCode: true }, registration: { online: false } });

    const listed = (await site.admin.get('/api/sites/hq/door-stations')).body as Array<Record<string, unknown>>;
    expect(listed.map((s) => s.id)).toEqual([station.id]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    // The relay code opens the door: written, never read back (review s21 #14).
    expect(listed[0]!.relay).toEqual({ way: 'sip-info', hasCode: true });
    expect(JSON.stringify(listed)).not.toContain('*1');
    expect(gw.gateway.services.doorStations.get(station.id).relay).toEqual({ way: 'sip-info', code: '*1' });

    const rows = await sql<{ sealed_secret: string }>`SELECT sealed_secret FROM door_stations WHERE id = ${station.id}`.execute(gw.gateway.services.store.db);
    expect(rows.rows[0]!.sealed_secret).toMatch(/^enc:v1:/);
    expect(rows.rows[0]!.sealed_secret).not.toContain(secret);
    // What the registrar checks the digest against: the secret, opened.
    expect(gw.gateway.services.doorStations.credentialsOf('door-hq-1')?.secret).toBe(secret);
    expect((await audited('door-station.create')).map((e) => e.target_id)).toContain(station.id);
  });

  it('refuses a taken SIP user (409), a door or an entry of another site (400), each by its reason', async () => {
    const base = { name: 'Nebeneingang', relay: { way: 'mqtt' } };
    const taken = await site.admin.post('/api/sites/hq/door-stations', { ...base, sipUser: 'door-hq-1' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ reason: 'door-station.user-taken', params: { user: 'door-hq-1' } });
    const door = await site.admin.post('/api/sites/hq/door-stations', { ...base, sipUser: 'door-hq-2', doorId: labDoor });
    expect(door.status).toBe(400);
    expect(door.body.reason).toBe('door.not-on-site');
    const entry = await site.admin.post('/api/sites/hq/door-stations', { ...base, sipUser: 'door-hq-2', entryId: labEntry });
    expect(entry.status).toBe(400);
    expect(entry.body.reason).toBe('door-station.entry-not-on-site');
    const user = await site.admin.post('/api/sites/hq/door-stations', { ...base, sipUser: 'door hq' });
    expect(user.status).toBe(400);
    const code = await site.admin.post('/api/sites/hq/door-stations', { ...base, sipUser: 'door-hq-2', relay: { way: 'sip-info', code: '*1a' } });
    expect(code.status).toBe(400);
    expect((await site.admin.get('/api/sites/hq/door-stations')).body).toHaveLength(1);
  });

  it('changes, renews the secret of and removes a station, each audited; moved to another site it loses its door and entry', async () => {
    const { station, secret } = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Garage', sipUser: 'garage', doorId: site.doorId, relay: { way: 'mqtt' } })).body;
    const renamed = await site.admin.call('PATCH', `/api/door-stations/${station.id}`, { name: 'Tiefgarage', relay: { way: 'sip-info', code: '#9' } });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Tiefgarage', relay: { way: 'sip-info', hasCode: true }, doorId: site.doorId });
    expect(JSON.stringify(renamed.body)).not.toContain('#9');
    const moved = await site.admin.call('PATCH', `/api/door-stations/${station.id}`, { siteId: 'lab' });
    expect(moved.body).toMatchObject({ siteId: 'lab', doorId: null, entryId: null });
    expect(JSON.parse((await audited('door-station.update'))[0]!.details!)).toEqual({ fields: ['siteId'], fromSite: 'hq' });

    const renewed = await site.admin.post(`/api/door-stations/${station.id}/secret`, {});
    expect(renewed.status).toBe(200);
    expect(renewed.body.secret).not.toBe(secret);
    expect(gw.gateway.services.doorStations.credentialsOf('garage')?.secret).toBe(renewed.body.secret);

    expect((await site.admin.call('DELETE', `/api/door-stations/${station.id}`)).status).toBe(204);
    expect(gw.gateway.services.doorStations.credentialsOf('garage')).toBeUndefined();
    const gone = await site.admin.call('PATCH', `/api/door-stations/${station.id}`, { name: 'x' });
    expect(gone.status).toBe(404);
    expect(gone.body.reason).toBe('door-station.not-found');
    expect((await audited('door-station.delete')).map((e) => e.target_id)).toContain(station.id);
  });

  it('the entry a station rings is not deleted (409 naming the station); erased, the station rings the reception', async () => {
    const entry = (await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Bernd Klein', routes: [{ type: 'desk-user', userId: site.users.anna!.id }] })).body.id as string;
    const { station } = (await site.admin.post('/api/sites/hq/door-stations', { name: 'Hintertür', sipUser: 'back-door', entryId: entry, relay: { way: 'mqtt' } })).body;
    const refused = await site.admin.call('DELETE', `/api/phonebook/${entry}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', reason: 'entry.in-use', params: { stations: 'Hintertür' } });
    expect(gw.gateway.services.phonebook.find(entry)).toBeDefined();

    // An erasure must remove the entry anyway: the station lets go of it (audited) and rings the reception.
    const erased = await site.admin.post(`/api/privacy/subjects/phonebook-entry/${entry}/erase`, {});
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(gw.gateway.services.phonebook.find(entry)).toBeUndefined();
    expect(gw.gateway.services.doorStations.get(station.id).entryId).toBeNull();
    const update = (await audited('door-station.update')).find((e) => e.target_id === station.id);
    expect(JSON.parse(update!.details!)).toEqual({ fields: ['entryId'] });
    expect((await site.admin.call('DELETE', `/api/door-stations/${station.id}`)).status).toBe(204);
  });

  it('a host without terminal.admin neither lists nor makes stations', async () => {
    const host = new (site.admin.constructor as any)(gw.base);
    host.cookie = site.users.anna!.cookie;
    expect((await host.get('/api/sites/hq/door-stations')).status).toBe(403);
    expect((await host.post('/api/sites/hq/door-stations', { name: 'x', sipUser: 'x', relay: { way: 'mqtt' } })).status).toBe(403);
  });
});
