// Access cards and visitor badges a reader may present: stored by a keyed hash of
// site + number (card numbers are personal data), with a validity window and doors.
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import type { HubTables } from './tables.ts';

export interface CardInput {
  siteId: string;
  card: string;
  /** Stable reference of the holder (user id or visit id), never a name. */
  holderRef: string;
  kind: 'employee' | 'visitor';
  validFrom?: number | null;
  validUntil?: number | null;
  doors?: string[] | null;
}

export type CardDecision =
  | { allowed: true; holderRef: string; kind: 'employee' | 'visitor' }
  | { allowed: false; reason: 'unknown-card' | 'not-yet-valid' | 'expired' | 'wrong-door' };

/** HMAC with the deployment's card key: card numbers are short, an unkeyed hash of a database copy could be brute-forced. */
export const cardHash = (key: string, siteId: string, card: string): string => createHmac('sha256', key).update(`${siteId}\u0000${card}`).digest('hex');

export class Cards {
  readonly #db: Kysely<HubTables>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #key: string;

  constructor(deps: { db: Kysely<HubTables>; clock: Clock; audit: AuditLog; key: string }) {
    if (deps.key.length < 16) throw new Error('the card-hash key must be at least 16 characters');
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#key = deps.key;
  }

  async add(actor: Actor, input: CardInput): Promise<void> {
    const hash = cardHash(this.#key, input.siteId, input.card);
    const row = {
      card_hash: hash, site_id: input.siteId, holder_ref: input.holderRef, kind: input.kind,
      valid_from: input.validFrom ?? null, valid_until: input.validUntil ?? null,
      doors: input.doors ? JSON.stringify(input.doors) : null, created_at: this.#clock.now(),
    };
    await this.#db.insertInto('cards').values(row).onConflict((oc) => oc.column('card_hash').doUpdateSet(row)).execute();
    await this.#audit.append({ actor, action: 'card.issue', target: { type: 'card', id: hash.slice(0, 16) }, outcome: 'ok', siteId: input.siteId, details: { kind: input.kind } });
  }

  async remove(actor: Actor, siteId: string, card: string): Promise<boolean> {
    const hash = cardHash(this.#key, siteId, card);
    const r = await this.#db.deleteFrom('cards').where('card_hash', '=', hash).executeTakeFirst();
    await this.#audit.append({ actor, action: 'card.remove', target: { type: 'card', id: hash.slice(0, 16) }, outcome: r.numDeletedRows > 0n ? 'ok' : 'failed', siteId });
    return r.numDeletedRows > 0n;
  }

  /** Whether `card` opens `doorId` now. */
  async decide(siteId: string, card: string, doorId: string): Promise<CardDecision> {
    const row = await this.#db.selectFrom('cards').selectAll().where('card_hash', '=', cardHash(this.#key, siteId, card)).executeTakeFirst();
    if (!row || row.site_id !== siteId) return { allowed: false, reason: 'unknown-card' };
    const now = this.#clock.now();
    if (row.valid_from !== null && now < row.valid_from) return { allowed: false, reason: 'not-yet-valid' };
    if (row.valid_until !== null && now >= row.valid_until) return { allowed: false, reason: 'expired' };
    if (row.doors !== null && !(JSON.parse(row.doors) as string[]).includes(doorId)) return { allowed: false, reason: 'wrong-door' };
    return { allowed: true, holderRef: row.holder_ref, kind: row.kind };
  }
}
