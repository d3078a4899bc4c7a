// The door-command outbox: every unlock/lock is a row first (id, door, issuer,
// seconds, expires_at), then published at QoS 1 to the door's command topic,
// re-sent when a controller of that door (re)connects while still valid, never
// delivered after expiry (audited as failed). Acks by command id are idempotent.
// Each state change and its audit entry are one transaction (one commit); an
// ack's rides along with the next unlock recorded (ack-queue.ts, ack-settling.ts).
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog, Actor, AuditEntry } from '../audit/index.ts';
import { prepareQuery, type StoreNow } from '../store/index.ts';
import { InvalidError, NotFoundError, TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import type { DoorControl, SiteLookup, UnlockRequest, UnlockResult } from '../sites/index.ts';
import { storeTx, type HubTables, type DoorCommandTable } from './tables.ts';
import type { CommandAckPayload, DoorCommandPayload } from './payloads.ts';
import { doorCommandTopic } from './topics.ts';
import { AckQueue, type AckResult } from './ack-queue.ts';
import { AckSettling } from './ack-settling.ts';

export type CommandRow = Selectable<DoorCommandTable>;

export interface OutboxDeps {
  db: Kysely<HubTables>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** How long a door has to acknowledge before the command expires. */
  ackTimeoutMs: number;
  publish: (topic: string, payload: string) => Promise<void>;
  /** Whether some controller of the door is connected. */
  doorOnline: (doorId: string) => boolean;
  /** Which site a door is on (src/sites). */
  sites: Pick<SiteLookup, 'siteOfDoor'>;
  /** Longest an ack waits to be written with the next unlock (see ack-queue.ts); default ACK_BATCH_MS. */
  ackBatchMs?: number;
  /** The store, to record an unlock at once while its connection is free (Store.runNow); without it always through `db`. */
  now?: StoreNow;
}

/** Default of OutboxDeps.ackBatchMs: a card read at 1 000/s follows its predecessor's ack within a few ms. */
export const ACK_BATCH_MS = 5;
/** Acks written at once at most when they pile up (a door acknowledging a backlog). */
const MAX_WAITING_ACKS = 64;
/** 'pending' as a literal in the SQL: the partial index door_commands_pending serves only such queries (migration 099). */
const PENDING = sql.lit<'pending'>('pending');
/** Thrown inside a rehearsed record (the start-up warm-up) so that it writes nothing. */
class Rehearsal extends Error {}
/** Thrown inside a record run at once that needs the usual way after all (see #recordNow). */
class NotNow extends Error {}

/**
 * A UUID of version 7 (RFC 9562): the time in ms in its first 48 bits, then
 * random bits. door_commands is stored in id order (migration 105), so ids that
 * grow with time put each new command, and the one its ack settles, on the same page.
 */
export function timeOrderedId(now: number): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  const random = randomUUID(); // version 4: its variant bits are version 7's too
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}

export type OutboxEvents = { issued: [CommandRow]; settled: [CommandRow, UnlockResult['outcome']] };

const COMMAND_COLUMNS = ['id', 'door_id', 'site_id', 'action', 'seconds', 'issued_by_type', 'issued_by_id', 'correlation_id',
  'created_at', 'expires_at', 'state', 'sends', 'settled_at'] as const satisfies ReadonlyArray<keyof CommandRow>;

/** The write every card unlock makes, built once (see src/store/prepared.ts). */
const insertCommand = (db: Kysely<HubTables>) => prepareQuery<keyof CommandRow, never>((param) => db.insertInto('door_commands')
  .values(Object.fromEntries(COMMAND_COLUMNS.map((c) => [c, param(c)])) as never));

export class DoorOutbox extends TypedEmitter<OutboxEvents> implements DoorControl {
  readonly #d: OutboxDeps;
  readonly #insert: ReturnType<typeof insertCommand>;
  readonly #expiry = new Map<string, NodeJS.Timeout>();
  readonly #waiters = new Map<string, Array<{ resolve: (r: UnlockResult) => void; reject: (e: Error) => void }>>();
  readonly #acks: AckQueue;
  readonly #ackWrites: AckSettling;
  #closed = false;

