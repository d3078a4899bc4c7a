// Migration 060-privacy on a store written before it: the existing admin role
// gets privacy.admin (the seed skips roles that exist), no other role does, and
// audit entries written before stay undeletable except through retention.
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Store } from '../../src/store/index.ts';
import { dbPathPerTest, migratedStoreAt, seededRoles, writeOldRoles } from '../support/migrated-store.ts';

describe('migration 060-privacy', () => {
  const dbPath = dbPathPerTest();

  it('grants privacy.admin to the existing admin role only, and keeps refusing deletes of earlier audit entries', async () => {
    const path = dbPath();
    const old = await migratedStoreAt(path, '060-privacy');
    await writeOldRoles(old, { admin: ['call.answer', 'user.admin'], host: ['call.answer'] });
    await sql`INSERT INTO audit_log (at, actor_type, actor_id, action, outcome) VALUES (1, 'user', 'u1', 'user.create', 'ok')`.execute(old);
    await old.destroy();

    const store = await Store.open(path);
    try {
      const now = await seededRoles(store);
      // (075-call-transfer, run later, grants the admin role call.transfer too.)
      expect(now.admin).toEqual(['call.answer', 'call.transfer', 'privacy.admin', 'user.admin']);
      expect(now.host).toEqual(['call.answer']);
      expect(now.reception).not.toContain('privacy.admin');
      await expect(store.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
      expect(await store.db.selectFrom('audit_log').select('action').execute()).toEqual([{ action: 'user.create' }]);
    } finally {
      await store.close();
    }
  });
});
