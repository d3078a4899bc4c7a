// Migration 050-sla on a store written before it: the seeded admin role (which
// seed() never changes once it exists) gets sla.admin, so someone can excuse
// downtime and grant the right to others; reception and custom roles do not.
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { dbPathPerTest, migratedStoreAt, seededRoles, writeOldRoles } from '../support/migrated-store.ts';

describe('migration 050-sla', () => {
  const dbPath = dbPathPerTest('portier-mig-sla-');

  it('grants sla.admin to the existing admin role only', async () => {
    const path = dbPath();
    const old = await migratedStoreAt(path, '050-sla');
    await writeOldRoles(old, { reception: ['call.answer', 'report.read'], admin: ['call.answer', 'report.read', 'user.admin'], auditor: ['report.read'] }, ['auditor']);
    await old.destroy();

    const store = await Store.open(path);
    try {
      const now = await seededRoles(store);
      // Later migrations may grant the admin role more; only sla.admin is this one's.
      expect(now.admin).toEqual(expect.arrayContaining(['call.answer', 'report.read', 'sla.admin', 'user.admin']));
      expect(now.reception).not.toContain('sla.admin');
      expect(now.auditor).not.toContain('sla.admin');
    } finally {
      await store.close();
    }
  });
});
