// The audit log's one controlled delete: retention through AuditHolder.prune,
// which first writes its own audit.prune entry counting what goes. Every other
// update or delete is still refused by the database (SQL through the store).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openServices, type Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { AuditHolder } from '../../src/privacy/index.ts';

const DAY = 86_400_000;

describe('privacy: audit retention', () => {
  let s: Services;
  let clock: ManualClock;
  let audit: AuditLog;
  beforeEach(async () => {
    s = await openServices();
    clock = new ManualClock();
    audit = new AuditLog(s.store.db, clock);
  });
  afterEach(async () => { await s.close(); });

  const grants = () => s.store.db.withTables<{ audit_prune_grants: { audit_seq: number; before: number } }>();
  /** Entries written `daysAgo` before the clock's now, by user u1. */
  const writeAt = async (daysAgo: number, ms = 0) => {
    const at = new ManualClock();
    at.t = clock.t - daysAgo * DAY + ms;
    await new AuditLog(s.store.db, at).append({ actor: { type: 'user', id: 'u1' }, action: 'door.unlock', outcome: 'ok' });
  };
  const actions = async () => (await s.store.db.selectFrom('audit_log').select(['action', 'at']).orderBy('seq').execute());

  it('prune deletes exactly the entries older than the retention and writes one entry counting them', async () => {
    const before = await s.store.db.selectFrom('audit_log').select('seq').execute();
    expect(before).toEqual([]);
    await writeAt(400);
    await writeAt(365, -1);
    await writeAt(365);
    await writeAt(10);
    const holder = new AuditHolder({ store: s.store, audit, retentionDays: 365 });

    expect(await holder.prune(clock.now())).toEqual({ entries: 2 });
    const left = await actions();
    expect(left.map((e) => e.action)).toEqual(['door.unlock', 'door.unlock', 'audit.prune']);
    expect(left[0]!.at).toBe(clock.now() - 365 * DAY);
    const [entry] = await audit.list({ action: 'audit.prune' });
    expect(entry).toMatchObject({ actor_type: 'system', outcome: 'ok' });
    // The new anchor (first kept seq, hash of the last deleted entry) is recorded in the chain itself.
    const anchor = await s.store.db.selectFrom('audit_chain_anchor').select(['seq', 'prev_hash']).executeTakeFirstOrThrow();
    expect(anchor.seq).toBe(3);
    expect(JSON.parse(entry!.details!)).toEqual({ before: clock.now() - 365 * DAY, entries: 2, retentionDays: 365, anchor: { seq: 3, prevHash: anchor.prev_hash } });
    expect(await grants().selectFrom('audit_prune_grants').selectAll().execute()).toEqual([]);

    expect(await holder.prune(clock.now())).toEqual({ entries: 0 });
    expect(await audit.list({ action: 'audit.prune' })).toHaveLength(1);
  });

  it('the database still refuses every other update or delete, and grants without their own audit.prune entry', async () => {
    await writeAt(400);
    await writeAt(1);
    const db = s.store.db;
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').where('at', '<', clock.now() - 399 * DAY).execute()).rejects.toThrow(/append-only/);
    await expect(db.updateTable('audit_log').set({ outcome: 'denied' }).execute()).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log WHERE seq = 1`.execute(db)).rejects.toThrow(/append-only/);

    // A grant needs the newest entry to be the system's audit.prune naming the same cutoff, at least 30 days back.
    const cutoff = clock.now() - 365 * DAY;
    await expect(grants().insertInto('audit_prune_grants').values({ audit_seq: 2, before: cutoff }).execute()).rejects.toThrow(/grant/);
    await audit.append({ actor: { type: 'user', id: 'u1' }, action: 'audit.prune', outcome: 'ok', details: { before: cutoff } });
    await expect(grants().insertInto('audit_prune_grants').values({ audit_seq: 3, before: cutoff }).execute()).rejects.toThrow(/grant/);
    const recent = clock.now() - 29 * DAY;
    await audit.append({ actor: { type: 'system', id: null }, action: 'audit.prune', outcome: 'ok', details: { before: recent } });
    await expect(grants().insertInto('audit_prune_grants').values({ audit_seq: 4, before: recent }).execute()).rejects.toThrow(/grant/);
    await audit.append({ actor: { type: 'system', id: null }, action: 'audit.prune', outcome: 'ok', details: { before: cutoff } });
    await audit.append({ actor: { type: 'system', id: null }, action: 'door.unlock', outcome: 'ok' });
    // Not the newest entry any more: a stale audit.prune cannot be reused.
    await expect(grants().insertInto('audit_prune_grants').values({ audit_seq: 5, before: cutoff }).execute()).rejects.toThrow(/grant/);
    expect((await actions()).map((e) => e.action)).toHaveLength(6);
  });

  it('a delete under a valid grant still cannot reach entries younger than its cutoff or the prune entry itself', async () => {
    await writeAt(400);
    await writeAt(1);
    const cutoff = clock.now() - 365 * DAY;
    await s.store.transaction(async (tx) => {
      await audit.append({ actor: { type: 'system', id: null }, action: 'audit.prune', outcome: 'ok', details: { before: cutoff } }, tx);
      const g = tx.withTables<{ audit_prune_grants: { audit_seq: number; before: number } }>();
      await g.insertInto('audit_prune_grants').values({ audit_seq: 3, before: cutoff }).execute();
      await expect(tx.deleteFrom('audit_log').where('seq', '=', 2).execute()).rejects.toThrow(/append-only/);
      await expect(tx.deleteFrom('audit_log').where('seq', '=', 3).execute()).rejects.toThrow(/append-only/);
      await expect(g.updateTable('audit_prune_grants').set({ before: clock.now() }).execute()).rejects.toThrow(/cannot change/);
      throw new Error('roll back');
    }).catch((e: Error) => { if (e.message !== 'roll back') throw e; });
    expect((await actions()).map((e) => e.action)).toEqual(['door.unlock', 'door.unlock']);
  });
});
