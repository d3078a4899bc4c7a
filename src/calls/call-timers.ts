// The timers of the active calls, by kind: the ringing leg's timeout, the
// call's overall cap and its wait in the reception queue. One of each kind per
// call at most; a call's timers exist from its start until its end.
import type { Clock } from '../core/index.ts';
import type { Call } from './call.ts';

export type CallTimerKind = 'leg' | 'cap' | 'queue';

export class CallTimers {
  readonly #clock: Clock;
  readonly #timers = new Map<string, Partial<Record<CallTimerKind, NodeJS.Timeout>>>();

  constructor(clock: Clock) { this.#clock = clock; }

  /** The call started: it may have timers now. */
  open(call: Call): void { this.#timers.set(call.id, {}); }

  /** Runs `fn` in `seconds` instead of the call's timer of that kind; nothing for a call that ended. */
  start(call: Call, kind: CallTimerKind, seconds: number, fn: () => void): void {
    const timers = this.#timers.get(call.id);
    if (!timers) return;
    if (timers[kind]) this.#clock.clearTimeout(timers[kind]);
    timers[kind] = this.#clock.setTimeout(fn, seconds * 1000);
  }

  has(call: Call, kind: CallTimerKind): boolean { return this.#timers.get(call.id)?.[kind] !== undefined; }

  clear(call: Call, ...kinds: CallTimerKind[]): void {
    const timers = this.#timers.get(call.id);
    if (!timers) return;
    for (const kind of kinds) if (timers[kind]) { this.#clock.clearTimeout(timers[kind]); delete timers[kind]; }
  }

  /** The call ended: its timers stop and it gets none again. */
  close(call: Call): void {
    this.clear(call, 'leg', 'cap', 'queue');
    this.#timers.delete(call.id);
  }
}
