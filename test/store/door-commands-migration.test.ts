// Migration 105-door-commands-by-id on a store written before it: every door
// command (pending or settled, random ids) is kept as it was, in a table stored
// by its primary key (WITHOUT ROWID), with the pending index as before.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { Store } from '../../src/store/index.ts';
import { dbPathPerTest, migratedStoreAt } from '../support/migrated-store.ts';

describe('migration 105-door-commands-by-id', () => {
  const dbPath = dbPathPerTest();

  it('keeps every command as it was and stores the table by id, without a rowid', async () => {
    const path = dbPath();
    const old = await migratedStoreAt(path, '105-door-commands-by-id');
    await sql`INSERT INTO sites (id, name, time_zone, created_at) VALUES ('hq', 'HQ', 'Europe/Berlin', 1)`.execute(old);
    await sql`INSERT INTO doors (id, site_id, name, created_at) VALUES ('d1', 'hq', 'Main', 1)`.execute(old);
    const states = ['pending', 'acknowledged', 'expired'];
    for (const [i, state] of states.entries()) {
      await sql`INSERT INTO door_commands (id, door_id, site_id, action, seconds, issued_by_type, issued_by_id, correlation_id, created_at, expires_at, state, sends, settled_at)
        VALUES (${randomUUID()}, 'd1', 'hq', 'unlock', 5, 'user', ${`u${i}`}, ${`c${i}`}, ${i}, ${i + 10}, ${state}, 1, ${state === 'pending' ? null : i + 1})`.execute(old);
    }
    await old.destroy();
    const raw = new Database(path);
    const before = raw.prepare('SELECT * FROM door_commands ORDER BY id').all();
    raw.close();

    const store = await Store.open(path);
    try {
      const db = store.db.withTables<{ door_commands: Record<string, unknown> }>();
      expect(await db.selectFrom('door_commands').selectAll().orderBy('id').execute()).toEqual(before);
      const schema = await sql<{ name: string; sql: string | null }>`SELECT name, sql FROM sqlite_master WHERE tbl_name = 'door_commands' ORDER BY name`.execute(store.db);
      expect(schema.rows.map((r) => r.name)).toEqual(['door_commands', 'door_commands_pending']);
      expect(schema.rows[0]!.sql).toMatch(/WITHOUT ROWID$/);
      expect(schema.rows[1]!.sql).toMatch(/\(door_id\) WHERE state = 'pending'$/);
      const pending = await sql<{ n: number }>`SELECT count(*) AS n FROM door_commands INDEXED BY door_commands_pending WHERE state = 'pending'`.execute(store.db);
      expect(pending.rows[0]!.n).toBe(1);
      // The foreign key to doors still holds.
      await expect(sql`INSERT INTO door_commands (id, door_id, site_id, action, seconds, issued_by_type, created_at, expires_at, state)
        VALUES ('x', 'no-such-door', 'hq', 'unlock', 5, 'system', 1, 2, 'pending')`.execute(store.db)).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await store.close();
    }
  });
});
