// What the checkpoint thread (checkpoint-worker.ts) does between passes after it
// started the WAL over: the WAL holds its own write alone, which it leaves
// uncopied (see startOver there), and it looks for the store's next write —
// every busyMs for quickMs, then every idleMs (an idle gateway: no wakeups for nothing).

export interface OwnWriteWatchTimes {
  /** Between looks for the store's next write soon after the start-over: the thread's busy interval. */
  busyMs: number;
  /** Between looks once that while is over: the thread's idle interval. */
  idleMs: number;
  /** How long after a start-over it looks every busyMs (a burst of writes then is seen within busyMs). */
  quickMs: number;
}

/**
 * The frames of the thread's own write after a start-over, and when to look
 * again whether the store appended to them (a 4-byte read of the -shm).
 */
export class OwnWriteWatch {
  readonly #t: OwnWriteWatchTimes;
  #frames: number | undefined;
  /** Looks since the start-over that found its write alone. */
  #looks = 0;

  constructor(times: OwnWriteWatchTimes) {
    this.#t = times;
  }

  /** Whether the WAL may hold the thread's own write alone (no pass while it does). */
  get watching(): boolean { return this.#frames !== undefined; }

  /** The thread started the WAL over: its write left `frames` frames (undefined: unknown, nothing to watch). */
  startedOver(frames: number | undefined): void {
    this.#frames = frames;
    this.#looks = 0;
  }

  /** The WAL was emptied: nothing of the thread's own left in it. */
  clear(): void {
    this.#frames = undefined;
  }

  /**
   * A look found `frames` frames in the WAL: ms until the next look while that is
   * still the thread's write alone; undefined once the store wrote (pass now).
   * The start-over itself scheduled the first look at busyMs.
   */
  look(frames: number | undefined): number | undefined {
    if (this.#frames === undefined || frames !== this.#frames) {
      this.#frames = undefined;
      return undefined;
    }
    this.#looks++;
    const { busyMs, idleMs, quickMs } = this.#t;
    return (this.#looks + 1) * busyMs <= quickMs ? busyMs : idleMs;
  }
}
