// Phone book, terminal pairing codes and call records (IDs only, no copies of
// names or numbers).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const calls: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('phonebook_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('department', 'text')
      .addColumn('routes', 'text', (c) => c.notNull())
      .addColumn('policy', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('phonebook_site').on('phonebook_entries').column('site_id').execute();

    await db.schema.createTable('pairing_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('terminal_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();

    await db.schema.createTable('calls')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('terminal_id', 'text', (c) => c.notNull())
      .addColumn('entry_id', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('answered_at', 'bigint')
      .addColumn('answered_by', 'text')
      .addColumn('ended_at', 'bigint')
      .addColumn('outcome', 'text')
      .addColumn('end_reason', 'text')
      .execute();
    await db.schema.createIndex('calls_started').on('calls').column('started_at').execute();

    await db.schema.createTable('call_legs')
      .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('answered_by', 'text')
      .addPrimaryKeyConstraint('call_legs_pk', ['call_id', 'seq'])
      .execute();
  },
};
