// Editing roles cannot raise anyone's rights (issue 11, item 7): whoever sets a
// role's permissions (seeded roles included) or creates a role must hold every
// permission they add or take away, on every site. Black-box over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';

const PASSWORD = 'a long enough password';

describe('role rights', () => {
  let gw: Gw;
  let site: SiteFixture;
  /** Holds role.admin only, on every site. */
  let roleAdmin: ApiClient;
  let roleAdminRole: string;

  const rolesNow = async () => (await site.admin.get('/api/roles')).body as Array<{ id: string; permissions: string[] }>;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    const role = await site.admin.post('/api/roles', { name: 'role-keeper', description: 'edits roles', permissions: ['role.admin'] });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    roleAdminRole = role.body.id;
    const user = await site.admin.post('/api/users', { login: 'rae', displayName: 'Rae', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: roleAdminRole, siteId: null })).status).toBe(200);
    roleAdmin = new ApiClient(gw.base);
    expect((await roleAdmin.post('/api/auth/login', { login: 'rae', password: PASSWORD })).status).toBe(200);
  });
  afterAll(async () => { await gw?.close(); });

  it('refuses role.admin raising its own role to every permission (403), and it still cannot list users', async () => {
    expect((await roleAdmin.get('/api/users')).status).toBe(403);
    const all = (await rolesNow()).find((r) => r.id === 'admin')!.permissions;
    const raise = await roleAdmin.call('PUT', `/api/roles/${roleAdminRole}/permissions`, { permissions: all });
    expect(raise.status).toBe(403);
    expect(raise.body.error).toBe('forbidden');
    expect(raise.body.message).toMatch(/you lack .*user\.admin/);
    expect((await rolesNow()).find((r) => r.id === roleAdminRole)!.permissions).toEqual(['role.admin']);
    expect((await roleAdmin.get('/api/users')).status).toBe(403);
  });

  it('refuses adding a permission it does not hold to a seeded role, and writes nothing', async () => {
    const before = (await rolesNow()).find((r) => r.id === 'host')!.permissions;
    const raise = await roleAdmin.call('PUT', '/api/roles/host/permissions', { permissions: [...before, 'user.admin'] });
    expect(raise.status).toBe(403);
    expect((await rolesNow()).find((r) => r.id === 'host')!.permissions).toEqual(before);
    const audit = (await site.admin.get('/api/audit?action=role.update')).body as unknown[];
    expect(audit).toEqual([]);
  });

  it('refuses creating a role with permissions it does not hold, and taking away permissions it does not hold', async () => {
    const created = await roleAdmin.post('/api/roles', { name: 'shadow', description: 'x', permissions: ['audit.read'] });
    expect(created.status).toBe(403);
    expect((await rolesNow()).some((r) => (r as { name?: string }).name === 'shadow')).toBe(false);
    const strip = await roleAdmin.call('PUT', '/api/roles/reception/permissions', { permissions: [] });
    expect(strip.status).toBe(403);
    expect((await rolesNow()).find((r) => r.id === 'reception')!.permissions).toContain('door.unlock');
  });

  it('lets it hand out what it holds, and lets a deployment-wide admin edit any role', async () => {
    const own = await roleAdmin.post('/api/roles', { name: 'role-keeper-2', description: 'also edits roles', permissions: ['role.admin'] });
    expect(own.status).toBe(201);
    const host = (await rolesNow()).find((r) => r.id === 'host')!.permissions;
    const edited = await site.admin.call('PUT', '/api/roles/host/permissions', { permissions: [...host, 'report.read'] });
    expect(edited.status).toBe(200);
    expect(edited.body.permissions).toEqual([...host, 'report.read'].sort());
  });

  it('does not count a grant on one site as holding it everywhere', async () => {
    // Hanna holds role.admin everywhere but audit.read only on hq: the role would carry it to every site.
    const scoped = await site.admin.post('/api/roles', { name: 'hq-auditor', description: 'reads hq', permissions: ['audit.read'] });
    const user = await site.admin.post('/api/users', { login: 'hanna', displayName: 'Hanna', password: PASSWORD });
    await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: roleAdminRole, siteId: null });
    await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: scoped.body.id, siteId: 'hq' });
    const hanna = new ApiClient(gw.base);
    expect((await hanna.post('/api/auth/login', { login: 'hanna', password: PASSWORD })).status).toBe(200);
    const raise = await hanna.call('PUT', `/api/roles/${roleAdminRole}/permissions`, { permissions: ['role.admin', 'audit.read'] });
    expect(raise.status).toBe(403);
    expect(raise.body.message).toMatch(/you lack audit\.read/);
  });
});
