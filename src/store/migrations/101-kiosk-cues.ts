// How loud a site's kiosks play their sound cues (ringing, door open, door failed;
// 0 = silent), kept with the site's start screen settings.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const kioskCues: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('welcome_screens').addColumn('cue_volume', 'integer', (c) => c.notNull().defaultTo(60)).execute();
  },
};
