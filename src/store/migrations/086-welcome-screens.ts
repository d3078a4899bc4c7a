// Each site's kiosk start screen (src/sites/welcome-screens.ts): the customer's
// name and logo, welcome and privacy texts in German and English, and whether the
// kiosk shows employees' availability (0: not, the default).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const welcomeScreens: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('welcome_screens')
      .addColumn('site_id', 'text', (c) => c.primaryKey().references('sites.id').onDelete('cascade'))
      .addColumn('customer_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('welcome_de', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('welcome_en', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('privacy_de', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('privacy_en', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('show_availability', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('logo', 'bytea') // BLOB affinity in SQLite, bytea in PostgreSQL
      .addColumn('logo_type', 'text')
      .addColumn('logo_version', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
  },
};
