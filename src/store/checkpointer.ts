// WAL checkpoints off the event loop. SQLite checkpoints on the writing
// connection, inside the commit that takes the WAL past wal_autocheckpoint
// (1 000 pages): copying the pages back and two fsyncs, about 12 ms a dozen
// times a second at 1 000 card reads/s, each one stopping the event loop. Here
// a worker thread checkpoints alongside the writes (PASSIVE, on its own timer);
// once the WAL holds RESTART_PAGES pages the store's connection pauses (its
// queries wait, the event loop runs on) for one more, short pass, so that
// everything is copied back, and the thread starts the WAL over with a write of
// its own (see checkpoint-worker.ts startOver): the header sync that comes with
// it is the thread's, never a card read's COMMIT's. A WAL found all copied back
// while nothing is written (a quiet building: the next card read would restart
// it) is started over the same way.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { TypedEmitter } from '../core/index.ts';

/**
 * 64 MiB of WAL at SQLite's 4 KiB pages. A pause is the card path's longest wait
 * on a loaded machine (the thread must get a core and sync twice), while the WAL
 * also starts over without one whenever a pass copied everything between two
 * commits (several times a second under load): the larger this size, the more
 * often that comes first. 4 000 (16 MiB) paused the store 13–18 times in 20 s at
 * 1 000 reads/s; 16 000, 4 times (bench/device-latency, load 20–28).
 */
export const RESTART_PAGES = 16_000;
/**
 * The connection's own wal_autocheckpoint while the thread works: never reached
 * while the event loop turns; when it does not (a long chain of queries with no
 * I/O in between), the connection checkpoints itself, and cheaply, since the
 * thread has kept copying and syncing meanwhile.
 */
export const BACKSTOP_PAGES = 2 * RESTART_PAGES;
/** BACKSTOP_PAGES for a store that restarts its WAL at `restartPages`. */
export const backstopPages = (restartPages = RESTART_PAGES): number => 2 * restartPages;
/** Between passes while the WAL grows: a pass copies what this much writing added. */
const BUSY_MS = 20;
const IDLE_MS = 1_000;
/** How long a thread asked to stop may take before it is terminated. */
const STOP_BOUND_MS = 10_000;
// The thread's module: next to this one under type stripping; in the server bundle
// (scripts/lib/build-server.mjs, an entry of its own) at store/ beside main.mjs.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./checkpoint-worker.ts', import.meta.url)
  : new URL('./store/checkpoint-worker.mjs', import.meta.url);

/**
 * A checkpoint: pages in the WAL, pages copied back, whether the connection was
 * paused for it and, if so, for how long (ms, from asking for the pause to its end).
 */
export type CheckpointPass = {
  log: number; checkpointed: number; paused: boolean; pausedMs?: number;
  /** The thread started the WAL over after this (paused) pass: the store's next commit appends to a fresh WAL. */
  restarted?: boolean;
};
/**
 * To the thread: a paused pass (with a start-over), the same only if the WAL
 * still holds `quietAt` pages, emptying the WAL, the store's first commit since
 * the start-over, stopping.
 */
export type CheckpointRequest = 'checkpoint' | { quietAt: number } | 'truncate' | 'wrote' | 'stop';
type Request = Exclude<CheckpointRequest, 'wrote' | 'stop'>;
/**
 * From the thread: a pass, a failure, or (after 'wrote') that the commit appended nothing
 * to the WAL — its statements could write but changed nothing (an UPDATE of no row): tell
 * it of the next. The store fires only at commits that may have written, so this is the
 * backstop for those, not the answer to every read-only transaction.
 */
type Report =
  | { log: number; checkpointed: number; requested: boolean; truncated?: boolean; restarted?: boolean; skipped?: boolean }
  | { error: string; requested: boolean }
  | { ownWriteAlone: true };
type Answer = Extract<Report, { log: number }>;

export type CheckpointerEvents = { pass: [CheckpointPass]; failed: [Error] };

