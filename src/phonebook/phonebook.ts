// The phone book: entries per site with routes and routing policy, stored in
// SQLite and searched from an in-memory index kept in step with every change.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db, Store, Tx } from '../store/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { Sites, type SiteLookup } from '../sites/index.ts';
import { ConflictError, InvalidError, NotFoundError, type Clock } from '../core/index.ts';
import { SearchIndex, type SearchHit } from './search-index.ts';
import { DEFAULT_POLICY, POLICY_LIMITS, type EntryInput, type PhoneBookEntry, type Route, type RoutingPolicy, SIP_USER } from './types.ts';
import type { PhoneBookTables, PhoneBookRow } from './tables.ts';


function fromRow(r: Selectable<PhoneBookRow>): PhoneBookEntry {
  return {
    id: r.id, siteId: r.site_id, kind: r.kind, name: r.name, department: r.department,
    routes: JSON.parse(r.routes) as Route[], policy: { ...DEFAULT_POLICY, ...(JSON.parse(r.policy) as Partial<RoutingPolicy>) },
  };
}

/**
 * What rings an entry besides a visitor's choice (the SIP door stations'
 * buttons, the SIP accounts' inbound numbers): named when a deletion is refused,
 * let go of when an erasure must remove the entry anyway (the composition root fills it).
 */
export interface EntryReferrers {
  /**
   * What rings the entry: door stations by name, inbound numbers as "number (account)"; both empty: nothing does.
   * Read `within` the deleting transaction (from the tables, never from memory): nothing can name the entry between
   * this check and the delete (review s25 #10).
   */
  namesOf(entryId: string, within: Tx): Promise<{ stations: string[]; numbers: string[] }>;
  /** Makes the stations ring the site's reception instead and the accounts drop the numbers (audited by their owners). */
  release(actor: Actor, entryId: string): Promise<void>;
}

export class PhoneBook {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #sites: Pick<SiteLookup, 'exists'>;
  readonly #indexes = new Map<string, SearchIndex>();
  readonly #entries = new Map<string, PhoneBookEntry>();
  readonly #sipAccounts: (id: string) => boolean;
  readonly #referrers: EntryReferrers | undefined;

