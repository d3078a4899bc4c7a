// Cheaper audit appends (issue 16, card read → unlock): audit_log is rebuilt
// without AUTOINCREMENT and without the index on `at`. Every card read appends
// three entries; AUTOINCREMENT wrote the sqlite_sequence row on each commit and
// the index a page of its own — about a third of the WAL pages of a read.
// What still holds: `seq` grows with every append and is never reused, since
// SQLite gives a row max(seq) + 1 and the newest entry can never be deleted (the
// delete trigger lets a prune remove only entries older than its own entry,
// migration 060); the append-only triggers are the same as before. Queries by
// time find their range through `seq` (AuditLog.firstSeqFrom). Copies every
// entry with its seq in one transaction.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { createAuditDeleteGuards } from './060-privacy.ts';

export const auditAppend: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await tx.schema.createTable('audit_log_next')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('site_id', 'text')
        .addColumn('correlation_id', 'text')
        .addColumn('details', 'text')
        .execute();
      const columns = 'seq, at, actor_type, actor_id, action, target_type, target_id, outcome, site_id, correlation_id, details';
      await sql.raw(`INSERT INTO audit_log_next (${columns}) SELECT ${columns} FROM audit_log ORDER BY seq`).execute(tx);
      // The grant trigger names audit_log: it goes first and comes back with the new table.
      await sql`DROP TRIGGER audit_prune_grant_checked`.execute(tx);
      await sql`DROP TABLE audit_log`.execute(tx); // with its triggers and the index on at
      await sql`ALTER TABLE audit_log_next RENAME TO audit_log`.execute(tx);
      await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`.execute(tx);
      await createAuditDeleteGuards(tx);
    });
  },
};
