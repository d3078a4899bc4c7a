// The append-only audit log every component writes through: who or what did
// what to which target, with what outcome, under which correlation id.
import { prepareQuery, type Db, type Tx, type AuditTable, type PreparedQuery } from '../store/index.ts';
import type { Clock } from '../core/index.ts';
import type { Selectable } from 'kysely';

export interface Actor {
  /** participant: a call's participant that is no user (a telephone that answered, by its participant id). */
  type: 'user' | 'credential' | 'system' | 'participant';
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

const COLUMNS = ['at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'outcome', 'site_id', 'correlation_id', 'details'] as const;
type Column = typeof COLUMNS[number];
/** Most entries one prepared insert writes (a card read writes two in one transaction). */
const MAX_ROWS = 4;

export class AuditLog {
  readonly #db: Db;
  readonly #clock: Clock;
  /** The insert of n entries at index n - 1, built once (every audited change runs one). */
  readonly #inserts: Array<PreparedQuery<`${Column}${number}`, never>> = [];

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    for (let n = 1; n <= MAX_ROWS; n++) {
      this.#inserts.push(prepareQuery<`${Column}${number}`, never>((param) => db.insertInto('audit_log')
        .values(Array.from({ length: n }, (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, param(`${c}${i}`)])) as never))));
    }
  }

  /** Appends one entry; pass `tx` to make it part of the change it records. */
  async append(entry: AuditEntry, tx?: Tx): Promise<void> {
    await this.appendAll([entry], tx);
  }

  /** Appends entries in this order, in one statement (up to four at a time). */
  async appendAll(entries: readonly AuditEntry[], tx?: Tx): Promise<void> {
    const at = this.#clock.now();
    for (let start = 0; start < entries.length; start += MAX_ROWS) {
      const chunk = entries.slice(start, start + MAX_ROWS);
      const values: Record<string, unknown> = {};
      chunk.forEach((entry, i) => {
        values[`at${i}`] = at;
        values[`actor_type${i}`] = entry.actor.type;
        values[`actor_id${i}`] = entry.actor.id;
        values[`action${i}`] = entry.action;
        values[`target_type${i}`] = entry.target?.type ?? null;
        values[`target_id${i}`] = entry.target?.id ?? null;
        values[`outcome${i}`] = entry.outcome;
        values[`site_id${i}`] = entry.siteId ?? null;
        values[`correlation_id${i}`] = entry.correlationId ?? null;
        values[`details${i}`] = entry.details ? JSON.stringify(entry.details) : null;
      });
      await this.#inserts[chunk.length - 1]!.execute(tx ?? this.#db, values);
    }
  }

  /**
   * The first entry (its seq) appended at or after `at`, or the next seq when
   * there is none: entries are appended in clock order, so a binary search over
   * seq finds it in a few point reads, without an index on time. (A clock that
   * stepped back can leave a few older entries above it.)
   */
  async firstSeqFrom(at: number, tx?: Tx): Promise<number> {
    const db = tx ?? this.#db;
    const bounds = await db.selectFrom('audit_log').select((eb) => [eb.fn.min('seq').as('lo'), eb.fn.max('seq').as('hi')]).executeTakeFirstOrThrow();
    if (bounds.lo === null || bounds.hi === null) return 1;
    let lo = Number(bounds.lo);
    let hi = Number(bounds.hi) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = await db.selectFrom('audit_log').select(['seq', 'at']).where('seq', '>=', mid).orderBy('seq').limit(1).executeTakeFirst();
      if (!row || row.at >= at) hi = mid;
      else lo = row.seq + 1;
    }
    return lo;
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
