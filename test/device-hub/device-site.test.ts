// A device belongs to one site, and so do the door and terminal it is bound to
// (issue 11, item 9): a device admin of one site cannot bind a device to another
// site's terminal or door. Black-box through the admin API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';

const PASSWORD = 'a long enough password';

describe('devices stay on their site', () => {
  let gw: Gw;
  let site: SiteFixture;
  /** Holds device.admin on hq only. */
  let hqDevices: ApiClient;
  let labTerminal: string;
  let labDoor: string;

  const written = async () => ({
    devices: ((await site.admin.get('/api/devices')).body as Array<{ id: string }>).map((d) => d.id).sort(),
    issued: ((await site.admin.get('/api/audit?action=credential.issue')).body as unknown[]).length,
  });

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    labDoor = (await site.admin.post('/api/sites/lab/doors', { name: 'Lab door' })).body.id;
    labTerminal = (await site.admin.post('/api/terminals', { name: 'Lab lobby', siteId: 'lab' })).body.terminal.id;
    const role = await site.admin.post('/api/roles', { name: 'device-keeper', description: 'registers devices', permissions: ['device.admin'] });
    const user = await site.admin.post('/api/users', { login: 'dev', displayName: 'Dev', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId: 'hq' })).status).toBe(200);
    hqDevices = new ApiClient(gw.base);
    expect((await hqDevices.post('/api/auth/login', { login: 'dev', password: PASSWORD })).status).toBe(200);
  });
  afterAll(async () => { await gw?.close(); });

  it('refuses a sensor of hq bound to a terminal of lab (400 naming terminalId) and writes nothing', async () => {
    const before = await written();
    const res = await hqDevices.post('/api/devices', { id: 'spy-sensor', kind: 'sensor', siteId: 'hq', terminalId: labTerminal });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid', message: `terminalId: terminal ${labTerminal} is not a terminal of site hq` });
    expect(await written()).toEqual(before);
  });

  it('answers an unknown terminal exactly like another site\'s (nothing to learn about other sites)', async () => {
    const res = await hqDevices.post('/api/devices', { id: 'spy-sensor', kind: 'sensor', siteId: 'hq', terminalId: 'no-such-terminal' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('terminalId: terminal no-such-terminal is not a terminal of site hq');
  });

  it('refuses a controller of hq for a door of lab, and a terminal\'s id given as a door', async () => {
    const before = await written();
    const door = await hqDevices.post('/api/devices', { id: 'spy-door', kind: 'door', siteId: 'hq', doorId: labDoor });
    expect(door.status).toBe(400);
    expect(door.body.message).toBe(`doorId: door ${labDoor} is not a door of site hq`);
    const notADoor = await hqDevices.post('/api/devices', { id: 'spy-door', kind: 'door', siteId: 'hq', doorId: site.terminal.id });
    expect(notADoor.status).toBe(400);
    expect(await written()).toEqual(before);
  });

  it('binds a sensor to its own site\'s terminal', async () => {
    const res = await hqDevices.post('/api/devices', { id: 'lobby-sensor', kind: 'sensor', siteId: 'hq', terminalId: site.terminal.id });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.device).toMatchObject({ id: 'lobby-sensor', siteId: 'hq', terminalId: site.terminal.id });
  });
});
