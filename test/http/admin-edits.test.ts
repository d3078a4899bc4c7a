// Editing through the admin API (issue 12, admin page): terminals renamed and
// moved (PATCH /api/terminals/:id), devices changed and deleted (PATCH/DELETE
// /api/devices/:id: a connected device whose identity changed is disconnected),
// cards changed (PATCH /api/cards/:id: an emptied validity is no limit, never
// 1970), role assignments refused with the permissions the caller lacks. Every
// change is audited; a second admin's delete leaves the first one a named not-found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { closeClient, closedEvent, connect, device } from '../support/mqtt.ts';

const PASSWORD = 'a long enough password';

describe('admin edits through the API', () => {
  let gw: Gw;
  let site: SiteFixture;
  let labDoor: string;
  /** Holds terminal.admin and device.admin on hq only. */
  let keeper: ApiClient;
  /** Holds user.admin and call.answer everywhere, nothing else. */
  let manager: ApiClient;
  /** The audit entries of an action, newest first: their target and parsed details. */
  const audited = async (action: string) => ((await site.admin.get(`/api/audit?action=${action}`)).body as Array<{ target_id: string; details: string | null }>)
    .map((e) => ({ target: { id: e.target_id }, details: e.details === null ? null : JSON.parse(e.details) as unknown }));

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    labDoor = (await site.admin.post('/api/sites/lab/doors', { name: 'Lab door' })).body.id;
    const signedIn = async (login: string, permissions: string[], siteId: string | null) => {
      const role = await site.admin.post('/api/roles', { name: `${login}-role`, description: login, permissions });
      const user = await site.admin.post('/api/users', { login, displayName: login, password: PASSWORD });
      expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId })).status).toBe(200);
      const client = new ApiClient(gw.base);
      expect((await client.post('/api/auth/login', { login, password: PASSWORD })).status).toBe(200);
      return client;
    };
    keeper = await signedIn('keeper', ['terminal.admin', 'device.admin'], 'hq');
    manager = await signedIn('manager', ['user.admin', 'call.answer'], null);
  });
  afterAll(async () => { await gw?.close(); });

  it('renames a terminal and moves it to another site and door; a door of another site, an unknown site and a site without the right are refused', async () => {
    const created = (await site.admin.post('/api/terminals', { name: 'Lobby 2', siteId: 'hq' })).body.terminal;
    const renamed = await site.admin.call('PATCH', `/api/terminals/${created.id}`, { name: 'Lobby Nord' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: created.id, name: 'Lobby Nord', siteId: 'hq', doorId: null });

    const foreignDoor = await site.admin.call('PATCH', `/api/terminals/${created.id}`, { doorId: labDoor });
    expect(foreignDoor.status).toBe(400);
    expect(foreignDoor.body).toMatchObject({ error: 'invalid', reason: 'door.not-on-site', params: { site: 'hq' } });
    const noSite = await site.admin.call('PATCH', `/api/terminals/${created.id}`, { siteId: 'nowhere' });
    expect(noSite.status).toBe(404);
    expect(noSite.body.reason).toBe('site.not-found');
    // The keeper may edit hq's terminals but not move one to lab.
    const away = await keeper.call('PATCH', `/api/terminals/${created.id}`, { siteId: 'lab', doorId: labDoor });
    expect(away.status).toBe(403);
    expect(away.body).toMatchObject({ reason: 'permission.missing', params: { permission: 'terminal.admin' } });

    const moved = await site.admin.call('PATCH', `/api/terminals/${created.id}`, { siteId: 'lab', doorId: labDoor });
    expect(moved.body).toMatchObject({ name: 'Lobby Nord', siteId: 'lab', doorId: labDoor });
    const listed = (await site.admin.get('/api/terminals')).body.find((t: { id: string }) => t.id === created.id);
    expect(listed).toMatchObject({ name: 'Lobby Nord', siteId: 'lab', doorId: labDoor });
    const updates = (await audited('terminal.update')).filter((e) => e.target.id === created.id);
    expect(updates.map((e) => e.details)).toEqual([{ fields: ['doorId', 'siteId'], fromSite: 'hq' }, { fields: ['name'] }]);
    // Now on lab, it is out of the keeper's reach altogether.
    expect((await keeper.call('PATCH', `/api/terminals/${created.id}`, { name: 'x' })).status).toBe(403);
    // Moved back without naming a door: lab's door is not on hq, so it has none (before: 400 door.not-on-site; review s20 #17).
    const back = await site.admin.call('PATCH', `/api/terminals/${created.id}`, { siteId: 'hq' });
    expect([back.status, back.body.siteId, back.body.doorId]).toEqual([200, 'hq', null]);
    const revoked = await site.admin.post(`/api/credentials/${created.id}/revoke`);
    expect(revoked.status).toBe(200);
    const gone = await site.admin.call('PATCH', `/api/terminals/${created.id}`, { name: 'again' });
    expect(gone.status).toBe(404);
    expect(gone.body.reason).toBe('terminal.not-found');
  });

  it('changes a device\'s name, kind and site: the connected device is disconnected and comes back as what it now is', async () => {
    const registered = (await keeper.post('/api/devices', { id: 'hall-sensor', kind: 'sensor', siteId: 'hq' })).body;
    const url = `mqtt://127.0.0.1:${gw.gateway.services.deviceHub.mqttPorts.tcp}`;
    const client = await connect(url, device({ id: 'hall-sensor', secret: registered.secret }, { reconnectPeriod: 0 }));
    const closed = closedEvent(client);
    const relabelled = await keeper.call('PATCH', '/api/devices/hall-sensor', { label: 'Halle' });
    expect(relabelled.body).toMatchObject({ id: 'hall-sensor', label: 'Halle', kind: 'sensor' });
    expect(client.connected).toBe(true);

    const needsDoor = await keeper.call('PATCH', '/api/devices/hall-sensor', { kind: 'door' });
    expect(needsDoor.status).toBe(400);
    expect(needsDoor.body.reason).toBe('device.door-required');
    const rekinded = await keeper.call('PATCH', '/api/devices/hall-sensor', { kind: 'door', doorId: site.doorId });
    expect(rekinded.body).toMatchObject({ kind: 'door', doorId: site.doorId, siteId: 'hq' });
    await closed;
    // The same secret still works, now as a door controller.
    const again = await connect(url, device({ id: 'hall-sensor', secret: registered.secret }, { reconnectPeriod: 0 }));
    await closeClient(again);
    await closeClient(client);

    expect((await keeper.call('PATCH', '/api/devices/hall-sensor', { siteId: 'lab', doorId: labDoor })).status).toBe(403);
    const moved = await site.admin.call('PATCH', '/api/devices/hall-sensor', { siteId: 'lab', doorId: labDoor });
    expect(moved.body).toMatchObject({ siteId: 'lab', doorId: labDoor, label: 'Halle' });
    expect((await site.admin.get('/api/devices?siteId=lab')).body.map((d: { id: string }) => d.id)).toEqual(['hall-sensor']);
    expect((await audited('device.update')).map((e) => e.details)).toEqual([
      { fields: ['doorId', 'siteId'], fromSite: 'hq' }, { fields: ['doorId', 'kind'] }, { fields: ['label'] },
    ]);
  });

  it('tells how a device connects: the host the admin reached, the broker\'s ports and the topics its ACL allows', async () => {
    await keeper.post('/api/devices', { id: 'front-door', kind: 'door', siteId: 'hq', doorId: site.doorId });
    const { body } = await keeper.get('/api/devices/front-door/connection');
    const ports = gw.gateway.services.deviceHub.mqttPorts;
    expect(body).toEqual({
      host: '127.0.0.1', username: 'front-door', ports: { tcp: ports.tcp, tls: ports.tls },
      topics: {
        publish: ['state', 'ack', 'status', 'event'].map((leaf) => `portier/hq/front-door/${leaf}`),
        subscribe: ['portier/hq/front-door/#', `portier/hq/doors/${site.doorId}/cmd`],
      },
    });
    expect((await keeper.get('/api/devices/no-such-device/connection')).body.reason).toBe('device.not-found');
  });

  it('deletes a device: its secret stops working, its id is free again, a second delete is a named not-found', async () => {
    const registered = (await keeper.post('/api/devices', { id: 'old-reader', kind: 'card-reader', siteId: 'hq' })).body;
    const url = `mqtt://127.0.0.1:${gw.gateway.services.deviceHub.mqttPorts.tcp}`;
    const client = await connect(url, device({ id: 'old-reader', secret: registered.secret }, { reconnectPeriod: 0 }));
    const closed = closedEvent(client);
    expect((await keeper.call('DELETE', '/api/devices/old-reader')).status).toBe(204);
    await closed;
    await closeClient(client);
    await expect(connect(url, device({ id: 'old-reader', secret: registered.secret }, { reconnectPeriod: 0 }))).rejects.toThrow();
    const twice = await keeper.call('DELETE', '/api/devices/old-reader');
    expect(twice.status).toBe(404);
    expect(twice.body).toMatchObject({ error: 'not-found', reason: 'device.not-found', params: { id: 'old-reader' } });
    const patched = await keeper.call('PATCH', '/api/devices/old-reader', { label: 'x' });
    expect(patched.body.reason).toBe('device.not-found');
    expect((await audited('device.delete')).map((e) => e.target.id)).toEqual(['old-reader']);
    expect((await keeper.post('/api/devices', { id: 'old-reader', kind: 'card-reader', siteId: 'hq' })).status).toBe(201);
  });

  it('changes a card\'s holder and validity: null stays no limit (never 1970), a window ending before it starts is refused', async () => {
    const card = (await keeper.post('/api/cards', { siteId: 'hq', card: '0042', holderRef: 'visit-1', kind: 'visitor', validFrom: 1_000, validUntil: 2_000_000_000_000 })).body;
    const open = await keeper.call('PATCH', `/api/cards/${card.id}`, { holderRef: 'visit-2', validFrom: null, validUntil: null });
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({ id: card.id, holderRef: 'visit-2', validFrom: null, validUntil: null, doors: null });
    expect((await keeper.get('/api/cards?siteId=hq')).body.find((c: { id: string }) => c.id === card.id)).toMatchObject({ validFrom: null, validUntil: null });
    const backwards = await keeper.call('PATCH', `/api/cards/${card.id}`, { validFrom: 5_000, validUntil: 4_000 });
    expect(backwards.status).toBe(400);
    expect(backwards.body.reason).toBe('card.window');
    const foreign = await keeper.call('PATCH', `/api/cards/${card.id}`, { doors: [labDoor] });
    expect(foreign.status).toBe(400);
    expect((await keeper.call('PATCH', `/api/cards/${card.id}`, { doors: [site.doorId] })).body.doors).toEqual([site.doorId]);
    expect((await audited('card.update')).map((e) => e.details)).toEqual([{ fields: ['doors'] }, { fields: ['holderRef', 'validFrom', 'validUntil'] }]);
    // A second admin deleted it meanwhile.
    expect((await site.admin.call('DELETE', `/api/cards/${card.id}`)).status).toBe(204);
    const late = await keeper.call('PATCH', `/api/cards/${card.id}`, { holderRef: 'visit-3' });
    expect(late.status).toBe(404);
    expect(late.body.reason).toBe('card.not-found');
  });

  it('refuses to assign or remove a role whose permissions the caller lacks, naming them; assigning twice changes nothing', async () => {
    const rita = site.users.rita!.id;
    const refused = await manager.post(`/api/users/${rita}/roles`, { roleId: 'admin', siteId: 'hq' });
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toBe('role.assign-lacking');
    expect(String(refused.body.params.permissions)).toMatch(/site\.admin/);
    const removal = await manager.call('DELETE', `/api/users/${rita}/roles`, { roleId: 'admin', siteId: null });
    expect(removal.status).toBe(403);
    expect(removal.body.reason).toBe('role.assign-lacking');
    const unknownUser = await site.admin.post('/api/users/no-such-user/roles', { roleId: 'host', siteId: 'hq' });
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body.reason).toBe('user.not-found');
    await site.admin.post(`/api/users/${rita}/roles`, { roleId: 'host', siteId: 'hq' });
    const twice = await site.admin.post(`/api/users/${rita}/roles`, { roleId: 'host', siteId: 'hq' });
    expect(twice.body).toEqual([{ roleId: 'reception', siteId: 'hq' }, { roleId: 'host', siteId: 'hq' }]);
    expect((await site.admin.call('DELETE', `/api/users/${rita}/roles`, { roleId: 'host', siteId: 'hq' })).body).toEqual([{ roleId: 'reception', siteId: 'hq' }]);
  });
});
