// A clock whose time moves only when the test says so; due timers run in order.
import type { Clock } from '../../src/core/index.ts';

export class ManualClock implements Clock {
  t = 1_800_000_000_000;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  now = (): number => this.t;

  setTimeout = (fn: () => void, ms: number): NodeJS.Timeout => {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.t + ms, fn });
    return id as unknown as NodeJS.Timeout;
  };

  clearTimeout = (handle: NodeJS.Timeout): void => {
    this.#timers.delete(handle as unknown as number);
  };

  get pending(): number { return this.#timers.size; }

  /** Moves time forward, running every timer that falls due, earliest first. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.#timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.#timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * A manual clock a whole gateway can run on: its timer handles have unref()/ref()
 * like Node's (components unref their long timers), the time still moves only when
 * the test says so.
 */
export class GatewayManualClock extends ManualClock {
  constructor() {
    super();
    const set = this.setTimeout;
    const clear = this.clearTimeout;
    const handles = new WeakMap<object, NodeJS.Timeout>();
    this.setTimeout = (fn: () => void, ms: number): NodeJS.Timeout => {
      const id = set(fn, ms);
      const handle = { unref: () => handle, ref: () => handle, hasRef: () => false, refresh: () => handle, [Symbol.toPrimitive]: () => id as unknown as number };
      handles.set(handle, id);
      return handle as unknown as NodeJS.Timeout;
    };
    this.clearTimeout = (handle: NodeJS.Timeout): void => {
      const id = handle && typeof handle === 'object' ? handles.get(handle as object) : undefined;
      if (id !== undefined) clear(id);
    };
  }
}
