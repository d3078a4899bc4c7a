// Kysely's driver for the store's one SQLite connection: hands it to one query
// or transaction at a time, in arrival order, and lets the writes of callers
// that queue up behind each other share one commit (group commit).
import type Database from 'better-sqlite3';
import {
  SelectQueryNode, SqliteAdapter, SqliteDialect,
  type CompiledQuery, type DatabaseConnection, type DialectAdapter, type Driver, type QueryResult,
} from 'kysely';
import type { NowRunner } from './prepared.ts';

/** Most callers one shared commit waits for: bounds the latency it adds to the first of them. */
const MAX_GROUP = 64;
const GROUP_SAVEPOINT = 'portier_grouped_tx';
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface Group {
  members: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
  /** SQLite rolled the shared transaction back (I/O error, disk full): nobody in it is committed. */
  failed?: unknown;
}

/**
 * Why not Kysely's own SQLite driver:
 * - its guard for single-connection dialects wakes every waiter at each release
 *   (all re-check, all but one wait again): O(waiters) per query, so a backlog
 *   of n queries costs O(n²) and a short stall snowballs (issue #5);
 * - every write is its own commit, i.e. its own WAL append of every page it
 *   touched, and the WAL checkpoints (two fsyncs, on the event loop) come
 *   round accordingly often.
 *
 * Here a release hands the connection to the next waiter only. A write while
 * others wait opens a shared transaction; whoever holds the connection until
 * nobody waits (or MAX_GROUP callers) works inside it (a Kysely transaction
 * becomes a savepoint in it), then one COMMIT settles them all. Every caller's
 * promise still resolves only once what it wrote — or read of others'
 * uncommitted writes — is committed, and rejects if that commit fails; a
 * failing statement or transaction is rolled back alone (statement rollback,
 * savepoint). Without contention nothing changes: autocommit, BEGIN/COMMIT.
 */
export class GroupCommitDriver implements Driver {
  readonly #db: Database.Database;
  readonly #connection: DatabaseConnection;
  readonly #waiting: Array<() => void> = [];
  #held = false;
  #group: Group | undefined;
  /** The holder works inside #group. */
  #joined = false;
  /** The holder's Kysely transaction: its own BEGIN, or a savepoint in the group. */
  #tx: 'own' | 'grouped' | undefined;
  #rollbacks = 0;
  /** Called once at the next commit that may have written (afterNextCommit), then forgotten. */
  #nextCommit: (() => void) | undefined;
  /**
   * While #nextCommit is armed: a statement that may write ran since, and no
   * full rollback undid it — the next commit fires. Only set while armed.
   */
  #wroteArmed = false;

