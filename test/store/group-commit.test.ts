// The store's SQLite driver: callers that queue up behind each other share one
// commit, yet each caller's promise resolves only once its writes are committed,
// a failing statement or transaction fails alone, and the connection is handed
// out in arrival order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { GroupCommitDialect } from '../../src/store/sqlite-driver.ts';

interface T {
  items: { id: number; name: string };
  parents: { id: number };
  children: { id: number; parent: number };
}

describe('store: group commit driver', () => {
  let dir: string;
  let sqlite: Database.Database;
  let db: Kysely<T>;
  let dialect: GroupCommitDialect;
  let other: Database.Database;
  let commits: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-group-commit-'));
    sqlite = new Database(join(dir, 'test.db'));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE parents (id INTEGER PRIMARY KEY);
      CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);`);
    commits = 0;
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((source: string) => {
      if (source === 'commit') commits++;
      return prepare(source);
    }) as typeof sqlite.prepare;
    dialect = new GroupCommitDialect(sqlite);
    db = new Kysely<T>({ dialect });
    other = new Database(join(dir, 'test.db'), { readonly: true });
  });

  afterEach(async () => {
    other.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const committedNames = () => (other.prepare('SELECT name FROM items ORDER BY id').all() as Array<{ name: string }>).map((r) => r.name);
  const insert = (name: string) => db.insertInto('items').values({ name } as never).execute();

  it('lets writes that queue up share one commit, each resolving only once committed', async () => {
    const seen: string[][] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => insert(`n${i}`).then(() => seen.push(committedNames()))));
    expect(committedNames()).toHaveLength(20);
    // Whoever's promise resolved already found its row committed (read through a second connection).
    seen.forEach((names) => expect(names).toHaveLength(20));
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(2);
  });

  it('resolves a transaction that joined a group only once the group is committed', async () => {
    const seen: string[][] = [];
    await Promise.all([
      insert('first'),
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ name: 'tx-a' } as never).execute();
        await tx.insertInto('items').values({ name: 'tx-b' } as never).execute();
      }).then(() => seen.push(committedNames())),
      insert('last'),
    ]);
    expect(seen).toEqual([['first', 'tx-a', 'tx-b', 'last']]);
    expect(commits).toBe(1);
  });

  it('commits a lone write at once, as autocommit', async () => {
    await insert('alone');
    expect(committedNames()).toEqual(['alone']);
    expect(commits).toBe(0);
  });

  it('fails a bad statement alone; the others in its group are committed', async () => {
    await insert('taken');
    const results = await Promise.allSettled([insert('a'), insert('taken'), insert('b')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedNames()).toEqual(['taken', 'a', 'b']);
  });

  it('rolls a failing transaction back alone, its neighbours are committed', async () => {
    const results = await Promise.allSettled([
      insert('before'),
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ name: 'in-tx' } as never).execute();
        throw new Error('boom');
      }),
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ name: 'tx-ok' } as never).execute();
      }),
      insert('after'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(committedNames()).toEqual(['before', 'tx-ok', 'after']);
  });

  it('rejects every caller of a group whose commit fails, and nothing of it is kept', async () => {
    // A deferred foreign key is checked at COMMIT: the shared commit fails.
    const results = await Promise.allSettled([
      insert('x'),
      db.insertInto('children').values({ id: 1, parent: 42 }).execute(),
      insert('y'),
    ]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(committedNames()).toEqual([]);
    expect(sqlite.inTransaction).toBe(false);
    await insert('later');
    expect(committedNames()).toEqual(['later']);
  });

  it('calls afterNextCommit once, right after the next commit that wrote, of any kind: autocommit, a transaction, a shared commit, runNow', async () => {
    const driver = dialect.driver;
    // What another connection saw committed when each call came.
    const calls: string[][] = [];
    const arm = () => driver.afterNextCommit(() => { calls.push(committedNames()); });
    arm();
    await db.selectFrom('items').selectAll().execute();
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ name: 'undone' } as never).execute();
      throw new Error('undo');
    }).catch(() => {});
    expect(calls).toEqual([]); // a read and a rollback commit nothing
    await insert('a');
    await insert('b'); // not asked again: not called again
    expect(calls).toEqual([['a']]);
    arm();
    await db.transaction().execute((tx) => tx.insertInto('items').values({ name: 'c' } as never).execute());
    expect(calls.at(-1)).toEqual(['a', 'b', 'c']);
    arm();
    const before = commits;
    await Promise.all(['d', 'e', 'f'].map(insert));
    expect(commits).toBe(before + 1); // one shared commit, not three autocommits
    expect(calls).toHaveLength(3);
    expect(calls.at(-1)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    arm();
    const g = db.insertInto('items').values({ name: 'g' } as never).compile();
    expect(driver.runNow((run) => run.executeNow(g))).toBeDefined();
    expect(calls).toHaveLength(4);
    expect(calls.at(-1)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('calls afterNextCommit only at a commit that may have written: not at a read-only one, nor after everything written was rolled back', async () => {
    const driver = dialect.driver;
    const calls: string[][] = [];
    driver.afterNextCommit(() => { calls.push(committedNames()); });
    const items = db.selectFrom('items').selectAll().compile();
    await db.transaction().execute((tx) => tx.selectFrom('items').selectAll().execute()); // BEGIN … COMMIT, nothing written
    expect(driver.runNow((run) => run.executeNow(items))).toBeDefined();
    // Written, then all of it rolled back: the next commit that only reads does not count it.
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ name: 'undone' } as never).execute();
      throw new Error('undo');
    }).catch(() => {});
    await db.transaction().execute((tx) => tx.selectFrom('items').selectAll().execute());
    const undone = db.insertInto('items').values({ name: 'undone-too' } as never).compile();
    expect(() => driver.runNow((run) => { run.executeNow(undone); throw new Error('undo'); })).toThrow('undo');
    expect(driver.runNow((run) => run.executeNow(items))).toBeDefined();
    expect(calls).toEqual([]);
    await db.transaction().execute((tx) => tx.insertInto('items').values({ name: 'a' } as never).execute());
    expect(calls).toEqual([['a']]);
  });

  it('does not call afterNextCommit at a shared commit that fails (it stays asked), nor at a grouped transaction\'s release', async () => {
    const driver = dialect.driver;
    const calls: string[][] = [];
    driver.afterNextCommit(() => { calls.push(committedNames()); });
    // A deferred foreign key is checked at COMMIT: the shared commit fails, nothing is kept.
    const failed = await Promise.allSettled([
      insert('x'),
      db.insertInto('children').values({ id: 1, parent: 42 }).execute(),
      insert('y'),
    ]);
    expect(failed.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toEqual([]);
    // Still asked: a transaction inside a group is a savepoint, its release no commit; the
    // call comes once, at the group's commit (at the release it would find nothing committed).
    const before = commits;
    await Promise.all([
      insert('first'),
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ name: 'tx-a' } as never).execute();
        await tx.insertInto('items').values({ name: 'tx-b' } as never).execute();
      }),
      insert('last'),
    ]);
    expect(commits).toBe(before + 1);
    expect(calls).toEqual([['first', 'tx-a', 'tx-b', 'last']]);
  });

  it('refuses a second, different afterNextCommit callback while one is pending; the same one again is fine', async () => {
    const driver = dialect.driver;
    const calls: string[] = [];
    const first = () => { calls.push('first'); };
    driver.afterNextCommit(first);
    driver.afterNextCommit(first);
    expect(() => driver.afterNextCommit(() => { calls.push('second'); })).toThrow(/pending/);
    await insert('a');
    expect(calls).toEqual(['first']); // the pending one was kept, and called once
    driver.afterNextCommit(() => { calls.push('second'); }); // nothing pending any more
    await insert('b');
    expect(calls).toEqual(['first', 'second']);
  });

  it('keeps a throwing afterNextCommit callback from touching the commit: its callers resolve, the warning says why', async () => {
    const driver = dialect.driver;
    const warnings: string[] = [];
    const warned = (warning: Error) => { warnings.push(warning.message); };
    process.on('warning', warned);
    const boom = () => { throw new Error('boom'); };
    try {
      driver.afterNextCommit(boom);
      // A shared commit: every member resolves, nothing of the group is lost.
      await Promise.all(['a', 'b', 'c'].map(insert));
      expect(committedNames()).toEqual(['a', 'b', 'c']);
      driver.afterNextCommit(boom);
      // runNow: its COMMIT went through, so it answers its value (not the callback's throw).
      const d = db.insertInto('items').values({ name: 'd' } as never).compile();
      expect(driver.runNow((run) => run.executeNow(d))).toBeDefined();
      driver.afterNextCommit(boom);
      await insert('e'); // autocommit
      driver.afterNextCommit(boom);
      await db.transaction().execute((tx) => tx.insertInto('items').values({ name: 'f' } as never).execute());
      expect(committedNames()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).toHaveLength(4);
      expect(warnings.every((message) => message.includes('boom'))).toBe(true);
    } finally {
      process.off('warning', warned);
    }
  });

  it('hands the connection out in arrival order', async () => {
    const order: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.selectFrom('items').select(sql<number>`${i}`.as('i')).execute().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('runs nothing else inside a transaction', async () => {
    await Promise.all([
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ name: 't1' } as never).execute();
        await new Promise((resolve) => setImmediate(resolve));
        await tx.insertInto('items').values({ name: 't2' } as never).execute();
      }),
      ...Array.from({ length: 3 }, (_, i) => insert(`p${i}`)),
    ]);
    expect(committedNames()).toEqual(['t1', 't2', 'p0', 'p1', 'p2']);
  });

  it('closing while a transaction is half done rolls that transaction back and keeps what others completed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => { entered = resolve; });
    const first = insert('completed');
    const half = db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ name: 'half' } as never).execute();
      entered();
      await gate;
      await tx.insertInto('items').values({ name: 'other-half' } as never).execute();
    });
    half.catch(() => {});
    first.catch(() => {});
    await inside;
    await db.destroy();
    release();
    await expect(half).rejects.toThrow();
    const after = new Database(join(dir, 'test.db'), { readonly: true });
    const names = (after.prepare('SELECT name FROM items ORDER BY id').all() as Array<{ name: string }>).map((r) => r.name);
    after.close();
    expect(names).not.toContain('half');
    expect(names).toContain('completed');
  });
});
