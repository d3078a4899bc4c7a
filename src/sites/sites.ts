// Sites (buildings, each with its time zone) and their doors. `site` is the
// partition key of every table, topic and role scope.
import { randomUUID } from 'node:crypto';
import type { Db, Store, Tx } from '../store/index.ts';
import { InvalidError, NotFoundError, ConflictError, type Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { checkOpeningHours, isOpenAt, type SiteHours } from './opening-hours.ts';

export interface Site { id: string; name: string; timeZone: string }
export interface Door { id: string; siteId: string; name: string }

/** What other components hold of a door, asked in the transaction that deletes it (the composition root fills it). */
export interface DoorReferences {
  /**
   * Names of what still needs the door (terminals, devices, rules, door stations, a pending command); the deletion is
   * refused while any. Read `within` the deleting transaction: nothing can take the door between this check and the delete.
   */
  holders(within: Tx, siteId: string, doorId: string): Promise<string[]>;
  /** Drops what only records the door, inside the deletion's transaction. */
  release(tx: Tx, siteId: string, doorId: string): Promise<void>;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What other components ask about sites and doors (the tables stay this component's). */
export type SiteLookup = Pick<Sites, 'siteOfDoor' | 'exists' | 'doorsOf' | 'timeZone' | 'openAt'>;

export class Sites {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
  }

  async create(actor: Actor, input: { id: string; name: string; timeZone: string }): Promise<Site> {
    if (!SLUG.test(input.id)) throw new InvalidError('site id: lower-case letters, digits and -, up to 63', { reason: 'site.id-format' });
    if (!isTimeZone(input.timeZone)) throw new InvalidError(`unknown time zone ${input.timeZone}`, { reason: 'site.time-zone', params: { timeZone: input.timeZone } });
    await this.#store.transaction(async (tx) => {
      if (await tx.selectFrom('sites').select('id').where('id', '=', input.id).executeTakeFirst()) {
        throw new ConflictError(`site ${input.id} exists`, { reason: 'site.exists', params: { id: input.id } });
      }
      await tx.insertInto('sites').values({ id: input.id, name: input.name, time_zone: input.timeZone, created_at: this.#clock.now() }).execute();
      await this.#audit.append({ actor, action: 'site.create', target: { type: 'site', id: input.id }, outcome: 'ok', siteId: input.id }, tx);
    });
    return { id: input.id, name: input.name, timeZone: input.timeZone };
  }

  /** Renames a site or changes its time zone (its id, the partition key, stays). */
  async update(actor: Actor, id: string, change: { name?: string; timeZone?: string }): Promise<Site> {
    const site = await this.get(id);
    if (change.timeZone !== undefined && !isTimeZone(change.timeZone)) {
      throw new InvalidError(`unknown time zone ${change.timeZone}`, { reason: 'site.time-zone', params: { timeZone: change.timeZone } });
    }
    const next = { ...site, ...change };
    await this.#store.transaction(async (tx) => {
      await tx.updateTable('sites').set({ name: next.name, time_zone: next.timeZone }).where('id', '=', id).execute();
      await this.#audit.append({ actor, action: 'site.update', target: { type: 'site', id }, outcome: 'ok', siteId: id, details: { fields: Object.keys(change) } }, tx);
    });
    return next;
  }

  /** Renames a door of the site (not-found for a door of another site). */
  async renameDoor(actor: Actor, siteId: string, doorId: string, name: string): Promise<Door> {
    await this.#store.transaction(async (tx) => {
      const updated = await tx.updateTable('doors').set({ name }).where('id', '=', doorId).where('site_id', '=', siteId).executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw new NotFoundError(`door ${doorId} not found`);
      await this.#audit.append({ actor, action: 'door.update', target: { type: 'door', id: doorId }, outcome: 'ok', siteId }, tx);
    });
    return { id: doorId, siteId, name };
  }

  /**
   * Deletes a door of the site; conflict door.in-use, naming the holders, while anything still needs it (audited door.delete).
   * The check and the delete are one transaction: a terminal bound or a command recorded for the door meanwhile (a card
   * read) is either seen by the check or written after the delete, where the door is gone (refused) — never lost with it.
   */
  async deleteDoor(actor: Actor, siteId: string, doorId: string, references: DoorReferences): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const door = await tx.selectFrom('doors').select('id').where('id', '=', doorId).where('site_id', '=', siteId).executeTakeFirst();
      if (!door) throw new NotFoundError(`door ${doorId} not found`);
      const holders = await references.holders(tx, siteId, doorId);
      if (holders.length > 0) {
        throw new ConflictError(`door ${doorId} is in use: ${holders.join(', ')}`, { reason: 'door.in-use', params: { holders: holders.join(', ') } });
      }
      await references.release(tx, siteId, doorId);
      await tx.deleteFrom('doors').where('id', '=', doorId).execute();
      await this.#audit.append({ actor, action: 'door.delete', target: { type: 'door', id: doorId }, outcome: 'ok', siteId }, tx);
    });
  }

  async list(): Promise<Site[]> {
    const rows = await this.#store.db.selectFrom('sites').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, timeZone: r.time_zone }));
  }

  async get(id: string): Promise<Site> {
    const r = await this.#store.db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFoundError(`site ${id} not found`);
    return { id: r.id, name: r.name, timeZone: r.time_zone };
  }

  async createDoor(actor: Actor, siteId: string, name: string): Promise<Door> {
    await this.get(siteId);
    const id = randomUUID();
    await this.#store.transaction(async (tx) => {
      await tx.insertInto('doors').values({ id, site_id: siteId, name, created_at: this.#clock.now() }).execute();
      await this.#audit.append({ actor, action: 'door.create', target: { type: 'door', id }, outcome: 'ok', siteId }, tx);
    });
    return { id, siteId, name };
  }

  /** The site a door is on; undefined when there is no such door. Other components ask this instead of reading the tables. */
  async siteOfDoor(doorId: string, within: Db | Tx = this.#store.db): Promise<string | undefined> {
    return (await within.selectFrom('doors').select('site_id').where('id', '=', doorId).executeTakeFirst())?.site_id;
  }

  /** Whether a site exists; `within` reads inside the caller's transaction. */
  async exists(siteId: string, within: Db | Tx = this.#store.db): Promise<boolean> {
    return (await within.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst()) !== undefined;
  }

  /** Which of `doorIds` are doors of the site. */
  async doorsOf(siteId: string, doorIds: readonly string[], within: Db | Tx = this.#store.db): Promise<string[]> {
    if (doorIds.length === 0) return [];
    return (await within.selectFrom('doors').select('id').where('site_id', '=', siteId).where('id', 'in', doorIds).execute()).map((d) => d.id);
  }

  /** A site's time zone; undefined when there is no such site. */
  async timeZone(siteId: string): Promise<string | undefined> {
    return (await this.#store.db.selectFrom('sites').select('time_zone').where('id', '=', siteId).executeTakeFirst())?.time_zone;
  }

  /** A site's opening hours and after-hours route; not-found for an unknown site. */
  async hours(siteId: string): Promise<SiteHours> {
    const r = await this.#store.db.selectFrom('sites').select(['opening_hours', 'after_hours_entry_id']).where('id', '=', siteId).executeTakeFirst();
    if (!r) throw new NotFoundError(`site ${siteId} not found`);
    return { hours: r.opening_hours === null ? null : JSON.parse(r.opening_hours), afterHoursEntryId: r.after_hours_entry_id };
  }

  /**
   * Sets a site's opening hours and after-hours route (audited). The caller has
   * checked that the entry is one of the site's phone-book entries (the phone
   * book is not this component's).
   */
  async setHours(actor: Actor, siteId: string, input: SiteHours): Promise<SiteHours> {
    checkOpeningHours(input.hours);
    await this.get(siteId);
    await this.#store.transaction(async (tx) => {
      await tx.updateTable('sites').set({ opening_hours: input.hours === null ? null : JSON.stringify(input.hours), after_hours_entry_id: input.afterHoursEntryId })
        .where('id', '=', siteId).execute();
      await this.#audit.append({ actor, action: 'site.hours', target: { type: 'site', id: siteId }, outcome: 'ok', siteId, details: { ...input } }, tx);
    });
    return input;
  }

  /** Whether the site is open at `at` (in its time zone), and where calls go when it is not. */
  async openAt(siteId: string, at: number): Promise<{ open: boolean; afterHoursEntryId: string | null }> {
    const r = await this.#store.db.selectFrom('sites').select(['time_zone', 'opening_hours', 'after_hours_entry_id']).where('id', '=', siteId).executeTakeFirst();
    if (!r) throw new NotFoundError(`site ${siteId} not found`);
    const hours = r.opening_hours === null ? null : JSON.parse(r.opening_hours);
    return { open: isOpenAt(hours, r.time_zone, at), afterHoursEntryId: r.after_hours_entry_id };
  }

  async doors(siteId: string): Promise<Door[]> {
    const rows = await this.#store.db.selectFrom('doors').selectAll().where('site_id', '=', siteId).orderBy('name').execute();
    return rows.map((r) => ({ id: r.id, siteId: r.site_id, name: r.name }));
  }
}
