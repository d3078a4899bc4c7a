// WAL checkpoints run on a thread of their own: the store's connection never
// checkpoints itself, yet the WAL is copied back and starts over — by the thread's
// own write, never in a commit of the connection; if the thread fails,
// checkpoints go back to the connection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { Store, type CheckpointPass } from '../../src/store/index.ts';
import { Checkpointer, BACKSTOP_PAGES, RESTART_PAGES, RestartPolicy, type CheckpointerDeps } from '../../src/store/checkpointer.ts';

/** The restart size of the stores that fill their WAL here (the default takes four times the writing). */
const FILL_RESTART = 4_000;
import { AuditLog } from '../../src/audit/index.ts';
import { systemClock } from '../../src/core/index.ts';
import { interceptStatements } from '../support/statements.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The WAL header's checkpoint sequence number and salts (bytes 12–23): they change exactly when the WAL starts over. */
function walHeader(path: string): () => string {
  const bytes = Buffer.alloc(12);
  return () => {
    const fd = openSync(`${path}-wal`, 'r');
    try {
      return readSync(fd, bytes, 0, 12, 12) === 12 ? bytes.toString('hex') : '';
    } finally {
      closeSync(fd);
    }
  };
}

/** The thread's next pass that found the WAL all copied back with nothing written since its pass before. */
function quietPass(store: Store): Promise<void> {
  return new Promise((resolve) => {
    let previous = -1;
    const seen = (pass: CheckpointPass) => {
      if (pass.paused) return;
      if (pass.log > 0 && pass.log === previous && pass.checkpointed === pass.log) {
        store.checkpointer!.off('pass', seen);
        resolve();
      }
      previous = pass.log;
    };
    store.checkpointer!.on('pass', seen);
  });
}

/** Plays the store's side of CheckpointerDeps.afterNextCommit: `committed()` is one of its commits. */
function storeCommits(): { afterNextCommit: (then: () => void) => void; committed: () => void; armed: () => Promise<void> } {
  let next: (() => void) | undefined;
  let armed: (() => void) | undefined;
  return {
    afterNextCommit: (then) => { next = then; armed?.(); },
    committed: () => { const then = next; next = undefined; then?.(); },
    /** Resolves when the checkpointer asks for the next commit again (at once if it has). */
    armed: () => new Promise((resolve) => { if (next) resolve(); else armed = resolve; }),
  };
}

/**
 * A WAL a second connection writes (`write`: one row, then the store's commit as `store` plays it) and its
 * Checkpointer with `times`; `close` ends both.
 */
function watchedWal(path: string, times: Pick<CheckpointerDeps, 'restartPages' | 'busyMs' | 'idleMs'>) {
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  writer.exec('create table t (x integer)');
  const store = storeCommits();
  const checkpointer = new Checkpointer({ path, pause: (work) => work(), onFailure: () => {}, ...times, afterNextCommit: store.afterNextCommit });
  return {
    store, checkpointer,
    write: () => { writer.exec('insert into t values (1)'); store.committed(); },
    close: async () => { await checkpointer.close(); writer.close(); },
  };
}

/** The pass with which the thread started the WAL over. */
function startOver(checkpointer: Checkpointer): Promise<void> {
  return new Promise((resolve) => {
    const seen = (pass: CheckpointPass) => { if (pass.restarted) { checkpointer.off('pass', seen); resolve(); } };
    checkpointer.on('pass', seen);
  });
}

/** The thread's next pass of its own (not one the store was paused for). */
function nextTimedPass(checkpointer: Checkpointer): Promise<CheckpointPass> {
  return new Promise((resolve) => {
    const seen = (pass: CheckpointPass) => { if (!pass.paused) { checkpointer.off('pass', seen); resolve(pass); } };
    checkpointer.on('pass', seen);
  });
}

