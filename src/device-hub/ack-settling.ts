// Writing door acknowledgements (ack-queue.ts decides when): an ack settles at
// most one pending, unexpired command of its door, with one statement, and its
// audit entry is appended with it. Inside an unlock's transaction they are
// settled in a savepoint, so a failing ack never costs a card read its unlock
// (review s21 #4), and their entries go into the unlock's own audit insert; an
// ack that settled nothing is told why (duplicate or unknown) only after the
// unlock has gone out.
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog, AuditEntry, Actor } from '../audit/index.ts';
import { prepareQuery, type NowRunner } from '../store/index.ts';
import { storeTx, type HubTables } from './tables.ts';
import type { CommandRow } from './outbox.ts';
import type { QueuedAck } from './ack-queue.ts';

export interface AckSettlingDeps {
  db: Kysely<HubTables>;
  audit: AuditLog;
  logger: Logger;
  /** A command's audit entry, as the outbox writes them. */
  entry: (row: CommandRow, actor: Actor, action: string, outcome: 'ok' | 'failed', details: Record<string, unknown>) => AuditEntry;
  /** After the commit: `row` was settled by an ack (its waiters learn it). */
  settled: (row: CommandRow) => void;
}

type Settled = Array<CommandRow | undefined>;

const SAVEPOINT = CompiledQuery.raw('savepoint portier_acks');
const RELEASE = CompiledQuery.raw('release portier_acks');
// The store counts a `rollback to` as undone writes (the audit chain's head is read again).
const ROLLBACK = CompiledQuery.raw('rollback to portier_acks');

export class AckSettling {
  readonly #d: AckSettlingDeps;
  // One statement settles it: only a pending, unexpired command of this door changes.
  readonly #settle;

  constructor(deps: AckSettlingDeps) {
    this.#d = deps;
    this.#settle = prepareQuery<'id' | 'door_id' | 'state' | 'now', CommandRow>((param) => deps.db.updateTable('door_commands')
      .set({ state: param('state'), settled_at: param('now') })
      .where('id', '=', param('id')).where('door_id', '=', param('door_id')).where('state', '=', 'pending')
      .where('expires_at', '>', param('now')).returningAll());
  }

  /** `acks` in a transaction of their own (the queue's write when no unlock took them). */
  async writeAlone(acks: QueuedAck[]): Promise<void> {
    const rows = await this.#d.db.transaction().execute(async (tx) => {
      const { rows, entries } = await this.#settleAll(tx, acks);
      await this.#d.audit.appendAll(entries, storeTx(tx));
      return rows;
    });
    await this.answer(acks, rows);
  }

  /**
   * Settles `acks` in a savepoint of `tx`: what each settled (by index) and the
   * audit entries the caller must append in `tx` (with its own: one insert), or
   * undefined when settling them failed — then nothing of them is written and
   * `tx` goes on. The entries name no person (a device, a door), so appending
   * them can fail only as the caller's own entries would.
   */
  async inSavepoint(tx: Transaction<HubTables>, acks: readonly QueuedAck[]): Promise<{ rows: Settled; entries: AuditEntry[] } | undefined> {
    await tx.executeQuery(SAVEPOINT);
    try {
      const settled = await this.#settleAll(tx, acks);
      await tx.executeQuery(RELEASE);
      return settled;
    } catch (error) {
      this.#d.logger.warn({ err: error, acks: acks.length }, 'outbox: acks not written with the unlock, written on their own');
      await tx.executeQuery(ROLLBACK);
      await tx.executeQuery(RELEASE);
      return undefined;
    }
  }

  /** inSavepoint at once, in what the store runs now (Store.runNow). */
  inSavepointNow(run: NowRunner, acks: readonly QueuedAck[]): { rows: Settled; entries: AuditEntry[] } | undefined {
    run.executeNow(SAVEPOINT);
    try {
      const rows: Settled = [];
      const entries: AuditEntry[] = [];
      for (const queued of acks) this.#settled(queued, this.#settle.executeNow(run, this.#settleValues(queued)).rows[0], rows, entries);
      run.executeNow(RELEASE);
      return { rows, entries };
    } catch (error) {
      this.#d.logger.warn({ err: error, acks: acks.length }, 'outbox: acks not written with the unlock, written on their own');
      run.executeNow(ROLLBACK);
      run.executeNow(RELEASE);
      return undefined;
    }
  }

  /**
   * After the commit that settled `rows` (by index of `acks`): each settled
   * command settles and its ack resolves now; the others learn why they settled
   * nothing from one lookup a turn later (after the caller sent its unlock).
   */
  answer(acks: readonly QueuedAck[], rows: Settled): Promise<void> {
    const unsettled: QueuedAck[] = [];
    for (let i = 0; i < acks.length; i++) {
      const row = rows[i];
      if (!row) {
        unsettled.push(acks[i]!);
        continue;
      }
      this.#d.settled(row);
      acks[i]!.resolve('settled');
    }
    return unsettled.length === 0 ? Promise.resolve() : this.#explain(unsettled);
  }

  /** Settles what `acks` settle in `tx`; their audit entries, to append. */
  async #settleAll(tx: Transaction<HubTables>, acks: readonly QueuedAck[]): Promise<{ rows: Settled; entries: AuditEntry[] }> {
    const rows: Settled = [];
    const entries: AuditEntry[] = [];
    for (const queued of acks) this.#settled(queued, (await this.#settle.execute(tx, this.#settleValues(queued))).rows[0], rows, entries);
    return { rows, entries };
  }

  #settleValues({ doorId, ack, at }: QueuedAck): { id: string; door_id: string; state: 'acknowledged' | 'refused'; now: number } {
    return { id: ack.id, door_id: doorId ?? '', state: ack.result === 'ok' ? 'acknowledged' : 'refused', now: at };
  }

  /** What the ack `queued` settled (`settled`, if anything): into `rows`, and its audit entry into `entries`. */
  #settled({ deviceId, ack }: QueuedAck, settled: CommandRow | undefined, rows: Settled, entries: AuditEntry[]): void {
    rows.push(settled);
    if (!settled) return;
    const state = ack.result === 'ok' ? 'acknowledged' : 'refused';
    const details = { phase: state, device: deviceId, reason: ack.reason };
    entries.push(this.#d.entry(settled, { type: 'credential', id: deviceId }, `door.${settled.action}`, state === 'acknowledged' ? 'ok' : 'failed', details));
  }

  /** An ack that settled nothing: its command was settled already (duplicate) or is not its door's (unknown). */
  async #explain(acks: readonly QueuedAck[]): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const ids = [...new Set(acks.map((a) => a.ack.id))];
      const rows = await this.#d.db.selectFrom('door_commands').select(['id', 'door_id']).where('id', 'in', ids).execute();
      const doorOf = new Map(rows.map((r) => [r.id, r.door_id]));
      for (const queued of acks) queued.resolve(doorOf.has(queued.ack.id) && doorOf.get(queued.ack.id) === queued.doorId ? 'duplicate' : 'unknown');
    } catch (error) {
      for (const queued of acks) queued.reject(error);
    }
  }
}
