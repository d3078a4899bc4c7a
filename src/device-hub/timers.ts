// Timers that survive a restart: each is a row (kind, key, due time, data)
// armed on the injected clock; on start every row is re-armed, overdue ones fire at once.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import type { HubTables, HubTimerTable } from './tables.ts';

type Kind = HubTimerTable['kind'];
type Handler = (key: string, data: Record<string, unknown>) => Promise<void>;
const MAX_DELAY = 2 ** 31 - 1;

export class Timers {
  readonly #db: Kysely<HubTables>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #handlers = new Map<Kind, Handler>();
  readonly #armed = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(deps: { db: Kysely<HubTables>; clock: Clock; logger: Logger }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  handle(kind: Kind, handler: Handler): void {
    this.#handlers.set(kind, handler);
  }

  async start(): Promise<void> {
    const rows = await this.#db.selectFrom('hub_timers').selectAll().execute();
    for (const row of rows) this.#arm(row.id, row.kind, row.key, row.due_at, row.data);
  }

  async schedule(kind: Kind, key: string, dueAt: number, data: Record<string, unknown> = {}): Promise<string> {
    const id = randomUUID();
    const json = JSON.stringify(data);
    await this.#db.insertInto('hub_timers').values({ id, kind, key, due_at: dueAt, data: json }).execute();
    this.#arm(id, kind, key, dueAt, json);
    return id;
  }

  /** Removes every timer of `kind` under `key`; returns how many there were. */
  async cancel(kind: Kind, key: string): Promise<number> {
    const rows = await this.#db.selectFrom('hub_timers').select('id').where('kind', '=', kind).where('key', '=', key).execute();
    for (const { id } of rows) this.#disarm(id);
    await this.#db.deleteFrom('hub_timers').where('kind', '=', kind).where('key', '=', key).execute();
    return rows.length;
  }

  /** True while a timer of `kind` under `key` is still in the future. */
  async pending(kind: Kind, key: string): Promise<boolean> {
    const row = await this.#db.selectFrom('hub_timers').select('id').where('kind', '=', kind).where('key', '=', key)
      .where('due_at', '>', this.#clock.now()).executeTakeFirst();
    return row !== undefined;
  }

  async list(): Promise<Array<{ kind: Kind; key: string; dueAt: number }>> {
    const rows = await this.#db.selectFrom('hub_timers').selectAll().orderBy('due_at').execute();
    return rows.map((r) => ({ kind: r.kind, key: r.key, dueAt: r.due_at }));
  }

  #arm(id: string, kind: Kind, key: string, dueAt: number, data: string): void {
    if (this.#closed) return;
    const delay = Math.min(MAX_DELAY, Math.max(0, dueAt - this.#clock.now()));
    const handle = this.#clock.setTimeout(() => void this.#fire(id, kind, key, dueAt, data), delay);
    handle.unref?.();
    this.#armed.set(id, handle);
  }

  #disarm(id: string): void {
    const handle = this.#armed.get(id);
    if (handle) this.#clock.clearTimeout(handle);
    this.#armed.delete(id);
  }

  async #fire(id: string, kind: Kind, key: string, dueAt: number, data: string): Promise<void> {
    this.#armed.delete(id);
    if (this.#closed) return;
    // A clock that woke early (or a capped delay) re-arms instead of firing.
    if (dueAt > this.#clock.now()) return this.#arm(id, kind, key, dueAt, data);
    try {
      const r = await this.#db.deleteFrom('hub_timers').where('id', '=', id).executeTakeFirst();
      if (r.numDeletedRows === 0n) return; // cancelled meanwhile
      await this.#handlers.get(kind)?.(key, JSON.parse(data) as Record<string, unknown>);
    } catch (error) {
      if (!this.#closed) this.#logger.error({ kind, key, err: error }, 'device hub: timer failed');
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of this.#armed.values()) this.#clock.clearTimeout(handle);
    this.#armed.clear();
  }
}
