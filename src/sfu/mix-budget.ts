// How many G.711 mixes one gateway process runs at once (rtc.mix.max_mixes_per_process):
// each is ~50 packets/s decoded per source and encoded once, in Node's one thread.
// A call reserves a mix for each of its telephones when a third party is admitted,
// before any media work, and releases it when that telephone leaves or the call ends.
import type { MixSettings } from './participant-mix.ts';

export class MixBudget {
  readonly max: number;
  #used = 0;

  constructor(max: number) { this.max = max; }

  get used(): number { return this.#used; }

  /** Takes `count` mixes, all or none. */
  take(count: number): boolean {
    if (this.#used + count > this.max) return false;
    this.#used += count;
    return true;
  }

  release(count = 1): void { this.#used = Math.max(0, this.#used - count); }
}

/** The limits and buffers of the G.711 mixes (rtc.mix.*). */
export interface MixOptions {
  /** Parties a call with a telephone participant takes (rtc.mix.max_participants). */
  maxParticipants: number;
  /** Mixes of the whole process (rtc.mix.max_mixes_per_process), shared by every call. */
  budget: MixBudget;
  settings: MixSettings;
}

/** config/default.yaml's rtc.mix, for media opened without a configuration (tests, benches). */
export const defaultMixOptions = (): MixOptions => ({ maxParticipants: 4, budget: new MixBudget(100), settings: { depthFrames: 3, dropAfterFrames: 50 } });
