// Opening hours per site (src/sites/opening-hours.ts): the weekly periods as
// JSON (NULL: always open, as every site was before) and the phone-book entry
// that takes calls outside them (NULL: the lobby is closed, calls are refused).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const openingHours: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sites').addColumn('opening_hours', 'text').execute();
    await db.schema.alterTable('sites').addColumn('after_hours_entry_id', 'text').execute();
  },
};
