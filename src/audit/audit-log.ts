// The append-only audit log every component writes through: who or what did
// what to which target, with what outcome, under which correlation id.
import type { Db, Tx, AuditTable } from '../store/index.ts';
import type { Clock } from '../core/index.ts';
import type { Selectable } from 'kysely';

export interface Actor {
  type: 'user' | 'credential' | 'system';
  id: string | null;
}

export const systemActor: Actor = { type: 'system', id: null };

export interface AuditEntry {
  actor: Actor;
  action: string;
  target?: { type: string; id: string };
  outcome: 'ok' | 'denied' | 'failed';
  siteId?: string | null;
  correlationId?: string | null;
  /** Identifiers and reasons only, never personal data. */
  details?: Record<string, unknown>;
}

export type AuditRecord = Selectable<AuditTable>;

export interface AuditQuery {
  since?: number;
  until?: number;
  action?: string;
  correlationId?: string;
  limit?: number;
}

export class AuditLog {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Appends one entry; pass `tx` to make it part of the change it records. */
  async append(entry: AuditEntry, tx?: Tx): Promise<void> {
    await (tx ?? this.#db).insertInto('audit_log').values({
      at: this.#clock.now(),
      actor_type: entry.actor.type,
      actor_id: entry.actor.id,
      action: entry.action,
      target_type: entry.target?.type ?? null,
      target_id: entry.target?.id ?? null,
      outcome: entry.outcome,
      site_id: entry.siteId ?? null,
      correlation_id: entry.correlationId ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
    }).execute();
  }

  async list(query: AuditQuery = {}): Promise<AuditRecord[]> {
    let q = this.#db.selectFrom('audit_log').selectAll();
    if (query.since !== undefined) q = q.where('at', '>=', query.since);
    if (query.until !== undefined) q = q.where('at', '<', query.until);
    if (query.action) q = q.where('action', '=', query.action);
    if (query.correlationId) q = q.where('correlation_id', '=', query.correlationId);
    return q.orderBy('seq', 'desc').limit(Math.min(query.limit ?? 100, 1000)).execute();
  }
}
