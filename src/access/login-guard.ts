// Who may try a password now, decided before any hashing and in one synchronous
// step, so parallel requests cannot share a count:
//  - per client address: at most `perAddressConcurrent` sign-ins checked at once
//    and `perAddressPerMinute` failed or pending ones a minute (a success gives
//    its attempt back), else 429: one address cannot fill the hashing queue;
//  - per (login, address): `maxFailures` failures (pending attempts included)
//    lock that address out of that login for `lockoutMs`, else 423. Unknown
//    logins are counted the same way, so they answer exactly like real ones;
//  - per login, across addresses: once it has `maxFailures` failures, an address
//    that has already failed on it waits a back-off that doubles per failure
//    (at most `accountBackoffMaxMs`). An address without failures on the login
//    is never held back: a stranger cannot lock the real user out.
// The counts live in memory and start afresh at a restart.
import type { Clock } from '../core/index.ts';
import { LockedError, RateLimitedError } from '../core/index.ts';

export interface LoginLimits {
  maxFailures: number;
  lockoutMs: number;
  perAddressPerMinute: number;
  perAddressConcurrent: number;
  accountBackoffMaxMs: number;
}

/** One admitted attempt; settle it exactly once (later calls do nothing). */
export interface LoginAttempt {
  succeeded(): void;
  failed(): void;
  /** Neither: the password was never checked (an error before or during hashing). */
  withdrawn(): void;
  /** Set by failed() when this failure locked the address out of the login. */
  readonly locked: boolean;
}

const MINUTE = 60_000;
const PRUNE_EVERY_MS = MINUTE;

interface PairState { failures: number[]; pending: number; lockedUntil: number }
interface LoginState { failures: number; lastFailureAt: number }

export class LoginGuard {
  readonly #limits: LoginLimits;
  readonly #clock: Clock;
  readonly #addresses = new Map<string, number[]>();
  readonly #pendingByAddress = new Map<string, number>();
  readonly #pairs = new Map<string, PairState>();
  readonly #logins = new Map<string, LoginState>();
  #prunedAt = 0;

  constructor(limits: LoginLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Admits one attempt of `login` from `address`, or throws RateLimitedError / LockedError. */
  admit(login: string, address: string): LoginAttempt {
    const now = this.#clock.now();
    this.#prune(now);
    const limits = this.#limits;

    // Kept as one array per address (pending attempts hold it to give their turn back), oldest first.
    let recent = this.#addresses.get(address);
    if (!recent) this.#addresses.set(address, recent = []);
    while (recent.length > 0 && recent[0]! <= now - MINUTE) recent.shift();
    if (recent.length >= limits.perAddressPerMinute) {
      throw new RateLimitedError('too many sign-in attempts from this address; try again later', (recent[0]! + MINUTE - now) / 1000);
    }
    const pendingHere = this.#pendingByAddress.get(address) ?? 0;
    if (pendingHere >= limits.perAddressConcurrent) {
      throw new RateLimitedError('sign-ins from this address are already being checked; try again in a moment', 1);
    }

    const pairKey = `${login}\n${address}`;
    const pair = this.#pairs.get(pairKey) ?? { failures: [], pending: 0, lockedUntil: 0 };
    pair.failures = pair.failures.filter((t) => t > now - limits.lockoutMs);
    this.#pairs.set(pairKey, pair);
    if (pair.lockedUntil > now) throw this.#locked((pair.lockedUntil - now) / 1000);
    if (pair.failures.length + pair.pending >= limits.maxFailures) {
      throw new RateLimitedError('too many sign-in attempts at once; try again in a moment', 1);
    }

    const account = this.#logins.get(login);
    if (account && pair.failures.length > 0 && account.failures >= limits.maxFailures) {
      const until = account.lastFailureAt + this.#backoffMs(account.failures);
      if (until > now) throw new RateLimitedError('too many failed sign-ins; try again later', (until - now) / 1000);
    }

    pair.pending++;
    this.#pendingByAddress.set(address, pendingHere + 1);
    recent.push(now);
    const stamp = now;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      pair.pending--;
      const left = (this.#pendingByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#pendingByAddress.set(address, left);
      else this.#pendingByAddress.delete(address);
      return true;
    };
    const giveBack = () => {
      const i = recent.indexOf(stamp);
      if (i >= 0) recent.splice(i, 1);
    };
    const attempt = {
      locked: false,
      succeeded: () => {
        if (!settle()) return;
        giveBack();
        pair.failures = [];
      },
      withdrawn: () => { if (settle()) giveBack(); },
      failed: () => {
        if (!settle()) return;
        const at = this.#clock.now();
        pair.failures.push(at);
        if (pair.failures.length >= limits.maxFailures) {
          pair.lockedUntil = at + limits.lockoutMs;
          pair.failures = [];
          attempt.locked = true;
        }
        const state = this.#logins.get(login) ?? { failures: 0, lastFailureAt: 0 };
        state.failures++;
        state.lastFailureAt = at;
        this.#logins.set(login, state);
      },
    };
    return attempt;
  }

  #locked(retryAfterSeconds: number): LockedError {
    return new LockedError('too many failed sign-ins from this address; try again later', retryAfterSeconds);
  }

  #backoffMs(failures: number): number {
    const beyond = Math.min(failures - this.#limits.maxFailures, 30);
    return Math.min(1000 * 2 ** beyond, this.#limits.accountBackoffMaxMs);
  }

  /** Forgets what no longer counts, at most once a minute (bounds memory to the last lock-out period). */
  #prune(now: number): void {
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    for (const [address, times] of this.#addresses) if (!times.some((t) => t > now - MINUTE)) this.#addresses.delete(address);
    for (const [key, pair] of this.#pairs) {
      if (pair.pending === 0 && pair.lockedUntil <= now && !pair.failures.some((t) => t > now - this.#limits.lockoutMs)) this.#pairs.delete(key);
    }
    for (const [login, state] of this.#logins) if (state.lastFailureAt <= now - this.#limits.lockoutMs) this.#logins.delete(login);
  }
}
