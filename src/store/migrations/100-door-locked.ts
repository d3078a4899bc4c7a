// Whether a door is locked, as its controller reports it (`locked` in the state
// payload, docs/devices.md): kept with the door's state so the admin page shows it
// truthfully; null when the controller does not say.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const doorLocked: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('door_states').addColumn('locked', 'integer').execute();
  },
};
