// How often an admin request looks its permission up: the check runs before
// validation (so a caller without the permission is refused whatever they send)
// and is decided again after it — unless validation left the input exactly as the
// first check saw it, then the first verdict stands (review s20 #13: every admin
// request ran its permission lookups twice). Counted as SQLite statements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type SiteFixture } from '../support/signaling.ts';
import { countStatements } from '../support/statements.ts';

describe('permission lookups per admin request', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    expect((await site.admin.post('/api/devices', { id: 'lookup-door', kind: 'door', siteId: 'hq', doorId: site.doorId })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  /** The statements one request ran: its status, the permission lookups and the device lookups (the route's siteOf). */
  async function counted(request: () => Promise<{ status: number }>): Promise<{ status: number; permissions: number; devices: number }> {
    const statements = countStatements();
    try {
      const { status } = await request();
      const counts = statements.take();
      return { status, permissions: counts['select role_assignments'] ?? 0, devices: counts['select devices'] ?? 0 };
    } finally {
      statements.stop();
    }
  }

  it('looks the permission and the object\'s site up once when validation changes nothing', async () => {
    const connection = await counted(() => site.admin.get('/api/devices/lookup-door/connection'));
    expect(connection).toMatchObject({ status: 200, permissions: 1 });
    const patched = await counted(() => site.admin.call('PATCH', '/api/devices/lookup-door', { label: 'Front door' }));
    expect(patched).toMatchObject({ status: 200, permissions: 1 });
    const listed = await counted(() => site.admin.get('/api/devices?siteId=hq'));
    expect(listed).toMatchObject({ status: 200, permissions: 1 });
  });

  it('checks again after validation when validation changed the input the first check saw', async () => {
    // removeAdditional drops the unknown query parameter: the query the first check read is not the validated one.
    const listed = await counted(() => site.admin.get('/api/devices?siteId=hq&unknown=1'));
    expect(listed).toMatchObject({ status: 200, permissions: 2 });
  });

  it('a GET route\'s HEAD twin is checked the same way: refused anonymously, one lookup for the admin', async () => {
    expect((await new ApiClient(gw.base).call('HEAD', '/api/devices/lookup-door/connection')).status).toBe(401);
    const head = await counted(() => site.admin.call('HEAD', '/api/devices/lookup-door/connection'));
    expect(head).toMatchObject({ status: 200, permissions: 1 });
  });

  it('refuses a caller without the permission before validation, with one lookup', async () => {
    const rita = new ApiClient(gw.base);
    rita.cookie = site.users.rita!.cookie;
    const refused = await counted(() => rita.call('PATCH', '/api/devices/lookup-door', { label: 7 }));
    expect(refused).toMatchObject({ status: 403, permissions: 1 });
  });
});
