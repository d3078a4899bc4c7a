// The door-command outbox: every unlock/lock is a row first (id, door, issuer,
// seconds, expires_at), then published at QoS 1 to the door's command topic,
// re-sent when a controller of that door (re)connects while still valid, never
// delivered after expiry (audited as failed). Acks by command id are idempotent.
// Each state change and its audit entry are one transaction (one commit).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog, Actor, AuditEntry } from '../audit/index.ts';
import { prepareQuery } from '../store/index.ts';
import { InvalidError, NotFoundError, TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import type { DoorControl, SiteLookup, UnlockRequest, UnlockResult } from '../sites/index.ts';
import { storeTx, type HubTables, type DoorCommandTable } from './tables.ts';
import type { CommandAckPayload, DoorCommandPayload } from './payloads.ts';
import { doorCommandTopic } from './topics.ts';

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
}

export type OutboxEvents = { issued: [CommandRow]; settled: [CommandRow, UnlockResult['outcome']] };

const COMMAND_COLUMNS = ['id', 'door_id', 'site_id', 'action', 'seconds', 'issued_by_type', 'issued_by_id', 'correlation_id',
  'created_at', 'expires_at', 'state', 'sends', 'settled_at'] as const satisfies ReadonlyArray<keyof CommandRow>;

/** The two writes every card unlock makes, built once (see src/store/prepared.ts). */
function hotQueries(db: Kysely<HubTables>) {
  return {
    insert: prepareQuery<keyof CommandRow, never>((param) => db.insertInto('door_commands')
      .values(Object.fromEntries(COMMAND_COLUMNS.map((c) => [c, param(c)])) as never)),
    // One statement settles it: only a pending, unexpired command of this door changes.
    settle: prepareQuery<'id' | 'door_id' | 'state' | 'now', CommandRow>((param) => db.updateTable('door_commands')
      .set({ state: param('state'), settled_at: param('now') })
      .where('id', '=', param('id')).where('door_id', '=', param('door_id')).where('state', '=', 'pending')
      .where('expires_at', '>', param('now')).returningAll()),
  };
}

export class DoorOutbox extends TypedEmitter<OutboxEvents> implements DoorControl {
  readonly #d: OutboxDeps;
  readonly #q: ReturnType<typeof hotQueries>;
  readonly #expiry = new Map<string, NodeJS.Timeout>();
  readonly #waiters = new Map<string, Array<{ resolve: (r: UnlockResult) => void; reject: (e: Error) => void }>>();
  #closed = false;

  constructor(deps: OutboxDeps) {
    super();
    this.#d = deps;
    this.#q = hotQueries(deps.db);
  }

  /** Re-arms expiry of pending commands; expires those that ran out while the gateway was down. */
  async start(): Promise<void> {
    const pending = await this.#d.db.selectFrom('door_commands').selectAll().where('state', '=', 'pending').execute();
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
    await this.#d.db.transaction().execute((tx) => this.record(tx, row));
    return this.dispatch(row);
  }

  /**
   * Checks a request and builds its row (nothing written yet). Then `record` it
   * in a transaction, possibly with other writes that belong to it (the card
   * read that caused it), and `dispatch` it once that transaction committed:
   * a command is stored before it is ever sent.
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
      id: randomUUID(), door_id: request.doorId, site_id: siteId, action, seconds: request.seconds,
      issued_by_type: request.issuedBy.type, issued_by_id: request.issuedBy.id, correlation_id: request.correlationId ?? null,
      created_at: now, expires_at: now + this.#d.ackTimeoutMs, state: 'pending', sends: online ? 1 : 0, settled_at: null,
    };
  }

  /**
   * Writes a prepared command and its `issued` audit entry in `tx`; `cause`
   * (the card read that asked for it) is audited just before, in the same statement.
   */
  async record(tx: Transaction<HubTables>, row: CommandRow, cause?: AuditEntry): Promise<void> {
    await this.#q.insert.execute(tx, row);
    const issued = this.#entry(row, { type: row.issued_by_type, id: row.issued_by_id }, `door.${row.action}`, 'ok', { phase: 'issued' });
    await this.#d.audit.appendAll(cause ? [cause, issued] : [issued], storeTx(tx));
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
    const rows = await this.#d.db.selectFrom('door_commands').selectAll().where('state', '=', 'pending')
      .where('door_id', '=', doorId).where('expires_at', '>', this.#d.clock.now()).orderBy('created_at').execute();
    for (const row of rows) await this.#send(row);
    return rows.length;
  }

  /** An acknowledgement from a controller of `doorId`; duplicates and unknown ids are ignored. */
  async acknowledge(doorId: string | null, deviceId: string, ack: CommandAckPayload): Promise<'settled' | 'duplicate' | 'unknown'> {
    const state = ack.result === 'ok' ? 'acknowledged' : 'refused';
    const row = await this.#d.db.transaction().execute(async (tx) => {
      const { rows: [settled] } = await this.#q.settle.execute(tx, { id: ack.id, door_id: doorId ?? '', state, now: this.#d.clock.now() });
      if (settled) {
        await this.#audit(settled, { type: 'credential', id: deviceId }, `door.${settled.action}`, state === 'acknowledged' ? 'ok' : 'failed',
          { phase: state, device: deviceId, reason: ack.reason }, tx);
      }
      return settled;
    });
    if (!row) {
      const known = await this.#d.db.selectFrom('door_commands').select('door_id').where('id', '=', ack.id).executeTakeFirst();
      return known && known.door_id === doorId ? 'duplicate' : 'unknown';
    }
    const outcome = state === 'acknowledged' ? 'acknowledged' : 'failed';
    this.#settle({ ...row, state }, outcome);
    return 'settled';
  }

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
    this.#d.logger.warn({ command: id, door: row.door_id, site: row.site_id, action: row.action, why, sends: row.sends }, `door: ${row.action} failed, ${why}`);
    this.#settle({ ...row, state: 'expired' }, 'timeout');
  }

  #settle(row: CommandRow, outcome: UnlockResult['outcome']): void {
    const handle = this.#expiry.get(row.id);
    if (handle) this.#d.clock.clearTimeout(handle);
    this.#expiry.delete(row.id);
    for (const w of this.#waiters.get(row.id) ?? []) w.resolve({ commandId: row.id, outcome });
    this.#waiters.delete(row.id);
    this.safeEmit('settled', row, outcome);
  }

  #audit(row: CommandRow, actor: Actor, action: string, outcome: 'ok' | 'failed', details: Record<string, unknown>, tx: Transaction<HubTables>): Promise<void> {
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
    for (const list of this.#waiters.values()) for (const w of list) w.reject(new UnavailableError('device hub closed before the door answered'));
    this.#waiters.clear();
  }
}
