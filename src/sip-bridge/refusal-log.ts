// What an account's socket refused, logged in bounded volume: UDP sources are
// free to forge, so a line per refusal (or per source) is a line per forged
// packet. Refusals are counted per reason, and one summary line per interval
// (sip.inbound.refusal_log_seconds) says how many of each there were — at most
// one line per interval, whatever arrives.
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';

/** Why a request was refused or not taken (a fixed set: never a value the sender chose). */
export type RefusalReason =
  | 'rate-limit' | 'foreign-source' | 'no-trunk' | 'outside-dialog' | 'number' | 'uri-mismatch' | 'busy' | 'unknown-station' | 'caller' | 'register-order'
  | `digest-${string}`;

export interface RefusalLogOptions {
  accountId: string;
  clock: Clock;
  logger: Logger;
  /** The summary interval (sip.inbound.refusal_log_seconds). */
  intervalMs: number;
}

export class RefusalLog {
  readonly #opts: RefusalLogOptions;
  #counts = new Map<RefusalReason, number>();
  #timer?: NodeJS.Timeout;
  #closed = false;

  constructor(opts: RefusalLogOptions) {
    this.#opts = opts;
  }

  /** Counts one refusal; the interval's summary line carries it. */
  note(reason: RefusalReason): void {
    if (this.#closed) return;
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    this.#timer ??= this.#opts.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#opts.intervalMs);
  }

  #flush(): void {
    if (this.#counts.size === 0) return;
    const refused = Object.fromEntries(this.#counts);
    this.#counts = new Map();
    const total = Object.values(refused).reduce((n, c) => n + c, 0);
    this.#opts.logger.warn({ account: this.#opts.accountId, refused, total, intervalSeconds: this.#opts.intervalMs / 1000 },
      'sip: inbound requests refused in the last interval / eingehende Anfragen im letzten Intervall abgewiesen');
  }

  /** Logs what is counted and stops. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#timer) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
    this.#closed = true;
  }
}
