// When a stream of fixed frames (the G.711 mix: 20 ms) is due, by a monotonic
// time source the owner hands in (performance.now in the gateway, a manual one
// in tests). A timer that fires late sends the frames it missed at once, a few
// at most; further behind (an event-loop stall) the frames' time has passed: they
// are skipped (the stream's timestamp moves on by them) and one is sent.

export interface PacedFrames {
  /** Frames whose time passed unsent: skipped. */
  skip: number;
  /** Frames to send now. */
  send: number;
}

export class FramePacer {
  readonly #now: () => number;
  readonly #frameMs: number;
  readonly #maxCatchUp: number;
  readonly #start: number;
  #sent = 0;

  /** `maxCatchUp`: frames a late timer sends at once; further behind, the rest is skipped. */
  constructor(now: () => number, frameMs = 20, maxCatchUp = 5) {
    this.#now = now;
    this.#frameMs = frameMs;
    this.#maxCatchUp = maxCatchUp;
    this.#start = now();
  }

  /** The frames due since the last call (the first one at once), as sent once returned. */
  due(): PacedFrames {
    const due = Math.floor((this.#now() - this.#start) / this.#frameMs) + 1;
    const behind = due - this.#sent;
    if (behind <= 0) return { skip: 0, send: 0 };
    const skip = behind > this.#maxCatchUp ? behind - 1 : 0;
    this.#sent = due;
    return { skip, send: behind - skip };
  }
}
