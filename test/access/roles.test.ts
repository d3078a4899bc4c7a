// Roles and permissions are data, scoped to sites.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';

describe('roles and permissions', () => {
  let s: Services;
  beforeEach(async () => {
    s = await openServices();
    await s.sites.create({ type: 'system', id: null }, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    await s.sites.create({ type: 'system', id: null }, { id: 'lab', name: 'Lab', timeZone: 'Europe/Vienna' });
  });
  afterEach(async () => { await s.close(); });

  it('seeds host, reception and admin with their permissions', async () => {
    const roles = await s.roles.list();
    expect(roles.map((r) => r.id).sort()).toEqual(['admin', 'host', 'reception']);
    expect(roles.find((r) => r.id === 'host')!.permissions).toEqual(['call.answer']);
    expect(roles.find((r) => r.id === 'reception')!.permissions).toContain('door.unlock');
  });

  it('grants a permission only on the site of the assignment', async () => {
    const user = { type: 'user' as const, id: 'u1' };
    await s.store.transaction((tx) => s.roles.assign(tx, user, 'reception', 'hq'));
    expect(await s.roles.can(user, 'door.unlock', 'hq')).toBe(true);
    expect(await s.roles.can(user, 'door.unlock', 'lab')).toBe(false);
    expect(await s.roles.can(user, 'door.unlock')).toBe(false);
    expect(await s.roles.can(user, 'audit.read', 'hq')).toBe(false);
  });

  it('canAny answers as `can` asked for each permission, deployment-wide and on each site given', async () => {
    const user = { type: 'user' as const, id: 'u3' };
    const everywhere = { type: 'user' as const, id: 'u4' };
    await s.store.transaction((tx) => s.roles.assign(tx, user, 'reception', 'hq'));
    await s.store.transaction((tx) => s.roles.assign(tx, everywhere, 'host', null));
    expect(await s.roles.canAny(user, ['audit.read', 'door.unlock'], ['lab', 'hq'])).toBe(true);
    expect(await s.roles.canAny(user, ['audit.read', 'door.unlock'], ['lab'])).toBe(false);
    expect(await s.roles.canAny(user, ['door.unlock'], [])).toBe(false);
    expect(await s.roles.canAny(user, [], ['hq'])).toBe(false);
    expect(await s.roles.canAny(everywhere, ['call.answer'], [])).toBe(true);
    expect(await s.roles.canAny(everywhere, ['door.unlock'], ['hq', 'lab'])).toBe(false);
  });

  it('follows changes to a role\'s permissions without code changes', async () => {
    const user = { type: 'user' as const, id: 'u2' };
    const root = { type: 'user' as const, id: 'root' };
    await s.store.transaction((tx) => s.roles.assign(tx, root, 'admin', null));
    const roleId = await s.store.transaction((tx) => s.roles.create(tx, root, { name: 'security', description: 'guards', permissions: ['door.unlock'] }));
    await s.store.transaction((tx) => s.roles.assign(tx, user, roleId, null));
    expect(await s.roles.can(user, 'audit.read', 'lab')).toBe(false);
    await s.store.transaction((tx) => s.roles.update(tx, root, roleId, ['door.unlock', 'audit.read']));
    expect(await s.roles.can(user, 'audit.read', 'lab')).toBe(true);
    await expect(s.store.transaction((tx) => s.roles.update(tx, root, roleId, ['door.fly']))).rejects.toThrow(/unknown permissions: door.fly/);
  });
});