export interface CheckpointerDeps {
  path: string;
  /** Runs `work` while the store's connection is otherwise unused (see GroupCommitDriver.exclusive). */
  pause: <T>(work: () => Promise<T>) => Promise<T>;
  /** The worker failed: checkpoints must go back to the connection itself (also emitted as `failed`). */
  onFailure: (error: Error) => void;
  /** WAL size that pauses the store for a restart; default RESTART_PAGES (tests use less). */
  restartPages?: number;
  /** Between the thread's passes while the WAL does not grow; default IDLE_MS (a test waits longer than it runs). */
  idleMs?: number;
  /** Between its passes while the WAL grows; default BUSY_MS (a test that no timer of the thread may answer sets both longer than it runs). */
  busyMs?: number;
  /**
   * Calls `then` once, right after the store's next commit that wrote (GroupCommitDriver.afterNextCommit):
   * after a start-over the thread passes at the store's first write instead of looking for it.
   * Without it, that write is found by the thread's idle look.
   */
  afterNextCommit?: (then: () => void) => void;
}

/**
 * When to pause the store for a restart, from the WAL sizes the thread reports:
 * at RESTART_PAGES, and — since a reader elsewhere can keep the WAL from starting
 * over, when pausing again at once would not help — next only after as much
 * growth again; a WAL that started over begins afresh.
 */
export class RestartPolicy {
  readonly #restartPages: number;
  #pauseAt: number;
  #lastLog = -1;

  constructor(restartPages = RESTART_PAGES) {
    this.#restartPages = restartPages;
    this.#pauseAt = restartPages;
  }

  /** A pass of the thread saw `log` pages in the WAL: whether to pause now. */
  observe(log: number): boolean {
    // -1: that pass could not run (another checkpoint held the lock); it says nothing about the WAL.
    if (log < 0) return false;
    if (log < this.#lastLog) this.#pauseAt = this.#restartPages; // the WAL started over
    this.#lastLog = log;
    return log >= this.#pauseAt;
  }

  /** A pause ended with `log` pages still in the WAL (a reader may hold them). */
  paused(log: number): void {
    this.#lastLog = log;
    this.#pauseAt = log + this.#restartPages;
  }
}

export class Checkpointer extends TypedEmitter<CheckpointerEvents> {
  readonly #d: CheckpointerDeps;
  readonly #worker: Worker;
  readonly #exited: Promise<number>;
  /** Requests sent to the thread, answered in order. */
  readonly #asked: Array<{ resolve: (answer: Answer) => void; reject: (error: Error) => void }> = [];
  readonly #policy: RestartPolicy;
  /** The WAL's size at the thread's previous pass: the same again means nothing was written in between. */
  #lastLog = -1;
  /**
   * The WAL's size at a start-over that did not happen (a reader elsewhere still
   * in it, another process writing): no quiet start-over again until it moves on.
   */
  #stuckAt: number | undefined;
  #pausing = false;
  #closed = false;
  /** Tells the thread of the store's first commit after a start-over. */
  readonly #wrote = (): void => { if (!this.#closed) this.#worker.postMessage('wrote'); };

