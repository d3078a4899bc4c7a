// The door code a host presses on a telephone during a call (e.g. *1): digits
// collected one by one, compared once as many as the code has arrived, a pause
// longer than the inter-digit timeout discards an unfinished entry, and a wrong
// code `maxWrong` times ends the chance for the call (brute force). What a match
// does (open the door) is the call service's; this only counts.
import type { Clock } from '../core/index.ts';

/** A DTMF key (RFC 4733 events 0–15; desk phones have 0–9, * and #). */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** How a telephone leg's door code works (from the SIP account's settings). */
export interface DoorCodePolicy {
  /** Digits, * and #. */
  code: string;
  /** An unfinished entry is discarded after this long without a key. */
  interDigitMs: number;
  /** Wrong codes before the door code stops working for the call. */
  maxWrong: number;
}

/**
 * What one key did: still collecting, the code matched, a wrong code (`wrong`
 * tries so far), the last allowed wrong code (locked now), or nothing (locked
 * before).
 */
export type DoorCodeResult =
  | { result: 'collecting' } | { result: 'matched' } | { result: 'wrong'; wrong: number } | { result: 'locked'; wrong: number } | { result: 'ignored' };

export class DoorCodeEntry {
  readonly #policy: DoorCodePolicy;
  readonly #clock: Clock;
  #entered = '';
  #wrong = 0;
  #timer?: NodeJS.Timeout;
  #locked = false;

  constructor(policy: DoorCodePolicy, clock: Clock) {
    this.#policy = policy;
    this.#clock = clock;
  }

  get locked(): boolean { return this.#locked; }
  get wrong(): number { return this.#wrong; }

  press(digit: DtmfDigit): DoorCodeResult {
    if (this.#locked) return { result: 'ignored' };
    this.#clearTimer();
    this.#entered += digit;
    const { code, interDigitMs, maxWrong } = this.#policy;
    if (this.#entered.length < code.length) {
      this.#timer = this.#clock.setTimeout(() => { this.#timer = undefined; this.#entered = ''; }, interDigitMs);
      return { result: 'collecting' };
    }
    const entered = this.#entered;
    this.#entered = '';
    if (entered === code) return { result: 'matched' };
    this.#wrong++;
    if (this.#wrong < maxWrong) return { result: 'wrong', wrong: this.#wrong };
    this.#locked = true;
    return { result: 'locked', wrong: this.#wrong };
  }

  #clearTimer(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Clears the inter-digit timer (the leg ended); later keys are ignored. */
  close(): void {
    this.#clearTimer();
    this.#locked = true;
  }
}
