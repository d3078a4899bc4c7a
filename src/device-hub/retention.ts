// Retention of the device hub's own records: settled door commands (the audit
// log keeps who opened which door when) and visitor badges whose validity ended
// (personal data without a purpose once the visit is over). Runs at start and
// hourly; each pass that deletes something is one transaction with its audit entry.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { storeTx, type HubTables } from './tables.ts';

const DAY = 86_400_000;
const EVERY = 3_600_000;

export interface HubRetentionSettings {
  /** Days a settled (acknowledged, failed or expired) door command is kept. */
  commandDays: number;
  /** Days a visitor badge is kept after its validity ended. */
  visitorCardDays: number;
}

export class HubRetention {
  readonly #db: Kysely<HubTables>;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #settings: HubRetentionSettings;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #running = false;

  constructor(deps: { db: Kysely<HubTables>; audit: AuditLog; clock: Clock; logger: Logger; settings: HubRetentionSettings }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#settings = deps.settings;
  }

  async start(): Promise<void> {
    await this.prune();
    this.#schedule();
  }

  /** Deletes what is past its retention now; returns how many rows of each went. */
  async prune(): Promise<{ commands: number; visitorCards: number }> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (tx) => {
      const commands = await tx.deleteFrom('door_commands')
        .where('settled_at', 'is not', null).where('settled_at', '<', now - this.#settings.commandDays * DAY).executeTakeFirst();
      const cards = await tx.deleteFrom('cards')
        .where('kind', '=', 'visitor').where('valid_until', 'is not', null).where('valid_until', '<', now - this.#settings.visitorCardDays * DAY).executeTakeFirst();
      const counts = { commands: Number(commands.numDeletedRows), visitorCards: Number(cards.numDeletedRows) };
      if (counts.commands + counts.visitorCards > 0) {
        await this.#audit.append({
          actor: { type: 'system', id: null }, action: 'retention.prune', outcome: 'ok',
          details: { ...counts, commandDays: this.#settings.commandDays, visitorCardDays: this.#settings.visitorCardDays },
        }, storeTx(tx));
      }
      return counts;
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Fixed rate: the next pass is armed before this one runs; a pass still running is not doubled. */
  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#schedule();
      if (this.#running) return;
      this.#running = true;
      this.prune().then(
        (counts) => { if (counts.commands + counts.visitorCards > 0) this.#logger.info(counts, 'device hub: retention pruned'); },
        (error: unknown) => this.#logger.error({ err: error }, 'device hub: retention pass failed'),
      ).finally(() => { this.#running = false; });
    }, EVERY);
  }
}
