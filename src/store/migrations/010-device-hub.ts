// Device hub tables: devices, the door-command outbox, door states, rules and
// their versions, persisted timers and access cards.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const deviceHub: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('credential_id', 'text', (c) => c.notNull().unique().references('credentials.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id').onDelete('restrict'))
      .addColumn('door_id', 'text', (c) => c.references('doors.id').onDelete('set null'))
      .addColumn('terminal_id', 'text')
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint')
      .execute();

    await db.schema.createTable('door_commands')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('door_id', 'text', (c) => c.notNull().references('doors.id'))
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('seconds', 'integer', (c) => c.notNull())
      .addColumn('issued_by_type', 'text', (c) => c.notNull())
      .addColumn('issued_by_id', 'text')
      .addColumn('correlation_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('sends', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('settled_at', 'bigint')
      .execute();
    await db.schema.createIndex('door_commands_pending').on('door_commands').columns(['state', 'door_id']).execute();

    await db.schema.createTable('door_states')
      .addColumn('door_id', 'text', (c) => c.primaryKey().references('doors.id'))
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('file', 'text')
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('rule_versions')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('definition', 'text')
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('hub_timers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('hub_timers_key').on('hub_timers').columns(['kind', 'key']).execute();

    await db.schema.createTable('cards')
      .addColumn('card_hash', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id'))
      .addColumn('holder_ref', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('valid_from', 'bigint')
      .addColumn('valid_until', 'bigint')
      .addColumn('doors', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
