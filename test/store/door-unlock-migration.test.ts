// Migration 030-door-unlock on a store written before it: the old door.open
// (which let every host open any door through the API) is gone; the seeded
// reception and admin roles hold door.unlock, every other role loses the API unlock.
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { dbPathPerTest, migratedStoreAt, seededRoles, writeOldRoles } from '../support/migrated-store.ts';

describe('migration 030-door-unlock', () => {
  const dbPath = dbPathPerTest();

  it('takes the API unlock from hosts and custom roles and gives door.unlock to reception and admin', async () => {
    const path = dbPath();
    const old = await migratedStoreAt(path, '030-door-unlock');
    // The roles as the previous release seeded them, plus a custom role an admin made.
    await writeOldRoles(old, {
      host: ['call.answer', 'door.open'],
      reception: ['call.answer', 'door.open', 'phonebook.write', 'report.read'],
      admin: ['call.answer', 'door.open', 'phonebook.write', 'report.read', 'audit.read', 'user.admin'],
      guard: ['door.open', 'audit.read'],
    }, ['guard']);
    await old.destroy();

    const store = await Store.open(path);
    try {
      const now = await seededRoles(store);
      expect(now.host).toEqual(['call.answer']);
      // (075-call-transfer, run later, grants call.transfer to reception too.)
      expect(now.reception).toEqual(['call.answer', 'call.transfer', 'door.unlock', 'phonebook.write', 'report.read']);
      expect(now.admin).toContain('door.unlock');
      expect(now.guard).toEqual(['audit.read']);
      const names = (await store.db.selectFrom('permissions').select('name').execute()).map((p) => p.name);
      expect(names).toContain('door.unlock');
      expect(names).not.toContain('door.open');
    } finally {
      await store.close();
    }
  });
});