  constructor(deps: OutboxDeps) {
    super();
    this.#d = deps;
    this.#insert = insertCommand(deps.db);
    this.#ackWrites = new AckSettling({
      db: deps.db, audit: deps.audit, logger: deps.logger,
      entry: (row, actor, action, outcome, details) => this.#entry(row, actor, action, outcome, details),
      settled: (row) => this.#settle(row, row.state === 'acknowledged' ? 'acknowledged' : 'failed'),
    });
    this.#acks = new AckQueue({
      write: (acks) => this.#ackWrites.writeAlone(acks), delayMs: deps.ackBatchMs ?? ACK_BATCH_MS, maxWaiting: MAX_WAITING_ACKS,
    });
  }

  /** Re-arms expiry of pending commands; expires those that ran out while the gateway was down. */
  async start(): Promise<void> {
    const pending = await this.#d.db.selectFrom('door_commands').selectAll().where('state', '=', PENDING).execute();
    for (const row of pending) this.#armExpiry(row);
  }

  unlock(request: UnlockRequest): Promise<UnlockResult> {
    return this.issue('unlock', request);
  }

  lock(request: Omit<UnlockRequest, 'seconds'>): Promise<UnlockResult> {
    return this.issue('lock', { ...request, seconds: 0 });
  }

  /** Records the command, sends it if the door is online, resolves when acknowledged or expired. */
  async issue(action: 'unlock' | 'lock', request: UnlockRequest): Promise<UnlockResult> {
    const row = await this.prepare(action, request);
    await this.record(row);
    return this.dispatch(row);
  }

  /**
   * Checks a request and builds its row (nothing written yet). Then `record` it
   * (with the card read that caused it), and `dispatch` it once recorded: a
   * command is stored before it is ever sent.
   */
  async prepare(action: 'unlock' | 'lock', request: UnlockRequest): Promise<CommandRow> {
    if (this.#closed) throw new UnavailableError('device hub is closed');
    if (!Number.isInteger(request.seconds) || request.seconds < 0 || request.seconds > 3600) {
      throw new InvalidError('seconds: an integer from 0 to 3600');
    }
    // Outside the transaction: a query on the store's connection inside it would wait for it forever.
    const siteId = await this.#siteOf(request.doorId);
    const now = this.#d.clock.now();
    const online = this.#d.doorOnline(request.doorId);
    return {
      id: timeOrderedId(now), door_id: request.doorId, site_id: siteId, action, seconds: request.seconds,
      issued_by_type: request.issuedBy.type, issued_by_id: request.issuedBy.id, correlation_id: request.correlationId ?? null,
      created_at: now, expires_at: now + this.#d.ackTimeoutMs, state: 'pending', sends: online ? 1 : 0, settled_at: null,
    };
  }

  /**
   * Writes a prepared command and its `issued` audit entry in one transaction,
   * with `cause` (the card read that asked for it) audited just before, and
   * before both the acks waiting to be written, settled in a savepoint: acks
   * that fail to settle are rolled back alone and written on their own later,
   * never costing this command. Every entry is one insert (acks', cause,
   * issued, in that order). Resolves once committed; acks that settled nothing
   * learn why after that. `rehearsal` (the start-up warm-up) runs all of it and rolls it back.
   */
  async record(row: CommandRow, cause?: AuditEntry, options: { rehearsal?: boolean } = {}): Promise<void> {
    if (this.#recordNow(row, cause, options)) return;
    const acks = this.#acks.take();
    let settled: Array<CommandRow | undefined> | undefined;
    try {
      settled = await this.#d.db.transaction().execute(async (tx) => {
        const ackWrites = acks.length > 0 ? await this.#ackWrites.inSavepoint(tx, acks) : { rows: [], entries: [] };
        await this.#insert.execute(tx, row);
        const entries = ackWrites?.entries ?? [];
        if (cause) entries.push(cause);
        entries.push(this.#issued(row));
        await this.#d.audit.appendAll(entries, storeTx(tx));
        if (options.rehearsal) throw new Rehearsal();
        return ackWrites?.rows;
      });
    } catch (error) {
      this.#acks.putBack(acks);
      if (error instanceof Rehearsal) return;
      throw error;
    }
    if (settled) void this.#ackWrites.answer(acks, settled);
    else this.#acks.putBack(acks);
  }

  /**
   * record at once, with the same statements, while the store's connection is
   * free: no query building, no promise per statement (issue 16). False when
   * it could not be done so — the connection busy, an entry needing a new
   * pseudonym key, anything failing (rolled back: record then does it all
   * again the usual way and reports what fails there).
   */
  #recordNow(row: CommandRow, cause: AuditEntry | undefined, options: { rehearsal?: boolean }): boolean {
    const store = this.#d.now;
    if (!store) return false;
    const acks = this.#acks.take();
    let done: { value: Array<CommandRow | undefined> | undefined } | undefined;
    try {
      done = store.runNow((run) => {
        const ackWrites = acks.length > 0 ? this.#ackWrites.inSavepointNow(run, acks) : { rows: [], entries: [] };
        this.#insert.executeNow(run, row);
        const entries = ackWrites?.entries ?? [];
        if (cause) entries.push(cause);
        entries.push(this.#issued(row));
        if (!this.#d.audit.appendAllNow(entries, run)) throw new NotNow();
        if (options.rehearsal) throw new Rehearsal();
        return ackWrites?.rows;
      });
    } catch (error) {
      this.#acks.putBack(acks);
      return error instanceof Rehearsal;
    }
    if (done?.value) void this.#ackWrites.answer(acks, done.value);
    else this.#acks.putBack(acks);
    return done !== undefined;
  }

  #issued(row: CommandRow): AuditEntry {
    return this.#entry(row, { type: row.issued_by_type, id: row.issued_by_id }, `door.${row.action}`, 'ok', { phase: 'issued' });
  }

  /** After the transaction that recorded `row` committed: arms its expiry and sends it if the door was online. */
  async dispatch(row: CommandRow): Promise<UnlockResult> {
    if (this.#closed) throw new UnavailableError('device hub is closed');
    const result = new Promise<UnlockResult>((resolve, reject) => {
      const list = this.#waiters.get(row.id) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(row.id, list);
    });
    // Closing rejects waiters; the caller sees that through the returned promise,
    // but it may not be attached yet while the send below is in flight.
    result.catch(() => {});
    this.#armExpiry(row);
    this.safeEmit('issued', row);
    if (row.sends > 0) await this.#publish(row); // counted as sent in the insert
    return result;
  }

  /** A controller of `doorId` connected: re-send what is still valid. */
  async resendPending(doorId: string): Promise<number> {
    const rows = await this.#d.db.selectFrom('door_commands').selectAll().where('state', '=', PENDING)
      .where('door_id', '=', doorId).where('expires_at', '>', this.#d.clock.now()).orderBy('created_at').execute();
    for (const row of rows) await this.#send(row);
    return rows.length;
  }

  /**
   * An acknowledgement from a controller of `doorId`; duplicates and unknown
   * ids are ignored. Written with the next unlock recorded or within
   * `ackBatchMs` (ack-queue.ts); resolves once written.
   */
  acknowledge(doorId: string | null, deviceId: string, ack: CommandAckPayload): Promise<AckResult> {
    if (this.#closed) return Promise.reject(new UnavailableError('device hub is closed'));
    return this.#acks.add({ doorId, deviceId, ack, at: this.#d.clock.now() });
  }

  /** Resolves when no ack is waiting to be written (tests, shutdown). */
  acksWritten(): Promise<void> { return this.#acks.idle(); }

  /** Delivery filter: a command payload whose expiry has passed is never forwarded. */
  isExpired(payload: Buffer): boolean {
    try {
      const cmd = JSON.parse(payload.toString('utf8')) as DoorCommandPayload;
      return typeof cmd.expires_at !== 'number' || cmd.expires_at <= this.#d.clock.now();
    } catch {
      return true;
    }
  }

  readonly #doorSites = new Map<string, string>();

  /** The door's site; doors never move between sites, so the answer is cached. */
  async #siteOf(doorId: string): Promise<string> {
    const cached = this.#doorSites.get(doorId);
    if (cached) return cached;
    const siteId = await this.#d.sites.siteOfDoor(doorId);
    if (!siteId) throw new NotFoundError(`door ${doorId} not found`);
    this.#doorSites.set(doorId, siteId);
    return siteId;
  }

  async get(id: string): Promise<CommandRow | undefined> {
    return this.#d.db.selectFrom('door_commands').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async #send(row: CommandRow): Promise<void> {
    if (row.expires_at <= this.#d.clock.now()) return;
    await this.#d.db.updateTable('door_commands').set((eb) => ({ sends: eb('sends', '+', 1) })).where('id', '=', row.id).execute();
    await this.#publish(row);
  }

  #publish(row: CommandRow): Promise<void> {
    const payload: DoorCommandPayload = { id: row.id, action: row.action, seconds: row.seconds, expires_at: row.expires_at };
    return this.#d.publish(doorCommandTopic(row.site_id, row.door_id), JSON.stringify(payload));
  }

  #armExpiry(row: CommandRow): void {
    if (this.#closed || this.#expiry.has(row.id)) return;
    const handle = this.#d.clock.setTimeout(() => void this.#expire(row.id).catch((error: unknown) => {
      if (!this.#closed) this.#d.logger.error({ command: row.id, err: error }, 'outbox: expiry failed');
    }), Math.max(0, row.expires_at - this.#d.clock.now()));
    this.#expiry.set(row.id, handle);
  }

  async #expire(id: string): Promise<void> {
    this.#expiry.delete(id);
    if (this.#closed) return;
    await this.#acks.drain(); // an ack that arrived in time (also one an unlock's transaction holds) is not beaten by the expiry
    const row = await this.get(id);
    if (!row || row.state !== 'pending') return;
    if (row.expires_at > this.#d.clock.now()) return this.#armExpiry(row);
    const expired = await this.#d.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('door_commands').set({ state: 'expired', settled_at: this.#d.clock.now() })
        .where('id', '=', id).where('state', '=', 'pending').executeTakeFirst();
      if (r.numUpdatedRows === 0n) return false;
      await this.#audit(row, { type: 'system', id: null }, `door.${row.action}`, 'failed', { phase: 'expired', sends: row.sends }, tx);
      return true;
    });
    if (!expired) return;
    // Why, in the operator's words: never sent (no controller online) or sent and not acknowledged.
    const why = row.sends === 0 ? 'no door controller online' : 'the door controller did not acknowledge';
    const context = { command: id, door: row.door_id, site: row.site_id, action: row.action, why, sends: row.sends };
    this.#d.logger.warn(context, `door: ${row.action} failed, ${why}`);
    this.#settle({ ...row, state: 'expired' }, 'timeout');
  }

  #settle(row: CommandRow, outcome: UnlockResult['outcome']): void {
    const handle = this.#expiry.get(row.id);
    if (handle) this.#d.clock.clearTimeout(handle);
    this.#expiry.delete(row.id);
    for (const w of this.#waiters.get(row.id) ?? []) w.resolve({ commandId: row.id, outcome });
    this.#waiters.delete(row.id);
    if (!this.#closed) this.safeEmit('settled', row, outcome);
  }

  #audit(row: CommandRow, actor: Actor, action: string, outcome: 'ok' | 'failed', details: Record<string, unknown>,
    tx: Transaction<HubTables>): Promise<void> {
    return this.#d.audit.append(this.#entry(row, actor, action, outcome, details), storeTx(tx));
  }

  #entry(row: CommandRow, actor: Actor, action: string, outcome: 'ok' | 'failed', details: Record<string, unknown>): AuditEntry {
    return {
      actor, action, target: { type: 'door', id: row.door_id }, outcome, siteId: row.site_id,
      correlationId: row.correlation_id, details: { command: row.id, seconds: row.seconds, ...details },
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of this.#expiry.values()) this.#d.clock.clearTimeout(handle);
    this.#expiry.clear();
    const closed = new UnavailableError('device hub closed before the door answered');
    for (const list of this.#waiters.values()) for (const w of list) w.reject(closed);
    this.#waiters.clear();
    void this.#acks.close(); // acks that arrived are still written (the hub's idle() waits for them)
  }
}