  /** sites: whether a site exists (the gateway passes its Sites); sipAccounts: whether a SIP account is configured; referrers: what else rings an entry. */
  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; sites?: Pick<SiteLookup, 'exists'>; sipAccounts?: (id: string) => boolean; referrers?: EntryReferrers }) {
    this.#sipAccounts = deps.sipAccounts ?? (() => false);
    this.#referrers = deps.referrers;
    this.#sites = deps.sites ?? new Sites(deps);
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
  }

  get #db() {
    return this.#store.db.withTables<PhoneBookTables>();
  }

  /** Loads every entry into the search indexes (at start). */
  async load(): Promise<void> {
    for (const row of await this.#db.selectFrom('phonebook_entries').selectAll().execute()) this.#cache(fromRow(row));
  }

  #cache(entry: PhoneBookEntry): void {
    this.#entries.set(entry.id, entry);
    let index = this.#indexes.get(entry.siteId);
    if (!index) { index = new SearchIndex(); this.#indexes.set(entry.siteId, index); }
    index.put(entry);
  }

  #uncache(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#indexes.get(entry.siteId)?.remove(id);
  }

  get(id: string): PhoneBookEntry {
    const entry = this.#entries.get(id);
    if (!entry) throw new NotFoundError(`phone-book entry ${id} not found`);
    return entry;
  }

  /** The entry, or undefined when it was deleted meanwhile (a call's history, a ring). */
  find(id: string): PhoneBookEntry | undefined { return this.#entries.get(id); }

  list(siteId: string): PhoneBookEntry[] {
    return [...this.#entries.values()].filter((e) => e.siteId === siteId).sort((a, b) => a.name.localeCompare(b.name, 'de'));
  }

  search(siteId: string, query: string, limit = 20): SearchHit[] {
    return this.#indexes.get(siteId)?.search(query, limit) ?? [];
  }

  /** The entries (any site) with a route ringing the desk user: their own person entries, and groups naming them. */
  ringing(userId: string): PhoneBookEntry[] {
    return [...this.#entries.values()].filter((e) => e.routes.some((r) => r.type === 'desk-user' && r.userId === userId));
  }

  /** The entries (any site) with a telephone route through a SIP account: it may not go while they name it. */
  routingThrough(accountId: string): PhoneBookEntry[] {
    return [...this.#entries.values()].filter((e) => e.routes.some((r) => r.type === 'sip' && r.accountId === accountId));
  }

  /**
   * The entry whose SIP route is `user` on `accountId` (the call's site first): what a PBX's REFER may move a call to
   * (src/calls/phone-calls.ts) — only what the phone book itself routes, never any number the PBX would dial.
   */
  sipEntry(accountId: string, user: string, siteId: string): PhoneBookEntry | undefined {
    const routes = (e: PhoneBookEntry) => e.routes.some((r) => r.type === 'sip' && r.accountId === accountId && r.user === user);
    const all = [...this.#entries.values()].filter(routes);
    return all.find((e) => e.siteId === siteId) ?? all[0];
  }

  /** The site's reception entry: the last route of every call. */
  reception(siteId: string): PhoneBookEntry | undefined {
    return [...this.#entries.values()].find((e) => e.siteId === siteId && e.kind === 'reception');
  }

  static validate(input: EntryInput): void {
    if (!input.name.trim()) throw new InvalidError('name must not be empty', { reason: 'entry.name-empty' });
    if (input.routes.length === 0) throw new InvalidError('an entry needs at least one route', { reason: 'entry.no-route' });
    if (input.kind === 'reception' && input.routes.some((r) => r.type !== 'desk-group')) {
      throw new InvalidError('the reception rings a group of desks (desk-group routes)', { reason: 'entry.reception-group' });
    }
    const p = input.policy ?? {};
    const { legTimeoutS: leg, capS: cap } = POLICY_LIMITS;
    if (p.legTimeoutS !== undefined && !within(p.legTimeoutS, leg)) throw new InvalidError(`policy.legTimeoutS: ${leg.min} to ${leg.max}`, { reason: 'entry.leg-timeout', params: { ...leg } });
    if (p.capS !== undefined && !within(p.capS, cap)) throw new InvalidError(`policy.capS: ${cap.min} to ${cap.max}`, { reason: 'entry.cap', params: { ...cap } });
  }

  /**
   * A telephone route names a configured SIP account and an extension or number
   * (digits, letters, `+ * . _ ~ -`: what a SIP user part carries unescaped; never
   * visitor input, only what an admin saved).
   */
  #checkSipRoutes(routes: Route[]): void {
    for (const route of routes) {
      if (route.type !== 'sip') continue;
      if (!this.#sipAccounts(route.accountId)) {
        throw new InvalidError(`SIP account "${route.accountId}" is not configured / SIP-Konto "${route.accountId}" ist nicht eingerichtet`);
      }
      if (!SIP_USER.test(route.user)) {
        throw new InvalidError(`"${route.user}" is not an extension or number / ist keine Durchwahl oder Rufnummer`);
      }
    }
  }

  /** Writes entries in one transaction (all or nothing) and returns them. */
  async upsertMany(actor: Actor, inputs: Array<EntryInput & { id?: string }>): Promise<PhoneBookEntry[]> {
    inputs.forEach((i) => { PhoneBook.validate(i); this.#checkSipRoutes(i.routes); });
    const now = this.#clock.now();
    const written = await this.#store.transaction(async (tx) => {
      const db = tx.withTables<PhoneBookTables>();
      const out: PhoneBookEntry[] = [];
      for (const input of inputs) {
        if (!(await this.#sites.exists(input.siteId, tx))) throw new InvalidError(`site ${input.siteId} does not exist`);
        const id = input.id ?? randomUUID();
        const values = {
          site_id: input.siteId, kind: input.kind, name: input.name.trim(), department: input.department?.trim() || null,
          routes: JSON.stringify(input.routes), policy: JSON.stringify(input.policy ?? {}), updated_at: now,
        };
        await db.insertInto('phonebook_entries').values({ id, created_at: now, ...values })
          .onConflict((oc) => oc.column('id').doUpdateSet(values)).execute();
        await this.#audit.append({ actor, action: 'phonebook.write', target: { type: 'phonebook-entry', id }, outcome: 'ok', siteId: input.siteId }, tx);
        out.push({ id, siteId: input.siteId, kind: input.kind, name: values.name, department: values.department, routes: input.routes, policy: { ...DEFAULT_POLICY, ...input.policy } });
      }
      return out;
    });
    written.forEach((e) => this.#cache(e));
    return written;
  }

  /**
   * The site of an entry read from its table `within` a transaction (a door station's or an inbound number's write:
   * an entry deleted meanwhile is not found); undefined when there is none.
   */
  async siteOfEntry(id: string, within: Db | Tx = this.#store.db): Promise<string | undefined> {
    const row = await within.withTables<PhoneBookTables>().selectFrom('phonebook_entries').select('site_id').where('id', '=', id).executeTakeFirst();
    return row?.site_id;
  }

  /**
   * Removes an entry. While a door station or an inbound number rings it the removal
   * is refused (409 naming them; '–' for none of a kind) — unless `release`: an erasure,
   * which must remove it anyway, makes those stations ring the reception and the
   * accounts drop those numbers first. The check and the delete are one transaction:
   * a station or a number written for the entry meanwhile is either seen by the check
   * or written after the delete, where its own check finds the entry gone (refused).
   */
  async remove(actor: Actor, id: string, opts: { release?: boolean } = {}): Promise<void> {
    const entry = this.get(id);
    // An erasure lets go of the referrers first (their owners write in transactions of their own); one added after
    // that is named by the check below like any other, and the erasure is refused rather than leave it dangling.
    if (opts.release && this.#referrers) await this.#referrers.release(actor, id);
    await this.#store.transaction(async (tx) => {
      if (await this.siteOfEntry(id, tx) === undefined) throw new NotFoundError(`phone-book entry ${id} not found`);
      const { stations, numbers } = await this.#referrers?.namesOf(id, tx) ?? { stations: [], numbers: [] };
      if (stations.length + numbers.length > 0) {
        throw new ConflictError(`phone-book entry ${id} is rung by ${[...stations, ...numbers].join(', ')}`, {
          reason: 'entry.in-use', params: { stations: stations.join(', ') || '–', numbers: numbers.join(', ') || '–' },
        });
      }
      await tx.withTables<PhoneBookTables>().deleteFrom('phonebook_entries').where('id', '=', id).execute();
      await this.#audit.append({ actor, action: 'phonebook.delete', target: { type: 'phonebook-entry', id }, outcome: 'ok', siteId: entry.siteId }, tx);
    });
    this.#uncache(id);
  }
}

/** An integer inside the range. */
const within = (n: number, range: { min: number; max: number }): boolean => Number.isInteger(n) && n >= range.min && n <= range.max;
