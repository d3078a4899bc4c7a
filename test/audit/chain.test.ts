// The audit log's hash chain: every entry carries the hash of the one before and
// itself; verifyChain finds the first seq where a raw change to the file (its
// triggers dropped) broke it, and a pruned log still verifies from its anchor.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { Store } from '../../src/store/index.ts';
import { AuditLog, AuditCheckpoints, verifyChain, readOffBoxCheckpoints, checkpointBody, type AuditEntry, type OffBoxCheckpoint } from '../../src/audit/index.ts';
import { writeFileSync } from 'node:fs';
import { entryHash, GENESIS_HASH } from '../../src/store/index.ts';
import { AuditHolder } from '../../src/privacy/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { countStatements } from '../support/statements.ts';

const DAY = 86_400_000;
const entry = (i: number): AuditEntry => ({ actor: { type: 'user', id: `u${i}` }, action: 'door.unlock', target: { type: 'door', id: 'd1' }, outcome: 'ok', siteId: 'hq', details: { i } });

describe('audit chain', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let audit: AuditLog;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-chain-'));
    store = await Store.open(join(dir, 'portier.db'));
    clock = new ManualClock();
    audit = new AuditLog(store.db, clock, undefined, store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A second connection to the file, as someone with the disk would have: the triggers dropped. */
  const raw = (work: (db: Database.Database) => void): void => {
    const db = new Database(join(dir, 'portier.db'));
    try {
      db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
      work(db);
    } finally {
      db.close();
    }
  };

  it('chains every entry, also appends that run at once and several in one call', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => audit.append(entry(i))));
    await audit.appendAll([entry(20), entry(21), entry(22), entry(23), entry(24), entry(25)]);
    await store.transaction(async (tx) => { await audit.append(entry(26), tx); await audit.append(entry(27), tx); });
    const report = await verifyChain(store.db);
    const head = await audit.head();
    expect(report).toEqual({ ok: true, entries: 28, first: 1, head });
    expect(head.seq).toBe(28);
    const hashes = await store.db.selectFrom('audit_log').select('hash').execute();
    expect(new Set(hashes.map((h) => h.hash)).size).toBe(28);
  });

  it('keeps chaining to the table\'s head when the head it holds went stale: a rolled-back append, another log, a shared commit partly rolled back', async () => {
    const statements = countStatements();
    try {
      await audit.append(entry(0));
      await audit.append(entry(1));
      expect(statements.take()['select audit_log']).toBe(1); // the head is read once, then kept
      await expect(store.transaction(async (tx) => { await audit.append(entry(99), tx); throw new Error('boom'); })).rejects.toThrow('boom');
      await audit.append(entry(2));
      await new AuditLog(store.db, clock, undefined, store).append(entry(3));
      await audit.append(entry(4));
      // Transactions that queue up share one commit (savepoints in it); every second one is rolled back after its append.
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.transaction(async (tx) => {
        await audit.append(entry(5 + i), tx);
        if (i % 2 === 1) throw new Error('boom');
      }).catch(() => undefined)));
      expect(statements.take()['savepoint']).toBeGreaterThan(0);
    } finally {
      statements.stop();
    }
    const rows = await store.db.selectFrom('audit_log').select(['seq', 'details']).orderBy('seq').execute();
    expect(rows.map((r) => (JSON.parse(r.details!) as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 7, 9, 11, 13]);
    expect(await verifyChain(store.db)).toEqual({ ok: true, entries: 10, first: 1, head: await audit.head() });
  });

  it('keeps chaining to the table\'s head after a shared commit that Store.exclusive settles fails (its appends undone)', async () => {
    await sql`CREATE TABLE parents (id INTEGER PRIMARY KEY)`.execute(store.db);
    await sql`CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)`.execute(store.db);
    await audit.append(entry(0));
    const statements = countStatements();
    let settled: string[];
    try {
      // The append and the orphan share one commit; the WAL truncation (Store.exclusive) arrives while they hold the
      // connection, so the exclusive turn commits their group — and the deferred foreign key fails that COMMIT.
      const results = await Promise.allSettled([
        audit.append(entry(1)),
        sql`INSERT INTO children (id, parent) VALUES (1, 42)`.execute(store.db),
        store.truncateWal(),
      ]);
      settled = results.map((r) => r.status);
      expect(statements.take()['savepoint']).toBeGreaterThan(0);
    } finally {
      statements.stop();
    }
    expect(settled).toEqual(['rejected', 'rejected', 'fulfilled']);
    await audit.append(entry(2));
    const rows = await store.db.selectFrom('audit_log').select(['seq', 'details']).orderBy('seq').execute();
    expect(rows.map((r) => (JSON.parse(r.details!) as { i: number }).i)).toEqual([0, 2]);
    expect(await verifyChain(store.db)).toEqual({ ok: true, entries: 2, first: 1, head: await audit.head() });
  });

  it('finds a row whose content was changed in the file at its seq', async () => {
    for (let i = 0; i < 6; i++) await audit.append(entry(i));
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 6 });
    raw((db) => db.prepare("UPDATE audit_log SET outcome = 'denied' WHERE seq = 4").run());
    expect(await verifyChain(store.db)).toEqual({ ok: false, brokenSeq: 4, reason: 'hash', entries: 3 });
  });

  it('finds a changed row even when its hash was recomputed: the next entry no longer follows', async () => {
    for (let i = 0; i < 6; i++) await audit.append(entry(i));
    const { hash: prev } = await store.db.selectFrom('audit_log').select('hash').where('seq', '=', 2).executeTakeFirstOrThrow();
    const row = await store.db.selectFrom('audit_log').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
    const { entryHash } = await import('../../src/store/index.ts');
    const forged = entryHash(prev, { ...row, actor_id: 'someone-else' });
    raw((db) => db.prepare("UPDATE audit_log SET actor_id = 'someone-else', hash = ? WHERE seq = 3").run(forged));
    expect(await verifyChain(store.db)).toMatchObject({ ok: false, brokenSeq: 4, reason: 'hash' });
  });

  it('finds a deleted row at its seq', async () => {
    for (let i = 0; i < 6; i++) await audit.append(entry(i));
    raw((db) => db.prepare('DELETE FROM audit_log WHERE seq = 2').run());
    expect(await verifyChain(store.db)).toEqual({ ok: false, brokenSeq: 2, reason: 'missing', entries: 1 });
  });

  it('finds entries cut off the end when a checkpoint names a later seq', async () => {
    for (let i = 0; i < 4; i++) await audit.append(entry(i));
    const head = await audit.head();
    await store.db.insertInto('audit_checkpoints').values({ seq: head.seq, hash: head.hash, at: clock.now() }).execute();
    raw((db) => db.prepare('DELETE FROM audit_log WHERE seq = 4').run());
    expect(await verifyChain(store.db)).toEqual({ ok: false, brokenSeq: 4, reason: 'missing', entries: 3 });
  });

  // What the triggers prove: through SQL with them in place, neither the anchor nor a grant moves outside a prune.
  // Against a writer who drops them (the file's owner) only an off-box checkpoint helps: see 'forged prune grant' below.
  it('a pruned log verifies from its anchor; through the triggers the anchor moves only with a prune and its own audit.prune entry', async () => {
    const writeAt = async (daysAgo: number, i: number) => {
      const at = new ManualClock();
      at.t = clock.t - daysAgo * DAY;
      await new AuditLog(store.db, at).append(entry(i));
    };
    await writeAt(400, 0);
    await writeAt(390, 1);
    await writeAt(10, 2);
    for (const seq of [1, 2, 3]) {
      const { hash } = await store.db.selectFrom('audit_log').select('hash').where('seq', '=', seq).executeTakeFirstOrThrow();
      await store.db.insertInto('audit_checkpoints').values({ seq, hash: hash!, at: clock.now() }).execute();
    }
    const received = await offBoxCheckpoint();
    expect(await new AuditHolder({ store, audit, retentionDays: 365 }).prune(clock.now())).toEqual({ entries: 2 });
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 2, first: 3 });
    // A real prune records its anchor in its own audit.prune entry: the checkpoint from before it still verifies.
    expect(await verifyChain(store.db, received)).toMatchObject({ ok: true, entries: 2, first: 3 });
    expect(await store.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).toEqual([{ seq: 3 }, { seq: 4 }]);
    // The checkpoints of the deleted entries went with them; the one of a kept entry stays.
    expect(await store.db.selectFrom('audit_checkpoints').select('seq').orderBy('seq').execute()).toEqual([{ seq: 3 }]);
    await expect(store.db.updateTable('audit_chain_anchor').set({ seq: 4 }).execute()).rejects.toThrow(/anchor moves only with a prune/);
    // A writer inserting a grant first is refused too: a grant needs the newest entry to be its audit.prune.
    await expect(store.db.insertInto('audit_prune_grants' as never).values({ audit_seq: 4, before: clock.now() } as never).execute()).rejects.toThrow(/audit prune grant without its own audit.prune entry/);
    expect((await store.db.selectFrom('audit_chain_anchor').select('seq').executeTakeFirstOrThrow()).seq).toBe(3);
    await expect(store.db.deleteFrom('audit_chain_anchor').execute()).rejects.toThrow(/anchor stays/);
    await audit.append(entry(5));
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 3, first: 3 });
  });

  /** Takes a checkpoint now and returns it as the collector read it back from the webhook body it kept (a JSON file). */
  const offBoxCheckpoint = async (): Promise<OffBoxCheckpoint[]> => {
    const bodies: unknown[] = [];
    const checkpoints = new AuditCheckpoints({
      db: store.db, audit, clock, settings: { everyEntries: 1_000_000, everyMs: 3_600_000, retryMs: 1000 },
      targets: [{ name: 'collector', confirms: true, send: async (c) => { bodies.push(checkpointBody(c, 'lobby-gw')); }, close: () => undefined }],
    });
    await checkpoints.take();
    await checkpoints.settled();
    await checkpoints.close();
    const file = join(dir, `received-${bodies.length}.json`);
    writeFileSync(file, JSON.stringify(bodies));
    return readOffBoxCheckpoints(file);
  };

  it('the checkpoint sent off the box carries the anchor and the entry count', async () => {
    for (let i = 0; i < 3; i++) await audit.append(entry(i));
    const head = await audit.head();
    expect(await offBoxCheckpoint()).toEqual([{ seq: 3, hash: head.hash, anchor: { seq: 1, prevHash: GENESIS_HASH }, at: clock.now() }]);
  });

  it('the oldest entries deleted under a forged prune grant with a moved anchor verify locally, not against an off-box checkpoint', async () => {
    for (let i = 0; i < 6; i++) await audit.append(entry(i));
    const received = await offBoxCheckpoint();
    raw((db) => {
      const { hash } = db.prepare('SELECT hash FROM audit_log WHERE seq = 3').get() as { hash: string };
      db.exec('DROP TRIGGER IF EXISTS audit_prune_grant_checked');
      db.prepare('INSERT INTO audit_prune_grants (audit_seq, before) VALUES (7, ?)').run(clock.now() + DAY);
      db.prepare('UPDATE audit_chain_anchor SET seq = 4, prev_hash = ? WHERE id = 1').run(hash);
      db.prepare('DELETE FROM audit_log WHERE seq < 4').run();
      db.prepare('DELETE FROM audit_prune_grants').run();
    });
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 3, first: 4 });
    expect(await verifyChain(store.db, received)).toMatchObject({ ok: false, brokenSeq: 4, reason: 'anchor' });
    // Knowing only seq:hash, the collector still sees the anchor later than its checkpoint's...
    expect(await verifyChain(store.db, [{ seq: 2, hash: received[0]!.hash }])).toMatchObject({ ok: false, reason: 'anchor' });
  });

  it('a prune forged through SQL with the triggers in place — its own chained audit.prune entry dated ahead so that recent entries fall before its cutoff — passes against the checkpoint before it, not against one taken after it', async () => {
    for (let i = 0; i < 6; i++) await audit.append(entry(i));
    const before = await offBoxCheckpoint();
    const head = await audit.head();
    const { hash: lastDeleted } = await store.db.selectFrom('audit_log').select('hash').where('seq', '=', 4).executeTakeFirstOrThrow();
    // The triggers let a grant through only for the newest entry, an audit.prune whose cutoff is 30 days before its own time:
    // dated 31 days ahead, its cutoff lies after every entry, so entries 1–4 (minutes old) may go.
    const at = clock.now() + 31 * DAY;
    const cutoff = at - 30 * DAY;
    const prune = {
      seq: head.seq + 1, at, actor_type: 'system' as const, actor_id: null, action: 'audit.prune', target_type: null, target_id: null, outcome: 'ok' as const,
      site_id: null, correlation_id: null, details: JSON.stringify({ before: cutoff, entries: 4, retentionDays: 30, anchor: { seq: 5, prevHash: lastDeleted } }),
    };
    await store.transaction(async (tx) => {
      await tx.insertInto('audit_log').values({ ...prune, hash: entryHash(head.hash, prune) }).execute();
      await tx.insertInto('audit_prune_grants' as never).values({ audit_seq: prune.seq, before: cutoff } as never).execute();
      await tx.updateTable('audit_chain_anchor').set({ seq: 5, prev_hash: lastDeleted! }).where('id', '=', 1).execute();
      await tx.deleteFrom('audit_log').where('seq', '<', 5).execute();
      await tx.deleteFrom('audit_prune_grants' as never).execute();
    });
    await audit.append(entry(6));
    // Locally, and against the checkpoint before it, it reads as a real prune: its entry records the anchor it moved to.
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 4, first: 5 });
    expect(await verifyChain(store.db, before)).toMatchObject({ ok: true });
    // The next checkpoint the collector receives was taken before the time the prune's entry claims.
    const after = await offBoxCheckpoint();
    expect(await verifyChain(store.db, [...before, ...after])).toMatchObject({ ok: false, brokenSeq: 7, reason: 'anchor' });
    expect(await verifyChain(store.db, after)).toMatchObject({ ok: false, brokenSeq: 7, reason: 'anchor' });
  });

  it('an entry rewritten with every hash after it (and the local checkpoints) recomputed verifies locally, not against an off-box checkpoint', async () => {
    for (let i = 0; i < 6; i++) await audit.append(entry(i));
    const received = await offBoxCheckpoint();
    expect(await verifyChain(store.db, received)).toMatchObject({ ok: true, entries: 6 });
    const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    raw((db) => {
      let prev = rows[1]!.hash!;
      for (const row of rows.slice(2)) {
        const changed = row.seq === 3 ? { ...row, actor_id: 'someone-else' } : row;
        prev = entryHash(prev, changed);
        db.prepare('UPDATE audit_log SET actor_id = ?, hash = ? WHERE seq = ?').run(changed.actor_id, prev, row.seq);
      }
      db.prepare('UPDATE audit_checkpoints SET hash = ? WHERE seq = 6').run(prev);
    });
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, entries: 6 });
    expect(await verifyChain(store.db, received)).toEqual({ ok: false, brokenSeq: 6, reason: 'off-box', entries: 5 });
  });
});

