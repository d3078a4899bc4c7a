// Access cards and visitor badges a reader may present: stored by a keyed hash of
// site + number (card numbers are personal data), with a validity window and doors.
import { createHmac } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { SiteLookup } from '../sites/index.ts';
import { InvalidError, NotFoundError, type Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { storeTx, type CardTable, type HubTables } from './tables.ts';
import { prepareQuery, type PreparedQuery, type StoreNow } from '../store/index.ts';

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

/** What an admin may change of a card; validity null: no limit on that side, doors null: every door. */
export type CardPatch = Partial<Pick<CardInput, 'holderRef' | 'validFrom' | 'validUntil' | 'doors'>>;

/** A card as the admin sees it: the number is never read back, `id` is its keyed hash. */
export interface Card {
  id: string;
  siteId: string;
  holderRef: string;
  kind: 'employee' | 'visitor';
  validFrom: number | null;
  validUntil: number | null;
  /** null: every door of the site. */
  doors: string[] | null;
  createdAt: number;
}

export type CardDecision =
  | { allowed: true; holderRef: string; kind: 'employee' | 'visitor' }
  | { allowed: false; reason: 'unknown-card' | 'not-yet-valid' | 'expired' | 'wrong-door' };

/** HMAC with the deployment's card key: card numbers are short, an unkeyed hash of a database copy could be brute-forced. */
export const cardHash = (key: string, siteId: string, card: string): string => createHmac('sha256', key).update(`${siteId}\u0000${card}`).digest('hex');

const view = (row: Selectable<CardTable>): Card => ({
  id: row.card_hash, siteId: row.site_id, holderRef: row.holder_ref, kind: row.kind,
  validFrom: row.valid_from, validUntil: row.valid_until,
  doors: row.doors === null ? null : JSON.parse(row.doors) as string[], createdAt: row.created_at,
});


export class Cards {
  readonly #db: Kysely<HubTables>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #key: string;
  readonly #sites: Pick<SiteLookup, 'exists' | 'doorsOf'>;
  /** Every card read runs it: built once (see src/store/prepared.ts). */
  readonly #byHash: PreparedQuery<'hash', Selectable<CardTable>>;

  /** The store, to look a card up at once while its connection is free (Store.readNow). */
  readonly #now: StoreNow | undefined;

  constructor(deps: { db: Kysely<HubTables>; clock: Clock; audit: AuditLog; key: string; sites: Pick<SiteLookup, 'exists' | 'doorsOf'>; now?: StoreNow }) {
    this.#sites = deps.sites;
    this.#now = deps.now;
    if (deps.key.length < 16) throw new Error('the card-hash key must be at least 16 characters');
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#key = deps.key;
    this.#byHash = prepareQuery((param) => deps.db.selectFrom('cards').selectAll().where('card_hash', '=', param('hash')));
  }

  /** Issues (or replaces) a card; the card and its audit entry are written together or not at all. */
  async add(actor: Actor, input: CardInput): Promise<Card> {
    const { siteId } = input;
    if (input.validFrom != null && input.validUntil != null && input.validUntil <= input.validFrom) {
      throw new InvalidError('validUntil must be after validFrom', { reason: 'card.window' });
    }
    const hash = cardHash(this.#key, siteId, input.card);
    const row = {
      card_hash: hash, site_id: siteId, holder_ref: input.holderRef, kind: input.kind,
      valid_from: input.validFrom ?? null, valid_until: input.validUntil ?? null,
      doors: input.doors ? JSON.stringify([...new Set(input.doors)]) : null, created_at: this.#clock.now(),
    };
    await this.#db.transaction().execute(async (tx) => {
      await this.#requireSiteAndDoors(tx, siteId, input.doors ?? []);
      await tx.insertInto('cards').values(row).onConflict((oc) => oc.column('card_hash').doUpdateSet(row)).execute();
      await this.#audit.append({ actor, action: 'card.issue', target: { type: 'card', id: hash.slice(0, 16), holder: input.holderRef }, outcome: 'ok', siteId, details: { kind: input.kind } }, storeTx(tx));
      await this.#holderKey(tx, input.holderRef);
    });
    return view(row);
  }

  /** Changes a card's holder, validity window or doors; the same checks as issuing it; audited. */
  async update(actor: Actor, id: string, patch: CardPatch): Promise<Card> {
    return this.#db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('cards').selectAll().where('card_hash', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError(`card ${id} not found`, { reason: 'card.not-found' });
      const next = {
        holder_ref: patch.holderRef ?? row.holder_ref,
        valid_from: patch.validFrom === undefined ? row.valid_from : patch.validFrom,
        valid_until: patch.validUntil === undefined ? row.valid_until : patch.validUntil,
        doors: patch.doors === undefined ? row.doors : patch.doors === null ? null : JSON.stringify([...new Set(patch.doors)]),
      };
      if (next.valid_from !== null && next.valid_until !== null && next.valid_until <= next.valid_from) {
        throw new InvalidError('validUntil must be after validFrom', { reason: 'card.window' });
      }
      await this.#requireSiteAndDoors(tx, row.site_id, patch.doors ?? []);
      await tx.updateTable('cards').set(next).where('card_hash', '=', id).execute();
      await this.#holderKey(tx, next.holder_ref);
      await this.#audit.append({
        actor, action: 'card.update', target: { type: 'card', id: id.slice(0, 16), holder: next.holder_ref }, outcome: 'ok', siteId: row.site_id, details: { fields: Object.keys(patch).sort() },
      }, storeTx(tx));
      return view({ ...row, ...next });
    });
  }

  /** The cards of a site (or of every site), newest first. */
  async list(siteId?: string): Promise<Card[]> {
    let q = this.#db.selectFrom('cards').selectAll().orderBy('created_at', 'desc').orderBy('card_hash');
    if (siteId !== undefined) q = q.where('site_id', '=', siteId);
    return (await q.execute()).map(view);
  }

  async get(id: string): Promise<Card | undefined> {
    const row = await this.#db.selectFrom('cards').selectAll().where('card_hash', '=', id).executeTakeFirst();
    return row && view(row);
  }

  /** Removes a card by its number; audited as failed when there was none. */
  async remove(actor: Actor, siteId: string, card: string): Promise<boolean> {
    return this.#remove(actor, cardHash(this.#key, siteId, card), siteId);
  }

  /** Removes a card by the id the list shows. */
  async removeById(actor: Actor, id: string): Promise<void> {
    const card = await this.get(id);
    if (!card || !(await this.#remove(actor, id, card.siteId))) throw new NotFoundError(`card ${id} not found`, { reason: 'card.not-found' });
  }

  async #remove(actor: Actor, hash: string, siteId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const card = await tx.selectFrom('cards').select('holder_ref').where('card_hash', '=', hash).where('site_id', '=', siteId).executeTakeFirst();
      const r = await tx.deleteFrom('cards').where('card_hash', '=', hash).where('site_id', '=', siteId).executeTakeFirst();
      const removed = r.numDeletedRows > 0n;
      const target = { type: 'card', id: hash.slice(0, 16), holder: card?.holder_ref ?? null };
      await this.#audit.append({ actor, action: 'card.remove', target, outcome: removed ? 'ok' : 'failed', siteId }, storeTx(tx));
      return removed;
    });
  }

  /**
   * The holder's audit key (its pseudonym in card.read entries), made with the
   * card rather than by its first read: a read whose entry needs a new key
   * cannot run at once (Store.runNow) and takes the slow way, with a rollback.
   */
  async #holderKey(tx: Transaction<HubTables>, holderRef: string): Promise<void> {
    await this.#audit.pseudonyms?.keys.pseudonym(storeTx(tx), 'card-holder', holderRef);
  }

  /** A card names only its own site's doors (a door of another site would never match a read). */
  async #requireSiteAndDoors(tx: Transaction<HubTables>, siteId: string, doors: string[]): Promise<void> {
    if (!(await this.#sites.exists(siteId, storeTx(tx)))) throw new NotFoundError(`site ${siteId} not found`);
    if (doors.length === 0) return;
    const known = new Set(await this.#sites.doorsOf(siteId, doors, storeTx(tx)));
    const unknown = doors.filter((d) => !known.has(d));
    if (unknown.length > 0) throw new InvalidError(`doors: ${unknown.join(', ')} is not a door of site ${siteId}`);
  }

  /** Whether `card` opens `doorId` now. */
  async decide(siteId: string, card: string, doorId: string): Promise<CardDecision> {
    const hash = cardHash(this.#key, siteId, card);
    const { rows: [row] } = this.#now?.readNow((run) => this.#byHash.executeNow(run, { hash }))?.value ?? await this.#byHash.execute(this.#db, { hash });
    return this.#decision(row, siteId, doorId);
  }

  #decision(row: Selectable<CardTable> | undefined, siteId: string, doorId: string): CardDecision {
    if (!row || row.site_id !== siteId) return { allowed: false, reason: 'unknown-card' };
    const now = this.#clock.now();
    if (row.valid_from !== null && now < row.valid_from) return { allowed: false, reason: 'not-yet-valid' };
    if (row.valid_until !== null && now >= row.valid_until) return { allowed: false, reason: 'expired' };
    if (row.doors !== null && !(JSON.parse(row.doors) as string[]).includes(doorId)) return { allowed: false, reason: 'wrong-door' };
    return { allowed: true, holderRef: row.holder_ref, kind: row.kind };
  }
}