  /**
   * How many times writes were undone (a transaction, savepoint or shared
   * commit rolled back): whoever keeps a copy of what it wrote (the audit
   * chain's head) reads it again when this moved.
   */
  get rollbacks(): number { return this.#rollbacks; }

  /**
   * Calls `then` once, right after the connection's next commit that may have
   * written — of whatever kind: runNow's, a Kysely transaction's, a shared one, a
   * write in autocommit — and never again unless asked again. A commit that only
   * read does not count, nor one whose writes a full rollback undid; one whose
   * statements could write but changed nothing (an UPDATE of no row) does, and so
   * does a transaction already open when asked. The checkpoint thread's way to
   * learn of the store's first write after it started the WAL over without
   * looking for it (checkpointer.ts); the cost is one comparison per statement
   * and per commit, a flag set while asked. One callback at a time: asking with a
   * different one while one is pending throws (the same one again is fine). A
   * throw from `then` is a warning (process.emitWarning), never the commit's:
   * the commit went through, and its callers learn so.
   */
  afterNextCommit(then: () => void): void {
    if (this.#nextCommit !== undefined && this.#nextCommit !== then) throw new Error('afterNextCommit: another callback is pending');
    this.#nextCommit = then;
    // What an open transaction wrote before is not known: its commit counts.
    if (this.#db.inTransaction) this.#wroteArmed = true;
  }

  constructor(db: Database.Database) {
    this.#db = db;
    this.#connection = {
      executeQuery: <R>(query: CompiledQuery) => this.#execute<R>(query),
      streamQuery: <R>(query: CompiledQuery) => this.#stream<R>(query),
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#take();
    this.#joined = this.#group !== undefined;
    this.#tx = undefined;
    return this.#connection;
  }

  async beginTransaction(): Promise<void> {
    if (this.#group || this.#waiting.length > 0) {
      this.#join();
      if (this.#group!.failed !== undefined) throw this.#group!.failed;
      this.#run(`savepoint ${GROUP_SAVEPOINT}`);
      this.#tx = 'grouped';
    } else {
      this.#run('begin');
      this.#tx = 'own';
    }
  }

  async commitTransaction(): Promise<void> {
    const own = this.#tx === 'own';
    this.#run(own ? 'commit' : `release ${GROUP_SAVEPOINT}`);
    this.#tx = undefined;
    if (own && this.#wroteArmed) this.#committed();
  }

  async rollbackTransaction(): Promise<void> {
    this.#rollbacks++;
    const tx = this.#tx;
    this.#tx = undefined;
    if (tx === 'own') {
      this.#wroteArmed = false; // everything since BEGIN undone
      return this.#run('rollback');
    }
    if (this.#group?.failed !== undefined) return; // SQLite already rolled everything back
    this.#run(`rollback to ${GROUP_SAVEPOINT}`);
    this.#run(`release ${GROUP_SAVEPOINT}`);
  }

  // Savepoints inside a Kysely transaction (controlled transactions) nest in it either way.
  async savepoint(_c: DatabaseConnection, name: string): Promise<void> { this.#run(`savepoint ${quoted(name)}`); }
  async rollbackToSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.#rollbacks++;
    this.#run(`rollback to ${quoted(name)}`);
  }
  async releaseSavepoint(_c: DatabaseConnection, name: string): Promise<void> { this.#run(`release ${quoted(name)}`); }

  async releaseConnection(): Promise<void> {
    const group = this.#joined ? this.#group : undefined;
    const committed = group && new Promise<void>((resolve, reject) => group.members.push({ resolve, reject }));
    if (this.#group && (this.#waiting.length === 0 || this.#group.members.length >= MAX_GROUP)) this.#commitGroup();
    this.#joined = false;
    this.#handOver();
    await committed;
  }

  /**
   * Runs `work` at once in a transaction of its own — its statements through
   * `run`, then COMMIT — when the connection is free (nobody holds it, nobody
   * waits, so no transaction is open); answers its value once committed, or
   * undefined when the connection is busy (use a Kysely transaction then). A
   * throw from `work` rolls everything back and is thrown on. No promise, no
   * query building: the card read's hot path (issue 16).
   */
  runNow<T>(work: (run: NowRunner) => T): { value: T } | undefined {
    if (this.#held || this.#waiting.length > 0) return undefined;
    this.#held = true;
    try {
      this.#run('begin');
      let value: T;
      try {
        value = work(this.#now);
        this.#run('commit');
      } catch (error) {
        this.#rollbacks++;
        this.#wroteArmed = false;
        if (this.#db.inTransaction) this.#run('rollback');
        throw error;
      }
      if (this.#wroteArmed) this.#committed();
      return { value };
    } finally {
      this.#held = false;
    }
  }

  /** `work`'s reads at once, without a transaction, when the connection is free (see runNow); undefined when busy. */
  readNow<T>(work: (run: NowRunner) => T): { value: T } | undefined {
    if (this.#held || this.#waiting.length > 0) return undefined;
    return { value: work(this.#now) };
  }

  readonly #now: NowRunner = {
    executeNow: <R>(query: CompiledQuery<R>): QueryResult<R> => {
      const statement = this.#db.prepare(query.sql);
      if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(query.parameters);
      if (query.sql.startsWith('rollback to ')) this.#rollbacks++;
      this.#ran(statement);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    },
  };

  /**
   * Runs `work` when the connection is next free, with no transaction open (a
   * shared one is committed first), keeping every query waiting until it is done.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    await this.#take();
    try {
      if (this.#group) this.#commitGroup();
      return await work();
    } finally {
      this.#handOver();
    }
  }

  /**
   * Closing while a holder is inside a transaction: that half-finished
   * transaction is rolled back (never committed with the group); what others
   * completed in the group is committed.
   */
  async destroy(): Promise<void> {
    if (this.#tx !== undefined) await this.rollbackTransaction();
    if (this.#group) this.#commitGroup();
    this.#db.close();
  }

  async #take(): Promise<void> {
    // A release hands the connection straight to the next waiter (#held stays true).
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#held = true;
  }

  #handOver(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }

  #join(): void {
    if (!this.#group) {
      this.#run('begin');
      this.#group = { members: [] };
    }
    this.#joined = true;
  }

  #commitGroup(): void {
    const group = this.#group!;
    this.#group = undefined;
    let error = group.failed;
    if (error !== undefined) this.#rollbacks++;
    if (error === undefined) {
      try {
        this.#run('commit');
      } catch (commitError) {
        error = commitError;
        this.#rollbacks++;
        try {
          if (this.#db.inTransaction) this.#run('rollback');
        } catch {
          // Nothing more to undo; the members learn of the failed commit below.
        }
      }
    }
    if (error !== undefined) this.#wroteArmed = false; // nothing of the group is kept
    else if (this.#wroteArmed) this.#committed();
    for (const member of group.members) {
      if (error === undefined) member.resolve();
      else member.reject(error);
    }
  }

  /**
   * A statement ran without a throw (not a reader): one that may write marks the
   * armed one-shot; outside a transaction it committed by itself (autocommit).
   * Transaction control (savepoint, release, rollback to) is read-only to SQLite.
   */
  #ran(statement: Database.Statement): void {
    if (this.#nextCommit === undefined || statement.readonly) return;
    this.#wroteArmed = true;
    if (!this.#db.inTransaction) this.#committed();
  }

  #committed(): void {
    const then = this.#nextCommit!;
    this.#nextCommit = undefined;
    this.#wroteArmed = false;
    try {
      then();
    } catch (error) {
      // Inside runNow, or before a group's members resolve: a throw here would report a
      // committed write as failed, or leave the group's callers waiting for ever.
      process.emitWarning(`afterNextCommit callback threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #run(sql: string): void {
    this.#db.prepare(sql).run();
  }

  async #execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#db.prepare(query.sql);
    if (!statement.readonly && !this.#joined && this.#tx === undefined && this.#waiting.length > 0) this.#join();
    const group = this.#joined ? this.#group : undefined;
    // Outside the rolled-back group a statement would run in autocommit: refuse it.
    if (group?.failed !== undefined) throw group.failed;
    try {
      if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(query.parameters);
      // A savepoint a caller rolls back by a query of its own (ack-settling.ts) undoes writes too.
      if (query.sql.startsWith('rollback to ')) this.#rollbacks++;
      this.#ran(statement);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      if (group && !this.#db.inTransaction) {
        group.failed = error;
        this.#rollbacks++;
      }
      throw error;
    }
  }

  async *#stream<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('the SQLite driver streams select queries only');
    for (const row of this.#db.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }
}

/** The driver above already serialises; this keeps Kysely from adding its own guard on top. */
class GroupCommitAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean { return true; }
}

export class GroupCommitDialect extends SqliteDialect {
  readonly driver: GroupCommitDriver;

  constructor(db: Database.Database) {
    super({ database: db });
    this.driver = new GroupCommitDriver(db);
  }

  override createDriver(): Driver { return this.driver; }
  override createAdapter(): DialectAdapter { return new GroupCommitAdapter(); }
}
