// What the checkpoint thread (checkpoint-worker.ts) does between passes after it
// started the WAL over: the WAL holds its own write alone, which it leaves
// uncopied (see startOver there), until the store writes. The store's first
// commit after the start-over tells the thread (Checkpointer, 'wrote'); the
// thread's own looks only back that up, at its idle interval (a write by anyone
// else, another process): an idle gateway does not wake it for nothing.

export interface OwnWriteWatchTimes {
  /** Between looks for a write nobody told the thread of: its idle interval. */
  idleMs: number;
}

/**
 * The frames of the thread's own write after a start-over, and whether the
 * store appended to them since (a 4-byte read of the -shm).
 */
export class OwnWriteWatch {
  readonly #t: OwnWriteWatchTimes;
  #frames: number | undefined;

  constructor(times: OwnWriteWatchTimes) {
    this.#t = times;
  }

  /** Whether the WAL may hold the thread's own write alone (no pass while it does). */
  get watching(): boolean { return this.#frames !== undefined; }

  /** The thread started the WAL over: its write left `frames` frames (undefined: unknown, nothing to watch). */
  startedOver(frames: number | undefined): void {
    this.#frames = frames;
  }

  /** The WAL was emptied: nothing of the thread's own left in it. */
  clear(): void {
    this.#frames = undefined;
  }

  /**
   * A look found `frames` frames in the WAL: ms until the next look while that is
   * still the thread's write alone; undefined once the store wrote (pass now).
   */
  look(frames: number | undefined): number | undefined {
    if (this.#frames === undefined || frames !== this.#frames) {
      this.#frames = undefined;
      return undefined;
    }
    return this.#t.idleMs;
  }
}
