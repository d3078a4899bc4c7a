// Phone-book entries (src/phonebook) as a holder of personal data: a person's
// name and department, and the desk user its routes ring. Changes go through the
// phone book itself, which audits them and keeps its search index in step.
import type { Store } from '../../store/index.ts';
import type { Actor } from '../../audit/index.ts';
import type { PhoneBook, PhoneBookEntry, PhoneBookTables } from '../../phonebook/index.ts';
import type { Counts, DataCategory, PersonalDataHolder, Subject } from '../contract.ts';

export class PhoneBookHolder implements PersonalDataHolder {
  readonly name = 'phonebook';
  readonly #store: Store;
  readonly #phonebook: PhoneBook;

  constructor(deps: { store: Store; phonebook: PhoneBook }) {
    this.#store = deps.store;
    this.#phonebook = deps.phonebook;
  }

  describe(): DataCategory[] {
    return [{
      category: 'phone-book', where: 'phonebook_entries (name, department, routes)', fields: ['name', 'department', 'routes (desk user ids)'],
      purpose: 'Visitors find and call a person or department at the terminal',
      retentionKey: 'none: kept while the entry is listed (an admin removes it, or erasure does)', retentionDays: null, subjects: ['user', 'phonebook-entry'],
    }];
  }

  /** The entries about `subject`: the entry itself, or every entry whose routes ring the user. */
  async #entries(subject: Subject): Promise<PhoneBookEntry[]> {
    const db = this.#store.db.withTables<PhoneBookTables>();
    if (subject.kind === 'phonebook-entry') {
      const row = await db.selectFrom('phonebook_entries').select('id').where('id', '=', subject.id).executeTakeFirst();
      return row ? [this.#phonebook.get(row.id)] : [];
    }
    if (subject.kind !== 'user') return [];
    // Narrowed in SQL, decided on the parsed routes (an id inside another string must not match).
    const rows = await db.selectFrom('phonebook_entries').select('id').where('routes', 'like', `%${subject.id.replace(/[%_]/g, '')}%`).execute();
    return rows.map((r) => this.#phonebook.get(r.id)).filter((e) => e.routes.some((r) => r.type === 'desk-user' && r.userId === subject.id));
  }

  async export(subject: Subject): Promise<Record<string, unknown>> {
    return { entries: (await this.#entries(subject)).map((e) => ({ id: e.id, siteId: e.siteId, kind: e.kind, name: e.name, department: e.department, routes: e.routes })) };
  }

  /**
   * The entry named, or a user's own person entries, are removed; other entries
   * that ring the user (a department) lose that route, and go when none is left.
   */
  async erase(subject: Subject, by: Actor): Promise<Counts> {
    let removed = 0;
    let changed = 0;
    for (const entry of await this.#entries(subject)) {
      const routes = entry.routes.filter((r) => !(r.type === 'desk-user' && r.userId === subject.id));
      if (subject.kind === 'phonebook-entry' || entry.kind === 'person' || routes.length === 0) {
        // Erased even while a door station rings it: the station rings the reception instead.
        await this.#phonebook.remove(by, entry.id, { release: true });
        removed++;
      } else {
        await this.#phonebook.upsertMany(by, [{ id: entry.id, siteId: entry.siteId, kind: entry.kind, name: entry.name, department: entry.department, routes, policy: entry.policy }]);
        changed++;
      }
    }
    return { entries: removed, routesRemoved: changed };
  }

  /** Entries have no retention period: they are kept while listed. */
  async prune(): Promise<Counts> {
    return {};
  }
}
