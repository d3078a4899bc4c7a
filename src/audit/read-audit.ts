// Audit of reads of personal data (input control): one entry per actor, kind
// of data and subject per window (audit.read_window_minutes) — an admin page
// that polls every few seconds writes one entry per window, not thousands a day.
// The windows are kept in memory per node: after a restart the next read is
// audited anew, which errs on the side of more entries, never fewer.
import type { Clock } from '../core/index.ts';
import type { Actor, AuditLog } from './audit-log.ts';

/** What was read: e.g. { type: 'call-records', id: <site> } or { type: 'user', id: <user id> }. */
export interface ReadSubject { type: string; id: string }

/** Windows kept before the expired ones are swept out. */
const SWEEP_AT = 10_000;

export class ReadAudit {
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #windowMs: number;
  /** When each actor × type × subject was last audited. */
  readonly #last = new Map<string, number>();

  constructor(deps: { audit: AuditLog; clock: Clock; windowMs: number }) {
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#windowMs = deps.windowMs;
  }

  /** Audits a read unless the same actor read the same subject within the window; whether an entry was written. */
  async record(actor: Actor, subject: ReadSubject, from: string | null, siteId: string | null = null): Promise<boolean> {
    const now = this.#clock.now();
    const key = JSON.stringify([actor.type, actor.id, subject.type, subject.id]);
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#windowMs) return false;
    this.#sweep(now);
    this.#last.set(key, now);
    try {
      await this.#audit.append({ actor, action: 'data.read', target: subject, outcome: 'ok', siteId, details: { from, windowMinutes: this.#windowMs / 60_000 } });
    } catch (error) {
      // Not written: the next read tries again.
      if (this.#last.get(key) === now) this.#last.delete(key);
      throw error;
    }
    return true;
  }

  #sweep(now: number): void {
    if (this.#last.size < SWEEP_AT) return;
    for (const [key, at] of this.#last) if (now - at >= this.#windowMs) this.#last.delete(key);
  }
}
