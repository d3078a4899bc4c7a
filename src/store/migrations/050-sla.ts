// Service level (src/quality): health samples as minute aggregates plus the
// components' state changes (not every 10 s sample), the synthetic probe's
// results, the gateway's runs (started, stopped, drained) and periods of time
// that count for the SLA: gaps the gateway was not running, planned
// maintenance and downtime excused after the fact. Portable DDL only.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const sla: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('health_minutes')
      /** Start of the minute, ms since the epoch (UTC). */
      .addColumn('minute', 'bigint', (c) => c.primaryKey())
      .addColumn('samples', 'integer', (c) => c.notNull())
      /** Samples in which some component was not ready (degraded, starting, closed …). */
      .addColumn('not_ready', 'integer', (c) => c.notNull())
      .addColumn('last_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('health_changes')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('component', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('health_changes_pk', ['at', 'component'])
      .execute();
    await db.schema.createTable('sla_probes')
      .addColumn('at', 'bigint', (c) => c.primaryKey())
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('sent', 'integer', (c) => c.notNull())
      .addColumn('received', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .execute();
    await db.schema.createTable('sla_runs')
      .addColumn('started_at', 'bigint', (c) => c.primaryKey())
      .addColumn('stopped_at', 'bigint')
      .addColumn('drained', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createTable('sla_periods')
      .addColumn('id', 'text', (c) => c.primaryKey())
      /** gap (the gateway was not running), planned, excused. */
      .addColumn('kind', 'text', (c) => c.notNull())
      /** null: every site. */
      .addColumn('site_id', 'text')
      .addColumn('start_at', 'bigint', (c) => c.notNull())
      .addColumn('end_at', 'bigint', (c) => c.notNull())
      /** excused: customer-equipment, security-patch, attack. */
      .addColumn('reason', 'text')
      .addColumn('note', 'text')
      /** gap: the run before it ended with a drain. */
      .addColumn('drained', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    await db.schema.createIndex('sla_periods_end').on('sla_periods').column('end_at').execute();
    // Excusing downtime is its own right (report.read only reads); the seeded admin role gets it.
    // Runs before the roles are seeded: the permission row must exist for the grant's foreign key.
    await sql`INSERT INTO permissions (name, description)
      SELECT 'sla.admin', 'Mark planned maintenance and excuse downtime in the SLA report' WHERE NOT EXISTS (SELECT 1 FROM permissions WHERE name = 'sla.admin')`.execute(db);
    await sql`INSERT INTO role_permissions (role_id, permission)
      SELECT r.id, 'sla.admin' FROM roles r WHERE r.id = 'admin'
        AND NOT EXISTS (SELECT 1 FROM role_permissions p WHERE p.role_id = r.id AND p.permission = 'sla.admin')`.execute(db);
  },
};
