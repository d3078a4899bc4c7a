// The device hub's personal data: access cards and visitor badges (keyed hash of
// the number, holder reference, validity), who issued door commands, who wrote
// rule versions. Retention is the hub's own job (DeviceHub.pruneExpired), wrapped
// here, not duplicated; cards are removed through the hub (removeCard), which audits.
import type { Store } from '../../store/index.ts';
import type { Actor } from '../../audit/index.ts';
import type { DeviceHubTables } from '../../device-hub/tables.ts';
import type { Counts, DataCategory, PersonalDataHolder, Subject } from '../contract.ts';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** The device hub as a participant of the privacy contract (DeviceHub implements it). */
export interface HubPrivacyPorts {
  removeCard(actor: Actor, id: string): Promise<void>;
  pruneExpired(): Promise<{ commands: number; visitorCards: number }>;
  /** The hub's retention periods in days (device_hub.command_retention_days, visitor_card_retention_days). */
  readonly retentionDays: { commands: number; visitorCards: number };
}

export class DeviceHubHolder implements PersonalDataHolder {
  readonly name = 'device-hub';
  readonly #store: Store;
  readonly #hub: HubPrivacyPorts;

  constructor(deps: { store: Store; hub: HubPrivacyPorts }) {
    this.#store = deps.store;
    this.#hub = deps.hub;
  }

  get #db() { return this.#store.db.withTables<DeviceHubTables>(); }

  describe(): DataCategory[] {
    return [
      {
        category: 'employee-cards', where: 'cards (kind employee)', fields: ['card_hash (keyed hash of the card number)', 'holder_ref', 'valid_from', 'valid_until', 'doors'],
        purpose: 'Opening doors with an access card', retentionKey: 'none: kept until removed or erased', retentionDays: null, subjects: ['user', 'card-holder'],
      },
      {
        category: 'visitor-cards', where: 'cards (kind visitor)', fields: ['card_hash (keyed hash of the card number)', 'holder_ref', 'valid_from', 'valid_until', 'doors'],
        purpose: 'A visitor opens doors during the visit', retentionKey: 'device_hub.visitor_card_retention_days (days after validity ended)',
        retentionDays: this.#hub.retentionDays.visitorCards, subjects: ['user', 'card-holder'],
      },
      {
        category: 'door-commands', where: 'door_commands (issued_by_id)', fields: ['issued_by_id', 'created_at', 'settled_at'],
        purpose: 'Delivering door unlocks reliably (outbox)', retentionKey: 'device_hub.command_retention_days (days after settled)',
        retentionDays: this.#hub.retentionDays.commands, subjects: ['user'],
      },
      {
        category: 'rule-authors', where: 'rule_versions (actor_id)', fields: ['actor_id', 'at'],
        purpose: 'History of who changed an automation rule', retentionKey: 'none: kept with the rule history until erased', retentionDays: null, subjects: ['user'],
      },
    ];
  }

  async export(subject: Subject): Promise<Record<string, unknown>> {
    const db = this.#db;
    const cards = subject.kind === 'phonebook-entry' ? [] : await db.selectFrom('cards').selectAll().where('holder_ref', '=', subject.id).orderBy('created_at').execute();
    const user = subject.kind === 'user';
    const commands = user ? await db.selectFrom('door_commands').selectAll().where('issued_by_type', '=', 'user').where('issued_by_id', '=', subject.id).orderBy('created_at').execute() : [];
    const versions = user ? await db.selectFrom('rule_versions').select(['rule_id', 'version', 'at']).where('actor_type', '=', 'user').where('actor_id', '=', subject.id).orderBy('seq').execute() : [];
    return {
      // The card number itself is never stored: its keyed hash is the card's id.
      cards: cards.map((c) => ({ id: c.card_hash, siteId: c.site_id, kind: c.kind, validFrom: iso(c.valid_from), validUntil: iso(c.valid_until), doors: c.doors === null ? null : JSON.parse(c.doors) as unknown, createdAt: iso(c.created_at) })),
      doorCommands: commands.map((c) => ({ id: c.id, doorId: c.door_id, siteId: c.site_id, action: c.action, seconds: c.seconds, state: c.state, createdAt: iso(c.created_at), settledAt: iso(c.settled_at) })),
      ruleVersions: versions.map((v) => ({ ruleId: v.rule_id, version: v.version, at: iso(v.at) })),
    };
  }

  /** Cards go (through the hub, audited per card); door commands and rule versions keep what happened but lose who. */
  async erase(subject: Subject, by: Actor): Promise<Counts> {
    if (subject.kind === 'phonebook-entry') return {};
    const cards = await this.#db.selectFrom('cards').select('card_hash').where('holder_ref', '=', subject.id).execute();
    for (const c of cards) await this.#hub.removeCard(by, c.card_hash);
    if (subject.kind !== 'user') return { cards: cards.length };
    return this.#store.transaction(async (tx) => {
      const db = tx.withTables<DeviceHubTables>();
      const commands = await db.updateTable('door_commands').set({ issued_by_id: null })
        .where('issued_by_type', '=', 'user').where('issued_by_id', '=', subject.id).executeTakeFirst();
      const versions = await db.updateTable('rule_versions').set({ actor_id: null })
        .where('actor_type', '=', 'user').where('actor_id', '=', subject.id).executeTakeFirst();
      return { cards: cards.length, doorCommands: Number(commands.numUpdatedRows), ruleVersions: Number(versions.numUpdatedRows) };
    });
  }

  /** The hub's own retention pass (it audits itself); its clock is the same as the caller's. */
  async prune(): Promise<Counts> {
    return this.#hub.pruneExpired();
  }
}