  constructor(deps: CheckpointerDeps) {
    super();
    this.#d = deps;
    this.#policy = new RestartPolicy(deps.restartPages);
    this.#worker = new Worker(WORKER_URL, {
      workerData: { path: deps.path, busyMs: deps.busyMs ?? BUSY_MS, idleMs: deps.idleMs ?? IDLE_MS },
    });
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', (code) => resolve(code)));
    this.#worker.on('message', (report: Report) => this.#received(report));
    this.#worker.once('error', (error) => this.#fail(error));
    this.#worker.once('exit', (code) => this.#fail(new Error(`checkpoint worker exited with code ${code}`)));
  }

  get closed(): boolean { return this.#closed; }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop(new Error('checkpointer closed'));
    // Asked, not killed: a thread terminated while it still loads better-sqlite3's addon
    // aborts the process. The message waits in its port until it listens; a thread that
    // does not end within the bound (stuck in a checkpoint) is terminated after all.
    this.#worker.ref(); // unref'd, its exit alone would not keep the process alive for the rest of closing
    this.#worker.postMessage('stop');
    const bound = setTimeout(() => void this.#worker.terminate(), STOP_BOUND_MS);
    this.exitCode = await this.#exited;
    clearTimeout(bound);
  }

  /** How the thread ended (0: it stopped when asked), once closed. */
  exitCode: number | undefined;

  #received(report: Report): void {
    if (this.#closed) return;
    if ('ownWriteAlone' in report) return this.#watchNextCommit();
    if ('error' in report) return this.#fail(new Error(report.error));
    if (report.requested) return void this.#asked.shift()?.resolve(report);
    const pass = { log: report.log, checkpointed: report.checkpointed, paused: false };
    const quiet = this.#quietAndCopied(pass);
    this.safeEmit('pass', pass);
    const full = this.#policy.observe(pass.log);
    if (this.#pausing) return;
    if (full) void this.#restart();
    else if (quiet) void this.#restart(pass.log);
  }

  /**
   * Everything in the WAL is copied back and nothing was written since the
   * previous pass: the store's next write would start the WAL over, and sync
   * its header, inside its COMMIT — so the thread does it first.
   */
  #quietAndCopied(pass: CheckpointPass): boolean {
    const previous = this.#lastLog;
    if (pass.log >= 0) this.#lastLog = pass.log;
    const stuck = this.#stuckAt !== undefined && (pass.log === this.#stuckAt || pass.log === this.#stuckAt + 1);
    return pass.log > 0 && pass.log === previous && pass.checkpointed === pass.log && !stuck;
  }

  /**
   * Nothing is written meanwhile: one pass copies everything, and the thread
   * starts the WAL over. `quietAt`: the size of a quiet WAL — if it has grown by
   * the time the store is paused, the store is not quiet after all and the
   * thread answers at once, without a pass.
   */
  async #restart(quietAt?: number): Promise<void> {
    this.#pausing = true;
    try {
      const asked = performance.now();
      const last = await this.#d.pause(() => this.#request(quietAt));
      if (last === undefined) return;
      last.pausedMs = performance.now() - asked;
      // Not started over (+1: the thread's own write, appended): a quiet WAL of this size is not tried again.
      this.#stuckAt = last.restarted || last.log < 0 ? undefined : last.log;
      if (last.restarted) this.#lastLog = -1; // a WAL started over: its size says nothing about the one before
      this.safeEmit('pass', last);
      if (last.log >= 0) this.#policy.paused(last.log);
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#pausing = false;
    }
  }

  /** The paused pass; undefined when the WAL was to be quiet at `quietAt` pages and is not (nothing done). */
  async #request(quietAt?: number): Promise<CheckpointPass | undefined> {
    const answer = await this.#ask(quietAt === undefined ? 'checkpoint' : { quietAt });
    if (answer.skipped) return undefined;
    // Still paused: no commit of the store's can come between the start-over and this.
    if (answer.restarted === true) this.#watchNextCommit();
    return { log: answer.log, checkpointed: answer.checkpointed, paused: true, restarted: answer.restarted === true };
  }

  /** The store's next commit tells the thread (it passes then, see checkpoint-worker.ts wrote). */
  #watchNextCommit(): void {
    if (!this.#closed) this.#d.afterNextCommit?.(this.#wrote);
  }

  /**
   * Empties the WAL (TRUNCATE) on the thread; call it while the store is paused
   * (CheckpointerDeps.pause). Resolves false when a reader elsewhere still needs
   * the WAL (nothing waits for it); rejects once the thread is gone.
   */
  async truncate(): Promise<boolean> {
    return (await this.#ask('truncate')).truncated === true;
  }

  #ask(message: Request): Promise<Answer> {
    // Never leaves the store paused on a worker that will not answer.
    if (this.#closed) return Promise.reject(new Error('checkpointer closed'));
    return new Promise((resolve, reject) => {
      this.#asked.push({ resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#stop(error);
    void this.#worker.terminate();
    this.#d.onFailure(error);
    this.safeEmit('failed', error);
  }

  #stop(error: Error): void {
    this.#closed = true;
    for (const asked of this.#asked.splice(0)) asked.reject(error);
  }
}
