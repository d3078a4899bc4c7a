// Migration 075-call-transfer on a store written before it: the seeded
// reception and admin roles get call.transfer; hosts and custom roles do not.
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { Roles } from '../../src/access/index.ts';
import { dbPathPerTest, migratedStoreAt, writeOldRoles } from '../support/migrated-store.ts';

describe('migration 075-call-transfer', () => {
  const dbPath = dbPathPerTest();

  it('grants call.transfer to the existing reception and admin roles only', async () => {
    const path = dbPath();
    const old = await migratedStoreAt(path, '075-call-transfer');
    // door.unlock is there already (030-door-unlock wrote it).
    await writeOldRoles(old, { host: ['call.answer'], reception: ['call.answer', 'door.unlock'], admin: ['call.answer', 'user.admin'], guard: ['call.answer'] }, ['guard']);
    await old.destroy();

    const store = await Store.open(path);
    try {
      const now = Object.fromEntries((await new Roles(store.db).list()).map((role) => [role.id, role.permissions]));
      expect(now.reception).toEqual(['call.answer', 'call.transfer', 'door.unlock']);
      expect(now.admin).toContain('call.transfer');
      expect(now.host).toEqual(['call.answer']);
      expect(now.guard).toEqual(['call.answer']);
    } finally {
      await store.close();
    }
  });
});
