// Call records store who took part: one row per participant of a call (the
// calling terminal, the desk that answered, later SIP and Teams legs), IDs only.
// Calls recorded before keep their story: the terminal and the answering desk
// become participants from the call's own columns.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const callParticipants: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('call_participants')
      .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
      .addColumn('participant_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('joined_at', 'bigint', (c) => c.notNull())
      .addColumn('left_at', 'bigint')
      .addPrimaryKeyConstraint('call_participants_pk', ['call_id', 'participant_id'])
      .execute();
    await db.schema.createIndex('call_participants_participant').on('call_participants').column('participant_id').execute();
    await sql`INSERT INTO call_participants (call_id, participant_id, kind, joined_at, left_at)
      SELECT id, terminal_id, 'terminal', started_at, ended_at FROM calls`.execute(db);
    await sql`INSERT INTO call_participants (call_id, participant_id, kind, joined_at, left_at)
      SELECT id, answered_by, 'desk', answered_at, ended_at FROM calls WHERE answered_by IS NOT NULL AND answered_at IS NOT NULL`.execute(db);
  },
};
