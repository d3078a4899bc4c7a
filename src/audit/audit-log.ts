// The append-only audit log every component writes through: who or what did
// what to which target, with what outcome, under which correlation id. Each
// entry is chained to the one before by its hash (src/store/audit-chain.ts).
import { prepareQuery, entryHash, GENESIS_HASH, type Db, type Tx, type AuditTable, type PreparedQuery, type NowRunner } from '../store/index.ts';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { Selectable } from 'kysely';
import type { AuditPseudonyms, RevealedFields, StoredFields } from './pseudonyms.ts';

export interface Actor {
  /** participant: a call's participant that is no user (a telephone that answered, by its participant id). */
  type: 'user' | 'credential' | 'system' | 'participant';
  id: string | null;
}

export const systemActor: Actor = { type: 'system', id: null };

export interface AuditEntry {
  actor: Actor;
  action: string;
  /** `holder`: the person a card belongs to (its key is erased with theirs). */
  target?: { type: string; id: string; holder?: string | null };
  outcome: 'ok' | 'denied' | 'failed';
  siteId?: string | null;
  correlationId?: string | null;
  /** Identifiers and reasons only, never personal data. */
  details?: Record<string, unknown>;
}

export type AuditRecord = Selectable<AuditTable>;
/** An entry as list() shows it: person ids and addresses opened while their keys exist. */
export type ShownAuditRecord = AuditRecord & RevealedFields;

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
/** What an append chains to: the newest entry's seq and hash. */
type ChainHead = { seq: number; hash: string };
type InsertParam = `${Column}${number}`;
/** The parameter names of row i of an insert (`seq0`, `at0`…), made once: an append names 12 per entry. */
const PARAMS = Array.from({ length: MAX_ROWS }, (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, `${c}${i}` as InsertParam])) as Record<Column, InsertParam>);

/** The store's count of undone writes (Store.rollbacks): a head kept in memory is good while it stands still. */
export interface WriteHistory {
  readonly rollbacks: number;
}

const isSeqTaken = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

export type AuditLogEvents = {
  /** Entries were appended (possibly inside a transaction not yet committed): how many, and which. */
  appended: [number, readonly AuditEntry[]];
};

export class AuditLog extends TypedEmitter<AuditLogEvents> {
  readonly #db: Db;
  readonly #clock: Clock;
  /** The insert of n entries at index n - 1, built once (every audited change runs one). */
  readonly #inserts: Array<PreparedQuery<InsertParam, never>> = [];
  readonly #head: PreparedQuery<never, { seq: number; hash: string | null }>;
  /**
   * The chain's head as of this log's last append, so that an append runs no
   * select for it. Good while the store has undone nothing since (a rolled-back
   * transaction may have taken the entries it points at); an append by anyone
   * else (another AuditLog on the file) makes the insert's seq taken, and the
   * head is read again. Without the store's history every append reads it.
   */
  #chainHead: ChainHead | undefined;
  #rollbacksAtHead = -1;
  readonly #history: WriteHistory | undefined;
  /** Without it (tests of other parts), ids and addresses are stored as given. */
  readonly #pseudonyms: AuditPseudonyms | undefined;

