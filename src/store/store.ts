// The embedded SQLite store: WAL journal (survives kill -9 mid-write), foreign
// keys on, versioned migrations, typed queries through Kysely; writes that queue
// up share a commit and WAL checkpoints run on a thread of their own.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, type Transaction } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import type { Tables } from './tables.ts';
import { migrations } from './migrations/index.ts';
import { GroupCommitDialect, type GroupCommitDriver } from './sqlite-driver.ts';
import { Checkpointer, backstopPages } from './checkpointer.ts';
import type { NowRunner } from './prepared.ts';

export type Db = Kysely<Tables>;
/** What a hot path needs of the store to run its statements at once (the Store). */
export type StoreNow = Pick<Store, 'runNow' | 'readNow'>;
export type Tx = Transaction<Tables>;

const provider: MigrationProvider = { getMigrations: async () => migrations };

const STATEMENT_CACHE = 512;

/**
 * Kysely prepares every query afresh; the same few hundred statements run all
 * day (door commands, audit appends), so keep them prepared. Statements run
 * synchronously in better-sqlite3, so one prepared statement is safely reused
 * (this holds as long as nothing uses Kysely's `.stream()`: an iterating
 * statement cannot be shared).
 */
function cachePreparedStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

/** For tests: the WAL's restart size and the checkpoint thread's intervals (see Store.open). */
export interface StoreOptions {
  walRestartPages?: number;
  checkpointBusyMs?: number;
  checkpointIdleMs?: number;
}

/** SQLite's own default, for when the checkpoint thread is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

export class Store {
  readonly db: Db;
  readonly path: string;
  #checkpointer: Checkpointer | undefined;
  readonly #exclusive: <T>(work: (sqlite: Database.Database) => T) => Promise<T>;
  readonly #driver: GroupCommitDriver;
  #closed = false;

  private constructor(db: Db, path: string, driver: GroupCommitDriver, exclusive: <T>(work: (sqlite: Database.Database) => T) => Promise<T>) {
    this.db = db;
    this.path = path;
    this.#driver = driver;
    this.#exclusive = exclusive;
  }

  /** How many times the connection undid writes so far (see GroupCommitDriver.rollbacks). */
  get rollbacks(): number {
    return this.#driver.rollbacks;
  }

  /**
   * Opens (creating if needed) the SQLite file and applies pending migrations.
   * `walRestartPages`: the WAL size that pauses the store for a restart
   * (default RESTART_PAGES; tests that fill the WAL use less).
   * `checkpointBusyMs`, `checkpointIdleMs`: the checkpoint thread's intervals
   * (CheckpointerDeps busyMs, idleMs; a test that no timer of the thread may
   * answer sets both longer than it runs).
   */
  static async open(path: string, options: StoreOptions = {}): Promise<Store> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new Database(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Deleted rows are overwritten with zeros, not left readable in free space (erasure, issue 15).
    sqlite.pragma('secure_delete = ON');
    cachePreparedStatements(sqlite);
    const dialect = new GroupCommitDialect(sqlite);
    const db = new Kysely<Tables>({ dialect });
    const store = new Store(db, path, dialect.driver, (work) => dialect.driver.exclusive(async () => work(sqlite)));
    try {
      await store.migrate();
    } catch (error) {
      await db.destroy();
      throw error;
    }
    if (path !== ':memory:') {
      store.#checkpointer = new Checkpointer({
        path, pause: (work) => dialect.driver.exclusive(work),
        afterNextCommit: (then) => dialect.driver.afterNextCommit(then),
        onFailure: () => { if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`); },
        restartPages: options.walRestartPages, busyMs: options.checkpointBusyMs, idleMs: options.checkpointIdleMs,
      });
      sqlite.pragma(`wal_autocheckpoint = ${backstopPages(options.walRestartPages)}`);
    }
    return store;
  }

  async migrate(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  /** See GroupCommitDriver.runNow: `work` in a transaction at once, or undefined while the connection is busy. */
  runNow<T>(work: (run: NowRunner) => T): { value: T } | undefined {
    return this.#driver.runNow(work);
  }

  /** See GroupCommitDriver.readNow. */
  readNow<T>(work: (run: NowRunner) => T): { value: T } | undefined {
    return this.#driver.readNow(work);
  }

  /** Runs `fn` in one transaction: everything or nothing is written. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * Copies the whole WAL back into the database file and truncates it, so the
   * page images of rows deleted before (an erasure) are no longer in the -wal
   * file; the database file's copies were zeroed by secure_delete. Runs on the
   * checkpoint thread while the connection pauses (never alongside one of the
   * thread's own passes, which would refuse it); on the connection itself when
   * the thread is gone. Returns whether the WAL was emptied — false at once
   * while a reader elsewhere still needs it: ask again later.
   */
  async truncateWal(): Promise<boolean> {
    if (this.path === ':memory:') return true;
    const checkpointer = this.#checkpointer;
    if (checkpointer && !checkpointer.closed) {
      try {
        return await this.#driver.exclusive(() => checkpointer.truncate());
      } catch {
        if (this.#closed) return false;
        // The thread failed meanwhile: checkpoints went back to the connection (onFailure).
      }
    }
    return this.#exclusive((sqlite) => {
      const timeout = sqlite.pragma('busy_timeout', { simple: true }) as number;
      sqlite.pragma('busy_timeout = 0'); // "not yet" at once instead of stopping the event loop
      try {
        const [r] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        return r?.busy === 0;
      } finally {
        sqlite.pragma(`busy_timeout = ${timeout}`);
      }
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** WAL checkpoints' thread (undefined for ':memory:'): `pass` and `failed` events for watchers. */
  get checkpointer(): Checkpointer | undefined {
    return this.#checkpointer;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#checkpointer?.close();
    await this.db.destroy();
  }
}