describe('store: WAL checkpoints on their own thread', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-checkpoints-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('copies the WAL back alongside the writes and lets it start over', async () => {
    const defaults = await Store.open(join(dir, 'defaults.db'));
    try {
      const setting = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(defaults.db);
      expect(setting.rows[0]!.wal_autocheckpoint).toBe(BACKSTOP_PAGES);
      expect(BACKSTOP_PAGES).toBe(2 * RESTART_PAGES);
    } finally {
      await defaults.close();
    }
    const store = await Store.open(join(dir, 'portier.db'), { walRestartPages: FILL_RESTART });
    try {
      const setting = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(store.db);
      expect(setting.rows[0]!.wal_autocheckpoint).toBe(2 * FILL_RESTART);
      const audit = new AuditLog(store.db, systemClock);
      let restart: CheckpointPass | undefined;
      // The pause at the restart size (a quiet store after the migrations may have paused before).
      const restarted = new Promise<CheckpointPass>((resolve) => store.checkpointer!.on('pass', (pass) => { if (pass.paused && pass.log >= FILL_RESTART) resolve(pass); }));
      void restarted.then((pass) => { restart = pass; });
      // About four 4 KiB pages an entry: the WAL passes its restart size after some 1 000 of them.
      const filler = 'x'.repeat(16_000);
      for (let i = 0; i < 10_000 && !restart; i++) {
        await audit.append({ actor: { type: 'system', id: null }, action: 'bench.filler', outcome: 'ok', details: { filler } });
        await nextTurn(); // queries alone never leave the microtask queue; the gateway's I/O does
      }
      const pass = await restarted;
      expect(pass.checkpointed).toBe(pass.log);
      expect(pass.restarted).toBe(true); // by the thread's own write, while the store was paused
      await audit.append({ actor: { type: 'system', id: null }, action: 'after.restart', outcome: 'ok' });
      const wal = await sql<{ log: number }>`PRAGMA wal_checkpoint(PASSIVE)`.execute(store.db);
      expect(wal.rows[0]!.log).toBeLessThan(100);
    } finally {
      await store.close();
    }
    expect(store.checkpointer!.closed).toBe(true);
  });

  it('starts a quiet WAL over on its thread, so that no commit of the store\'s connection does (and syncs the WAL\'s header on the event loop)', async () => {
    const path = join(dir, 'portier.db');
    const store = await Store.open(path);
    const header = walHeader(path);
    const commits = { all: 0, restarting: 0 };
    const { stop } = interceptStatements((kind, execute) => {
      if (kind !== 'commit') return execute();
      const before = header();
      try {
        return execute();
      } finally {
        commits.all++;
        if (header() !== before) commits.restarting++;
      }
    });
    let startedOver = 0;
    store.checkpointer!.on('pass', (pass) => { if (pass.restarted) startedOver++; });
    try {
      const audit = new AuditLog(store.db, systemClock);
      for (let i = 0; i < 3; i++) {
        // Everything copied back and nothing written since the pass before: here the store's next
        // commit would find the WAL all copied back and start it over itself.
        await quietPass(store);
        await audit.append({ actor: { type: 'system', id: null }, action: 'after.quiet', outcome: 'ok' });
      }
      expect(commits.all).toBeGreaterThanOrEqual(3);
      expect(commits.restarting).toBe(0);
      expect(startedOver).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
      await store.close();
    }
  });

  it('pauses at the restart size, then only after as much growth again while a reader pins the WAL (policy, controlled sizes)', () => {
    const policy = new RestartPolicy(FILL_RESTART);
    const pausedAt: number[] = [];
    // A reader elsewhere keeps the WAL from starting over: it only grows, pauses copy back nothing.
    for (let log = 0; log <= 13_000; log += 250) {
      if (policy.observe(log)) { pausedAt.push(log); policy.paused(log); }
    }
    expect(pausedAt).toEqual([FILL_RESTART, 2 * FILL_RESTART, 3 * FILL_RESTART]);
    // The reader let go: the WAL started over, the next pause comes at the restart size again.
    expect(policy.observe(100)).toBe(false);
    expect(policy.observe(FILL_RESTART - 1)).toBe(false);
    expect(policy.observe(FILL_RESTART)).toBe(true);
    // The store's own size when none is given.
    expect(new RestartPolicy().observe(RESTART_PAGES - 1)).toBe(false);
    expect(new RestartPolicy().observe(RESTART_PAGES)).toBe(true);
  });

  it('takes a pass that could not run (log -1, another checkpoint held the lock) for no news, not for a WAL that started over', () => {
    const policy = new RestartPolicy(FILL_RESTART);
    expect(policy.observe(FILL_RESTART)).toBe(true);
    policy.paused(FILL_RESTART + 100);
    expect(policy.observe(-1)).toBe(false);
    // Still pinned and growing: the next pause only after FILL_RESTART more (a reset would pause at once).
    expect(policy.observe(FILL_RESTART + 200)).toBe(false);
    expect(policy.observe(2 * FILL_RESTART + 100)).toBe(true);
  });

  it('pauses at the first pass past the restart size even when the thread saw none before it', () => {
    const policy = new RestartPolicy(FILL_RESTART);
    expect(policy.observe(9_500)).toBe(true);
    policy.paused(9_600);
    expect(policy.observe(9_700)).toBe(false);
    expect(policy.observe(9_600 + FILL_RESTART)).toBe(true);
  });

  it('does not keep pausing the store while another reader holds the WAL back', async () => {
    const path = join(dir, 'portier.db');
    const store = await Store.open(path, { walRestartPages: FILL_RESTART });
    const reader = new Database(path, { readonly: true });
    try {
      const audit = new AuditLog(store.db, systemClock);
      await audit.append({ actor: { type: 'system', id: null }, action: 'first', outcome: 'ok' });
      // An open read transaction elsewhere pins the WAL: it can neither be copied back past its snapshot nor start over.
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM audit_log').get();
      let pauses = 0;
      let log = 0;
      let reached!: () => void;
      const grown = new Promise<void>((resolve) => { reached = resolve; });
      store.checkpointer!.on('pass', (pass) => {
        // A pass that could not run (another checkpoint held the lock) says -1: it saw nothing of the WAL's size.
        if (pass.log >= 0) log = pass.log;
        // Pauses the policy asks for (a quiet WAL's start-over, tried once before the reader pinned it, is none).
        if (pass.paused && pass.log >= FILL_RESTART && pass.log < 3 * FILL_RESTART) pauses++;
        if (log >= 10_000) reached();
      });
      // About four 4 KiB pages an entry: 2 600 of them take the pinned WAL past 10 000 pages,
      // however fast or slow the thread reports; then wait for it to have seen that.
      const filler = 'x'.repeat(16_000);
      for (let i = 0; i < 2_600; i++) {
        await audit.append({ actor: { type: 'system', id: null }, action: 'bench.filler', outcome: 'ok', details: { filler } });
        await nextTurn(); // queries alone never leave the microtask queue; the gateway's I/O does
      }
      await grown;
      await audit.append({ actor: { type: 'system', id: null }, action: 'after.growth', outcome: 'ok' });
      expect(log).toBeGreaterThanOrEqual(10_000);
      // However the thread's passes fell, a pinned WAL is not a reason to pause again and again:
      // below 12 000 pages the policy allows at most two (at 4 000 or later, then after 4 000 more).
      expect(pauses).toBeLessThanOrEqual(2);
    } finally {
      reader.prepare('COMMIT').run();
      reader.close();
      await store.close();
    }
  });

  it('asks its thread to stop instead of terminating it, also while the thread still starts up', async () => {
    // Terminating a thread that still loads better-sqlite3's addon aborts the process (napi FATAL ERROR).
    for (let i = 0; i < 5; i++) {
      const store = await Store.open(join(dir, `quick-${i}.db`));
      await store.close(); // at once: the thread may not even have opened its connection yet
      expect(store.checkpointer!.closed).toBe(true);
      expect(store.checkpointer!.exitCode).toBe(0); // ended by itself; terminate() would give 1
    }
  });

  it('passes at the store\'s next write after starting a quiet WAL over, not at the idle pass already due', async () => {
    // A burst of card reads right after a quiet start-over grew the WAL unchecked until the
    // thread's next idle pass (~1 s, ~4 400 pages appended: second 0's COMMITs +40 %, issue 16).
    // An idle interval longer than any test: only a pass the write itself brings can come.
    const { checkpointer, write, close } = watchedWal(join(dir, 'quiet.db'), { idleMs: 3_600_000 });
    try {
      await startOver(checkpointer);
      const grown = nextTimedPass(checkpointer);
      write();
      const pass = await grown;
      expect(pass.checkpointed).toBe(pass.log);
    } finally {
      await close();
    }
  });

  it('passes at the store\'s first commit after a start-over, however long after it that comes (no look of the thread\'s own needed)', async () => {
    // A burst of card reads that began more than 5 s after the start-over waited for the next idle
    // look (up to 1 s, ~4 000 pages unpassed): the thread looked quickly only for 5 s. Here no timer
    // of the thread can answer within the test (busy and idle intervals of an hour; a restart size
    // of one page pauses at its first pass, and the thread starts the WAL over): only the commit can.
    const { checkpointer, write, close } = watchedWal(join(dir, 'late.db'), { restartPages: 1, busyMs: 3_600_000, idleMs: 3_600_000 });
    try {
      await startOver(checkpointer);
      const passed = nextTimedPass(checkpointer);
      write();
      const pass = await passed;
      expect(pass.checkpointed).toBe(pass.log);
    } finally {
      await close();
    }
  });

  it('asks again for the store\'s next commit when the one after a start-over wrote nothing, and passes at the one that writes', async () => {
    // A commit whose statements could write but changed nothing (an UPDATE of no row) fires the
    // store's one-shot: the thread finds its own write still alone in the WAL (the backstop).
    const { store, checkpointer, write, close } = watchedWal(join(dir, 'read-first.db'), { restartPages: 1, busyMs: 3_600_000, idleMs: 3_600_000 });
    try {
      await startOver(checkpointer);
      await store.armed();
      let passes = 0;
      checkpointer.on('pass', () => { passes++; });
      store.committed(); // nothing written
      await store.armed(); // the thread asked to be told of the next commit
      expect(passes).toBe(0);
      const passed = nextTimedPass(checkpointer);
      write();
      const pass = await passed;
      expect(pass.checkpointed).toBe(pass.log);
    } finally {
      await close();
    }
  });

  it('passes at the store\'s next commit after a truncation emptied the WAL the thread watched (the one-shot still armed)', async () => {
    // truncate() ends the watch (nothing of the thread's own is left), but the store's one-shot
    // stays armed: its next commit says 'wrote', and the thread took that for "seen already" —
    // a burst then grew the WAL with no pass until the idle look. No timer can answer here.
    const { store, checkpointer, write, close } = watchedWal(join(dir, 'truncated.db'), { restartPages: 1, busyMs: 3_600_000, idleMs: 3_600_000 });
    try {
      await startOver(checkpointer);
      await store.armed();
      expect(await checkpointer.truncate()).toBe(true);
      const passed = nextTimedPass(checkpointer);
      write();
      const pass = await passed;
      expect(pass.log).toBeGreaterThan(0);
      expect(pass.checkpointed).toBe(pass.log);
    } finally {
      await close();
    }
  });

  it('passes at the store\'s first write after a start-over: Store.open tells the thread of its commits (no timer of the thread\'s can answer)', async () => {
    // The wiring between the store's driver and its Checkpointer: a restart size of one page
    // starts the WAL over at the thread's first pass, and busy and idle intervals of an hour
    // leave only the store's commit able to bring the next pass.
    const store = await Store.open(join(dir, 'wired.db'), { walRestartPages: 1, checkpointBusyMs: 3_600_000, checkpointIdleMs: 3_600_000 });
    try {
      await startOver(store.checkpointer!);
      const passed = nextTimedPass(store.checkpointer!);
      const insert = store.db.insertInto('roles').values({ id: 'probe', name: 'probe', description: '', builtin: 0 }).compile();
      expect(store.runNow((run) => run.executeNow(insert))).toBeDefined();
      const pass = await passed;
      expect(pass.log).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('hands checkpoints back to the connection when its thread fails', async () => {
    let handedBack: Error | undefined;
    const checkpointer = new Checkpointer({
      path: join(dir, 'missing', 'dir', 'portier.db'), pause: (work) => work(),
      onFailure: (error) => { handedBack = error; },
    });
    const failed = await new Promise<Error>((resolve) => checkpointer.on('failed', resolve));
    expect(handedBack).toBe(failed);
    expect(checkpointer.closed).toBe(true);
    await checkpointer.close();
  });
});
