// door_commands stored in the order of its ids (issue 16, card read → unlock):
// rebuilt WITHOUT ROWID, so the row lives in the primary key's B-tree instead of
// a rowid table plus an index on `id`. Command ids are time-ordered from now on
// (DoorOutbox: UUID version 7), so each card read's insert and the settle of the
// command before it (its ack, in the same commit) land on the same rightmost
// leaf; with random ids the index on `id` had a leaf of its own at a random
// place in every commit. The pending index (migration 099) is made again as it
// was. Copies every command in one transaction.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const doorCommandsById: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await sql`CREATE TABLE door_commands_next (
        id TEXT PRIMARY KEY NOT NULL,
        door_id TEXT NOT NULL REFERENCES doors (id),
        site_id TEXT NOT NULL,
        action TEXT NOT NULL,
        seconds INTEGER NOT NULL,
        issued_by_type TEXT NOT NULL,
        issued_by_id TEXT,
        correlation_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        state TEXT NOT NULL,
        sends INTEGER NOT NULL DEFAULT 0,
        settled_at BIGINT
      ) WITHOUT ROWID`.execute(tx);
      const columns = 'id, door_id, site_id, action, seconds, issued_by_type, issued_by_id, correlation_id, created_at, expires_at, state, sends, settled_at';
      await sql.raw(`INSERT INTO door_commands_next (${columns}) SELECT ${columns} FROM door_commands`).execute(tx);
      await sql`DROP TABLE door_commands`.execute(tx); // with door_commands_pending
      await sql`ALTER TABLE door_commands_next RENAME TO door_commands`.execute(tx);
      await sql`CREATE INDEX door_commands_pending ON door_commands (door_id) WHERE state = 'pending'`.execute(tx);
    });
  },
};
