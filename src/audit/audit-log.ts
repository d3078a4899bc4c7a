// The append-only audit log every component writes through: who or what did
// what to which target, with what outcome, under which correlation id. Each
// entry is chained to the one before by its hash (src/store/audit-chain.ts).
import { prepareQuery, entryHash, GENESIS_HASH, type Db, type Tx, type AuditTable, type PreparedQuery } from '../store/index.ts';
import { TypedEmitter, type Clock } from '../core/index.ts';
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
  /** Entries of this actor (a user's or credential's id). */
  actorId?: string;
  /** Paging: entries older than this sequence number (the last one of the page before). */
  beforeSeq?: number;
  limit?: number;
}

const COLUMNS = ['seq', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'outcome', 'site_id', 'correlation_id', 'details', 'hash'] as const;
type Column = typeof COLUMNS[number];
/** Most entries one prepared insert writes (a card read writes two in one transaction). */
const MAX_ROWS = 4;

export type AuditLogEvents = {
  /** Entries were appended (possibly inside a transaction not yet committed): how many, and which. */
  appended: [number, readonly AuditEntry[]];
};

export class AuditLog extends TypedEmitter<AuditLogEvents> {
  readonly #db: Db;
  readonly #clock: Clock;
  /** The insert of n entries at index n - 1, built once (every audited change runs one). */
  readonly #inserts: Array<PreparedQuery<`${Column}${number}`, never>> = [];
  readonly #head: PreparedQuery<never, { seq: number; hash: string | null }>;

  constructor(db: Db, clock: Clock) {
    super();
    this.#db = db;
    this.#clock = clock;
    for (let n = 1; n <= MAX_ROWS; n++) {
      this.#inserts.push(prepareQuery<`${Column}${number}`, never>((param) => db.insertInto('audit_log')
        .values(Array.from({ length: n }, (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, param(`${c}${i}`)])) as never))));
    }
    this.#head = prepareQuery<never, { seq: number; hash: string | null }>(() => db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1));
  }

  /** Appends one entry; pass `tx` to make it part of the change it records. */
  async append(entry: AuditEntry, tx?: Tx): Promise<void> {
    await this.appendAll([entry], tx);
  }

  /**
   * Appends entries in this order (up to four per statement), each chained to
   * the one before. Reading the head and inserting happen in one transaction
   * (the caller's, or one of its own), so two appends never chain to the same entry.
   */
  async appendAll(entries: readonly AuditEntry[], tx?: Tx): Promise<void> {
    if (entries.length === 0) return;
    if (tx) await this.#write(entries, tx);
    else await this.#db.transaction().execute((own) => this.#write(entries, own));
    this.safeEmit('appended', entries.length, entries);
  }

  /** The newest entry: its seq and hash (seq 0 and the genesis hash for an empty log). */
  async head(tx?: Tx): Promise<{ seq: number; hash: string }> {
    const { rows: [row] } = await this.#head.execute(tx ?? this.#db, {});
    return { seq: row?.seq ?? 0, hash: row?.hash ?? GENESIS_HASH };
  }

  async #write(entries: readonly AuditEntry[], tx: Tx): Promise<void> {
    const at = this.#clock.now();
    let { seq, hash } = await this.head(tx);
    for (let start = 0; start < entries.length; start += MAX_ROWS) {
      const chunk = entries.slice(start, start + MAX_ROWS);
      const values: Record<string, unknown> = {};
      chunk.forEach((entry, i) => {
        seq += 1;
        const row = {
          seq, at, actor_type: entry.actor.type, actor_id: entry.actor.id, action: entry.action,
          target_type: entry.target?.type ?? null, target_id: entry.target?.id ?? null, outcome: entry.outcome,
          site_id: entry.siteId ?? null, correlation_id: entry.correlationId ?? null, details: entry.details ? JSON.stringify(entry.details) : null,
        };
        hash = entryHash(hash, row);
        for (const [column, value] of Object.entries(row)) values[`${column}${i}`] = value;
        values[`hash${i}`] = hash;
      });
      await this.#inserts[chunk.length - 1]!.execute(tx, values);
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
    if (query.actorId) q = q.where('actor_id', '=', query.actorId);
    if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
    return q.orderBy('seq', 'desc').limit(Math.min(query.limit ?? 100, 1000)).execute();
  }
}
