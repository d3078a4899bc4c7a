// The audit log becomes hash-chained (issue 15, slice 4): every entry gets its
// hash (src/store/audit-chain.ts), the entries already there are chained in seq
// order (the update trigger is lifted for that, inside this transaction only).
// audit_chain_anchor holds where a pruned log's chain starts: the first kept
// seq and the hash of the entry before it; it changes only while a prune grant
// exists. audit_checkpoints records each head hash sent off the box.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { entryHash, GENESIS_HASH, type ChainedFields } from '../audit-chain.ts';

const BATCH = 1000;

export const auditChain: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await sql`ALTER TABLE audit_log ADD COLUMN hash TEXT`.execute(tx);
      await sql`DROP TRIGGER audit_log_no_update`.execute(tx);
      // An old log may have lost its first entries to retention: its chain starts at its first kept entry.
      const first = await sql<{ seq: number | null }>`SELECT min(seq) AS seq FROM audit_log`.execute(tx);
      let prev = GENESIS_HASH;
      let after = 0;
      for (;;) {
        const { rows } = await sql<ChainedFields>`SELECT seq, at, actor_type, actor_id, action, target_type, target_id, outcome, site_id, correlation_id, details
          FROM audit_log WHERE seq > ${after} ORDER BY seq LIMIT ${BATCH}`.execute(tx);
        for (const row of rows) {
          prev = entryHash(prev, row);
          await sql`UPDATE audit_log SET hash = ${prev} WHERE seq = ${row.seq}`.execute(tx);
        }
        if (rows.length < BATCH) break;
        after = rows[rows.length - 1]!.seq;
      }
      await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`.execute(tx);
      await tx.schema.createTable('audit_chain_anchor')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO audit_chain_anchor (id, seq, prev_hash) VALUES (1, ${first.rows[0]?.seq ?? 1}, ${GENESIS_HASH})`.execute(tx);
      // The anchor moves only with a prune (whose grant row exists during its transaction), and only forward.
      await sql`CREATE TRIGGER audit_chain_anchor_guard BEFORE UPDATE ON audit_chain_anchor
        WHEN NOT EXISTS (SELECT 1 FROM audit_prune_grants) OR NEW.seq < OLD.seq OR NEW.id <> OLD.id
        BEGIN SELECT RAISE(ABORT, 'the audit chain anchor moves only with a prune'); END`.execute(tx);
      await sql`CREATE TRIGGER audit_chain_anchor_no_delete BEFORE DELETE ON audit_chain_anchor
        BEGIN SELECT RAISE(ABORT, 'the audit chain anchor stays'); END`.execute(tx);
      await tx.schema.createTable('audit_checkpoints')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
    });
  },
};
