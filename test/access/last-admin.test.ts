// No lock-out (issue 12): the installation keeps at least one admin — an enabled
// user with user.admin on every site, who alone can hand out roles again. Taking
// the last one away is refused with 409 user.last-admin, whichever way it is
// tried: removing the role assignment (one's own or another's), erasing the
// account (by an API token, which cannot sign in to the admin page), taking
// user.admin out of the role — and two admins removing each other at once leave
// one. What the refused change touched stays as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';

const PASSWORD = 'a long enough password';

describe('the last admin', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  let adminId: string;

  const everywhere = { roleId: 'admin', siteId: null };
  /** A new user with the admin role on every site, signed in. */
  const secondAdmin = async (login: string) => {
    const user = (await admin.post('/api/users', { login, displayName: login, password: PASSWORD })).body as { id: string };
    expect((await admin.post(`/api/users/${user.id}/roles`, everywhere)).status).toBe(200);
    const client = new ApiClient(gw.base);
    expect((await client.post('/api/auth/login', { login, password: PASSWORD })).status).toBe(200);
    return { id: user.id, client };
  };
  const refusedAsLastAdmin = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body).toMatchObject({ error: 'conflict', reason: 'user.last-admin' });
  };

  beforeAll(async () => {
    gw = await startGateway();
    admin = await signInFirstAdmin(gw);
    adminId = (await admin.get('/api/auth/me')).body.id;
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  it('refuses the only admin removing their own admin role; the role stays and still works', async () => {
    refusedAsLastAdmin(await admin.call('DELETE', `/api/users/${adminId}/roles`, everywhere));
    expect((await admin.get(`/api/users/${adminId}/roles`)).body).toEqual([everywhere]);
    expect((await admin.get('/api/users')).status).toBe(200);
  });

  it('refuses an API token erasing the last admin: the account, its sessions and roles stay', async () => {
    const token = await admin.post('/api/tokens', { label: 'HR sync', roleId: 'admin', siteId: null });
    expect(token.status).toBe(201);
    const integration = new ApiClient(gw.base);
    integration.bearer = token.body.secret;
    refusedAsLastAdmin(await integration.post(`/api/privacy/subjects/user/${adminId}/erase`));
    expect((await admin.get('/api/users')).body.map((u: { id: string }) => u.id)).toContain(adminId);
    expect((await admin.get(`/api/users/${adminId}/roles`)).body).toEqual([everywhere]);
    expect((await admin.get('/api/auth/me')).status).toBe(200);
    // The refused erasure is on record as failed.
    const entries = (await admin.get('/api/audit?action=privacy.erase')).body as Array<{ outcome: string }>;
    expect(entries.map((e) => e.outcome)).toEqual(['failed']);
  });

  it('refuses taking user.admin out of the admin role while only its holders are admins', async () => {
    const role = (await admin.get('/api/roles')).body.find((r: { id: string }) => r.id === 'admin') as { permissions: string[] };
    refusedAsLastAdmin(await admin.call('PUT', '/api/roles/admin/permissions', { permissions: role.permissions.filter((p) => p !== 'user.admin') }));
    expect((await admin.get('/api/roles')).body.find((r: { id: string }) => r.id === 'admin').permissions).toEqual(role.permissions);
  });

  it('lets an admin go while another remains, then refuses the one left', async () => {
    const second = await secondAdmin('second-admin');
    expect((await second.client.call('DELETE', `/api/users/${adminId}/roles`, everywhere)).status).toBe(200);
    expect((await second.client.get(`/api/users/${adminId}/roles`)).body).toEqual([]);
    refusedAsLastAdmin(await second.client.call('DELETE', `/api/users/${second.id}/roles`, everywhere));
    // A site-scoped admin role does not count: it cannot assign roles on every site.
    expect((await second.client.post(`/api/users/${adminId}/roles`, { roleId: 'admin', siteId: 'hq' })).status).toBe(200);
    refusedAsLastAdmin(await second.client.call('DELETE', `/api/users/${second.id}/roles`, everywhere));
    // Back to the first admin for the next test.
    expect((await second.client.post(`/api/users/${adminId}/roles`, everywhere)).status).toBe(200);
    expect((await admin.post(`/api/privacy/subjects/user/${second.id}/erase`)).status).toBe(200);
  });

  it('two admins removing each other at once: exactly one removal goes through, one admin remains', async () => {
    const other = await secondAdmin('other-admin');
    const [a, b] = await Promise.all([
      admin.call('DELETE', `/api/users/${other.id}/roles`, everywhere),
      other.client.call('DELETE', `/api/users/${adminId}/roles`, everywhere),
    ]);
    // The other is refused as the last admin's removal (409), or — when the first removal was done before its
    // permission check — because its caller is no admin any more (403): which one depends on the order, not the outcome.
    const statuses = [a.status, b.status];
    expect(statuses.filter((s) => s === 200), JSON.stringify([a.body, b.body])).toHaveLength(1);
    expect([403, 409]).toContain(statuses.find((s) => s !== 200));
    const left = [adminId, other.id];
    const holders = [];
    for (const id of left) if ((await gw.gateway.services.roles.assignments({ type: 'user', id })).some((x) => x.roleId === 'admin' && x.siteId === null)) holders.push(id);
    expect(holders).toHaveLength(1);
  });
});
