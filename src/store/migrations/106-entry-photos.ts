// Photos of phone-book entries (src/phonebook/photos.ts), one per entry, gone with
// the entry (cascade: an admin's delete, an erasure); and each site's setting
// whether its kiosks show them (personal data on a public screen: 0, off, by default).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const entryPhotos: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('phonebook_photos')
      .addColumn('entry_id', 'text', (c) => c.primaryKey().references('phonebook_entries.id').onDelete('cascade'))
      .addColumn('photo', 'bytea', (c) => c.notNull()) // BLOB affinity in SQLite, bytea in PostgreSQL
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('welcome_screens').addColumn('show_photos', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};
