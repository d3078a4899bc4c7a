// SIP door stations as terminals (issue 13, slice 3): a station's SIP identity
// (user) and digest secret (sealed under the master key: the registrar needs the
// secret itself to check a digest, so it cannot be a hash), its site and door,
// the phone-book entry its button rings and how its relay is opened.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const doorStations: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('door_stations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('door_id', 'text')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('sip_user', 'text', (c) => c.notNull().unique())
      .addColumn('sealed_secret', 'text', (c) => c.notNull())
      .addColumn('entry_id', 'text')
      .addColumn('relay_way', 'text', (c) => c.notNull())
      .addColumn('relay_code', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
