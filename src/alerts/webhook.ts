// Delivers alert messages to the configured webhook: POST JSON with a timeout
// and a bounded number of attempts (doubling delays on the injectable clock).
// Never blocks the caller; a message that cannot be delivered is dropped with a
// log line that names the alert and the reason, never the URL (it may carry a secret).
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import type { AlertMessage } from './alert.ts';

export interface WebhookSettings {
  url: string;
  timeoutMs: number;
  /** Attempts per message, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubled for each further one. */
  retryMs: number;
  /** Messages being delivered or waiting for a retry; beyond it a new message is dropped. */
  maxPending: number;
}

export interface WebhookDrop { id: string; state: AlertMessage['state']; attempts: number; reason: string }

export class Webhook {
  readonly #s: WebhookSettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onDrop: (drop: WebhookDrop) => void;
  readonly #onDelivered: (message: AlertMessage) => void;
  readonly #onFailed: (failure: WebhookDrop) => void;
  readonly #aborts = new Set<AbortController>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #pending = new Set<Promise<void>>();
  /** Retries waiting for their delay; close() ends them. */
  readonly #waiting = new Set<(go: boolean) => void>();
  #closed = false;

  constructor(deps: {
    settings: WebhookSettings; clock: Clock; logger: Logger;
    onDrop?: (drop: WebhookDrop) => void; onDelivered?: (message: AlertMessage) => void;
    /** One attempt failed (`attempts`: its number); a retry follows unless it was the last. */
    onFailed?: (failure: WebhookDrop) => void;
  }) {
    this.#s = deps.settings;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#onDrop = deps.onDrop ?? (() => {});
    this.#onDelivered = deps.onDelivered ?? (() => {});
    this.#onFailed = deps.onFailed ?? (() => {});
  }

  get pending(): number { return this.#pending.size; }

  /** Starts delivering in the background and returns at once. */
  deliver(message: AlertMessage): void {
    if (this.#closed) return;
    if (this.#pending.size >= this.#s.maxPending) {
      this.#drop(message, 0, 'queue-full');
      return;
    }
    const p = this.#run(message).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  async #run(message: AlertMessage): Promise<void> {
    const body = JSON.stringify(message);
    let reason = '';
    for (let attempt = 1; attempt <= this.#s.attempts; attempt++) {
      if (attempt > 1 && !(await this.#wait(this.#s.retryMs * 2 ** (attempt - 2)))) return;
      if (this.#closed) return;
      reason = await this.#post(body);
      if (reason === '') { this.#onDelivered(message); return; }
      if (this.#closed) return;
      this.#onFailed({ id: message.id, state: message.state, attempts: attempt, reason });
    }
    this.#drop(message, this.#s.attempts, reason);
  }

  /** '' when the receiver answered 2xx, else why not (a status, a timeout or an error code — never the URL). */
  async #post(body: string): Promise<string> {
    const abort = new AbortController();
    this.#aborts.add(abort);
    const timer = this.#clock.setTimeout(() => abort.abort(), this.#s.timeoutMs);
    try {
      const res = await fetch(this.#s.url, {
        method: 'POST', body, signal: abort.signal, redirect: 'manual',
        headers: { 'content-type': 'application/json', 'user-agent': 'portier-alerts' },
      });
      await res.body?.cancel().catch(() => {});
      return res.status >= 200 && res.status < 300 ? '' : `status ${res.status}`;
    } catch (error) {
      if (abort.signal.aborted) return 'timeout';
      const cause = (error as { cause?: { code?: unknown } }).cause;
      return typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.name : 'error';
    } finally {
      this.#clock.clearTimeout(timer);
      this.#aborts.delete(abort);
    }
  }

  #wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (go: boolean) => { this.#clock.clearTimeout(t); this.#timers.delete(t); this.#waiting.delete(done); resolve(go); };
      const t = this.#clock.setTimeout(() => done(!this.#closed), ms);
      this.#timers.add(t);
      this.#waiting.add(done);
    });
  }

  #drop(message: AlertMessage, attempts: number, reason: string): void {
    this.#logger.warn({ alert: message.id, state: message.state, attempts, reason },
      'alerts: webhook delivery failed, message dropped / Alarm konnte nicht an den Webhook zugestellt werden, verworfen');
    this.#onDrop({ id: message.id, state: message.state, attempts, reason });
  }

  /** Aborts requests under way and pending retries (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    for (const done of [...this.#waiting]) done(false);
    for (const a of this.#aborts) a.abort();
    this.#aborts.clear();
    await Promise.allSettled([...this.#pending]);
  }
}
