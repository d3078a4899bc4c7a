// Privacy (src/privacy): the audit log stays append-only except for retention.
// A DELETE on audit_log is allowed only for entries older than the cutoff of a
// grant row, and a grant can only be written right after its own `audit.prune`
// entry (the newest entry, by the system, naming that cutoff, at least 30 days
// back) — so every pruning pass leaves an entry counting what it deleted.
// The seeded admin role gets the new `privacy.admin` permission.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The shortest audit retention the database itself accepts (privacy.retention_days.audit has the same minimum). */
export const AUDIT_MIN_RETENTION_DAYS = 30;
const MIN_MS = AUDIT_MIN_RETENTION_DAYS * 86_400_000;

/**
 * The grant check and the delete trigger that reads the grants; migration 088
 * creates them again on its rebuilt audit_log.
 */
export async function createAuditDeleteGuards(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`CREATE TRIGGER audit_prune_grant_checked BEFORE INSERT ON audit_prune_grants
    WHEN EXISTS (SELECT 1 FROM audit_prune_grants)
      OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = NEW.audit_seq AND a.seq = (SELECT max(seq) FROM audit_log)
        AND a.action = 'audit.prune' AND a.actor_type = 'system' AND a.outcome = 'ok'
        AND json_extract(a.details, '$.before') = NEW.before AND NEW.before <= a.at - ${MIN_MS})
    BEGIN SELECT RAISE(ABORT, 'audit prune grant without its own audit.prune entry'); END`).execute(db);
  await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM audit_prune_grants g WHERE OLD.at < g.before AND OLD.seq < g.audit_seq)
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`.execute(db);
}

export const privacy: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('audit_prune_grants')
      .addColumn('audit_seq', 'integer', (c) => c.primaryKey())
      .addColumn('before', 'bigint', (c) => c.notNull())
      .execute();
    await sql`CREATE TRIGGER audit_prune_grants_no_update BEFORE UPDATE ON audit_prune_grants
      BEGIN SELECT RAISE(ABORT, 'audit prune grants cannot change'); END`.execute(db);
    await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
    await createAuditDeleteGuards(db);

    // Runs before the roles are seeded (fresh store: the seed grants it); an existing admin role gets it here.
    await sql`INSERT INTO permissions (name, description)
      SELECT 'privacy.admin', 'Read the personal-data inventory; export and erase the data of one person'
      WHERE NOT EXISTS (SELECT 1 FROM permissions WHERE name = 'privacy.admin')`.execute(db);
    await sql`INSERT INTO role_permissions (role_id, permission)
      SELECT r.id, 'privacy.admin' FROM roles r WHERE r.id = 'admin'
        AND NOT EXISTS (SELECT 1 FROM role_permissions p WHERE p.role_id = r.id AND p.permission = 'privacy.admin')`.execute(db);
  },
};
