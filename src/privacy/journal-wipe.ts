// Emptying the write-ahead logs after an erasure or a retention pass: the page
// images of deleted rows stay in a -wal file until it is truncated. A reader
// elsewhere (a backup, `portier audit verify`) can hold the WAL for a while;
// then the wipe is owed and asked again on the clock, backing off, until it
// succeeds — an erasure is not done while its data still lies in a journal.
import type { Clock } from '../core/index.ts';
import type { PrivacyLogger } from './privacy.ts';

/** First retry after a refused wipe; each next one waits twice as long, up to MAX_RETRY_MS. */
export const FIRST_RETRY_MS = 500;
export const MAX_RETRY_MS = 60_000;

export interface JournalWipeDeps {
  /** Empties every WAL; false: one could not be emptied yet (a reader still needs it). */
  wipe: () => Promise<boolean>;
  clock: Clock;
  logger: PrivacyLogger;
}

export class JournalWipe {
  readonly #d: JournalWipeDeps;
  #running: Promise<boolean> | undefined;
  #retry: { timer: ReturnType<Clock['setTimeout']> | undefined; delay: number; tries: number } | undefined;
  #emptied: Array<() => void> = [];
  #closed = false;

  constructor(deps: JournalWipeDeps) {
    this.#d = deps;
  }

  /** Whether a wipe is owed (an earlier one was refused and is being retried). */
  get owed(): boolean {
    return this.#retry !== undefined;
  }

  /** Wipes now (joining one that runs); whether the journals are empty. A refusal schedules retries. */
  request(): Promise<boolean> {
    this.#running ??= this.#attempt().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  /** Resolves once no wipe is owed (at once when none is); also when closed. */
  whenEmptied(): Promise<void> {
    if (!this.#retry && !this.#running) return Promise.resolve();
    return new Promise((resolve) => { this.#emptied.push(resolve); });
  }

  close(): void {
    this.#closed = true;
    this.#stopRetrying();
    this.#settle();
  }

  /** Nothing owed any more: a retry armed meanwhile (an earlier refusal) must not fire. */
  #stopRetrying(): void {
    if (this.#retry?.timer) this.#d.clock.clearTimeout(this.#retry.timer);
    this.#retry = undefined;
  }

  async #attempt(): Promise<boolean> {
    let empty = false;
    try {
      empty = await this.#d.wipe();
    } catch (error) {
      this.#d.logger.error({ err: error }, 'privacy: emptying the write-ahead logs failed / Leeren der Journale fehlgeschlagen');
    }
    if (this.#closed) return empty;
    if (empty) {
      if (this.#retry) this.#d.logger.info({ tries: this.#retry.tries + 1 }, 'privacy: write-ahead logs emptied / Journale geleert');
      this.#stopRetrying();
      this.#settle();
      return true;
    }
    if (!this.#retry) {
      this.#d.logger.error({}, 'privacy: a write-ahead log could not be emptied yet (a reader holds it); retrying / Journal noch nicht geleert (ein Leser hält es), neuer Versuch folgt');
      this.#retry = { timer: undefined, delay: FIRST_RETRY_MS, tries: 0 };
    }
    const retry = this.#retry;
    if (!retry.timer) {
      retry.tries++;
      retry.timer = this.#d.clock.setTimeout(() => {
        retry.timer = undefined;
        void this.request();
      }, retry.delay);
      retry.delay = Math.min(2 * retry.delay, MAX_RETRY_MS);
    }
    return false;
  }

  #settle(): void {
    for (const resolve of this.#emptied.splice(0)) resolve();
  }
}
