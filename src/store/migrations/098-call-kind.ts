// A call's kind (review s21 #10): a visitor's call, or a telephone a terminal answered by
// itself (kind callback) — answered at once by nobody at a desk, so the SLA's answer rate
// and time to answer leave it out. Earlier calls were all visitors' calls.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const callKind: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('calls').addColumn('kind', 'text', (c) => c.notNull().defaultTo('visitor')).execute();
  },
};
