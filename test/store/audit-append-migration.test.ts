// Migration 088-audit-append on a store written before it: every entry keeps
// its seq and fields, the log stays append-only (update, delete, a grant without
// its own audit.prune entry are refused), seq keeps growing across a prune, and
// prune finds old entries through seq rather than an index on time.
import { beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { Store } from '../../src/store/index.ts';
import { AuditLog, verifyChain } from '../../src/audit/index.ts';
import { AuditHolder } from '../../src/privacy/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { dbPathPerTest, migratedStoreAt } from '../support/migrated-store.ts';

const DAY = 86_400_000;

describe('migration 088-audit-append', () => {
  const dbPath = dbPathPerTest();
  let path: string;
  beforeEach(() => { path = dbPath(); });

  /** A store migrated up to 088, with entries at the given days before `now`. */
  async function oldStore(now: number, daysAgo: number[]): Promise<void> {
    const old = await migratedStoreAt(path, '088-audit-append');
    for (const [i, days] of daysAgo.entries()) {
      await sql`INSERT INTO audit_log (at, actor_type, actor_id, action, target_type, target_id, outcome, site_id, correlation_id, details)
        VALUES (${now - days * DAY}, 'user', ${`u${i}`}, 'door.unlock', 'door', 'd1', 'ok', 'hq', ${`c${i}`}, ${JSON.stringify({ i })})`.execute(old);
    }
    await old.destroy();
  }

  it('keeps every entry with its seq, and the log append-only', async () => {
    const clock = new ManualClock();
    await oldStore(clock.now(), [400, 200, 1]);
    const raw = new Database(path);
    const before = raw.prepare('SELECT * FROM audit_log ORDER BY seq').all();
    raw.close();
    expect(before).toHaveLength(3);

    const store = await Store.open(path);
    try {
      // Every entry as it was (migration 090 adds each one's chain hash).
      expect((await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute()).map(({ hash: _hash, ...entry }) => entry)).toEqual(before);
      // The entries already there are chained in seq order (migration 090).
      expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 3, first: 1 });
      // What the rebuild is for: no sequence row per commit, no index page per append.
      const schema = await sql<{ name: string; sql: string | null }>`SELECT name, sql FROM sqlite_master WHERE tbl_name = 'audit_log'`.execute(store.db);
      expect(schema.rows.find((r) => r.name === 'audit_log')!.sql).not.toMatch(/autoincrement/i);
      expect(schema.rows.filter((r) => r.name !== 'audit_log').map((r) => r.name).sort()).toEqual(['audit_log_no_delete', 'audit_log_no_update']);

      await expect(store.db.updateTable('audit_log').set({ outcome: 'denied' }).execute()).rejects.toThrow(/append-only/);
      await expect(store.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
      const grants = store.db.withTables<{ audit_prune_grants: { audit_seq: number; before: number } }>();
      const newest = (before.at(-1) as { seq: number }).seq;
      await expect(grants.insertInto('audit_prune_grants').values({ audit_seq: newest, before: clock.now() }).execute()).rejects.toThrow(/audit prune grant/);

      const audit = new AuditLog(store.db, clock);
      expect(await new AuditHolder({ store, audit, retentionDays: 30 }).prune(clock.now())).toEqual({ entries: 2 });
      const left = await store.db.selectFrom('audit_log').select(['seq', 'action']).orderBy('seq').execute();
      expect(left.map((e) => e.action)).toEqual(['door.unlock', 'audit.prune']);
      // seq is never handed out twice: the newest entry (the prune's own) stays, so the next one is above it.
      await audit.append({ actor: { type: 'system', id: null }, action: 'site.create', outcome: 'ok' });
      const last = await store.db.selectFrom('audit_log').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
      expect(last.seq).toBe(left.at(-1)!.seq + 1);
      expect(last.seq).toBeGreaterThan(newest);
      expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 3, first: 3 });
    } finally {
      await store.close();
    }
  });

  it('prune deletes an entry a clock that stepped back wrote late only in a later pass, never before its time', async () => {
    const clock = new ManualClock();
    // seq order 1..4: 100, 50, 40 days old, then one written 60 days old after the clock stepped back.
    await oldStore(clock.now(), [100, 50, 40, 60]);
    const store = await Store.open(path);
    try {
      const audit = new AuditLog(store.db, clock);
      expect(await audit.firstSeqFrom(clock.now() - 45 * DAY)).toBe(3);
      const holder = new AuditHolder({ store, audit, retentionDays: 45 });
      // The bound by seq is entry 3 (the first at or after the cutoff): entry 4 stays for now.
      expect(await holder.prune(clock.now())).toEqual({ entries: 2 });
      const ages = async () => (await store.db.selectFrom('audit_log').select(['at', 'action']).orderBy('seq').execute())
        .map((e) => `${e.action}:${Math.round((clock.now() - e.at) / DAY)}`);
      expect(await ages()).toEqual(['door.unlock:40', 'door.unlock:60', 'audit.prune:0']);
      // Once entry 3 is past its retention too, the bound is above entry 4.
      clock.t += 10 * DAY;
      expect(await holder.prune(clock.now())).toEqual({ entries: 2 });
      expect(await ages()).toEqual(['audit.prune:10', 'audit.prune:0']);
    } finally {
      await store.close();
    }
  });
});