  /** `history`: the store (Store.rollbacks), so that the chain's head can be kept in memory. */
  constructor(db: Db, clock: Clock, pseudonyms?: AuditPseudonyms, history?: WriteHistory) {
    super();
    this.#db = db;
    this.#clock = clock;
    this.#pseudonyms = pseudonyms;
    this.#history = history;
    for (let n = 1; n <= MAX_ROWS; n++) {
      this.#inserts.push(prepareQuery<InsertParam, never>((param) => db.insertInto('audit_log')
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

  /**
   * appendAll at once, in what the store runs now (Store.runNow): false, with
   * nothing written, when an entry needs what only appendAll does (a
   * pseudonym key made, an address sealed) — append them that way then. An
   * insert that fails (someone else appended meanwhile) throws: the caller
   * rolls back and appends with appendAll, which reads the head again.
   */
  appendAllNow(entries: readonly AuditEntry[], run: NowRunner): boolean {
    if (entries.length === 0) return true;
    const at = this.#clock.now();
    const stored: StoredFields[] = [];
    for (const entry of entries) {
      const fields = this.#pseudonyms ? this.#pseudonyms.storeNow(entry, run) : { actor_id: entry.actor.id, target_id: entry.target?.id ?? null, details: entry.details };
      if (!fields) return false;
      stored.push(fields);
    }
    for (let start = 0; start < entries.length; start += MAX_ROWS) {
      const kept = this.#history && this.#history.rollbacks === this.#rollbacksAtHead ? this.#chainHead : undefined;
      const head = kept ?? this.#headFrom(this.#head.executeNow(run, {}).rows[0]);
      this.#insertNow(entries.slice(start, start + MAX_ROWS), stored.slice(start, start + MAX_ROWS), at, head, run);
    }
    this.safeEmit('appended', entries.length, entries);
    return true;
  }

  /** The newest entry: its seq and hash (seq 0 and the genesis hash for an empty log). */
  async head(tx?: Tx): Promise<{ seq: number; hash: string }> {
    const { rows: [row] } = await this.#head.execute(tx ?? this.#db, {});
    return this.#headFrom(row);
  }

  #headFrom(row: { seq: number; hash: string | null } | undefined): ChainHead {
    return { seq: row?.seq ?? 0, hash: row?.hash ?? GENESIS_HASH };
  }

  async #write(entries: readonly AuditEntry[], tx: Tx): Promise<void> {
    const at = this.#clock.now();
    for (let start = 0; start < entries.length; start += MAX_ROWS) {
      const chunk = entries.slice(start, start + MAX_ROWS);
      const stored: StoredFields[] = [];
      for (const entry of chunk) {
        stored.push(this.#pseudonyms ? await this.#pseudonyms.store(entry, at, tx) : { actor_id: entry.actor.id, target_id: entry.target?.id ?? null, details: entry.details });
      }
      const kept = this.#history && this.#history.rollbacks === this.#rollbacksAtHead ? this.#chainHead : undefined;
      try {
        await this.#insert(chunk, stored, at, kept ?? await this.head(tx), tx);
      } catch (error) {
        // Someone else appended since: chain to the entry they wrote.
        if (!kept || !isSeqTaken(error)) throw error;
        await this.#insert(chunk, stored, at, await this.head(tx), tx);
      }
    }
  }

  /** Inserts `chunk` chained to `head`; then the last of them is the head. */
  async #insert(chunk: readonly AuditEntry[], stored: readonly StoredFields[], at: number, head: ChainHead, tx: Tx): Promise<void> {
    const bound = this.#bind(chunk, stored, at, head);
    await this.#inserts[chunk.length - 1]!.execute(tx, bound.values);
    this.#headIs(bound.head);
  }

  /** #insert at once, through `run`. */
  #insertNow(chunk: readonly AuditEntry[], stored: readonly StoredFields[], at: number, head: ChainHead, run: NowRunner): void {
    const bound = this.#bind(chunk, stored, at, head);
    this.#inserts[chunk.length - 1]!.executeNow(run, bound.values);
    this.#headIs(bound.head);
  }

  #headIs(head: ChainHead): void {
    this.#chainHead = head;
    this.#rollbacksAtHead = this.#history?.rollbacks ?? -1;
  }

  /** The insert's values for `chunk` chained to `head`, and the head after it. */
  #bind(chunk: readonly AuditEntry[], stored: readonly StoredFields[], at: number, head: ChainHead): { values: Record<string, unknown>; head: ChainHead } {
    const values: Record<string, unknown> = {};
    let { seq, hash } = head;
    for (let i = 0; i < chunk.length; i++) {
      const entry = chunk[i]!;
      seq += 1;
      const { actor_id, target_id, details } = stored[i]!;
      const row = {
        seq, at, actor_type: entry.actor.type, actor_id, action: entry.action,
        target_type: entry.target?.type ?? null, target_id, outcome: entry.outcome,
        site_id: entry.siteId ?? null, correlation_id: entry.correlationId ?? null, details: details ? JSON.stringify(details) : null,
      };
      hash = entryHash(hash, row);
      const names = PARAMS[i]!;
      for (const column of COLUMNS) values[names[column]] = column === 'hash' ? hash : row[column];
    }
    return { values, head: { seq, hash } };
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

  /** Entries, newest first, as shown: person ids opened while their keys exist, erased ones marked (actor_erased, target_erased). */
  async list(query: AuditQuery = {}): Promise<ShownAuditRecord[]> {
    let q = this.#db.selectFrom('audit_log').selectAll();
    if (query.since !== undefined) q = q.where('at', '>=', query.since);
    if (query.until !== undefined) q = q.where('at', '<', query.until);
    if (query.action) q = q.where('action', '=', query.action);
    if (query.correlationId) q = q.where('correlation_id', '=', query.correlationId);
    if (query.actorId) {
      // Entries from before pseudonymisation (migration 095) name the user in clear.
      const pseudonym = await this.#pseudonyms?.keys.find('user', query.actorId);
      q = q.where('actor_id', 'in', pseudonym ? [pseudonym, query.actorId] : [query.actorId]);
    }
    if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
    return this.reveal(await q.orderBy('seq', 'desc').limit(Math.min(query.limit ?? 100, 1000)).execute());
  }

  /** Stored entries as shown (see list). */
  async reveal<R extends AuditRecord>(rows: readonly R[]): Promise<Array<R & RevealedFields>> {
    if (this.#pseudonyms) return this.#pseudonyms.reveal(rows);
    return rows.map((r) => ({ ...r, actor_erased: false, target_erased: false }));
  }

  /** The per-subject and address keys, when entries are pseudonymised. */
  get pseudonyms(): AuditPseudonyms | undefined { return this.#pseudonyms; }
}
