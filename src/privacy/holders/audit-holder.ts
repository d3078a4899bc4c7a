// The audit log as a holder of personal data: actors, targets and some details
// name people — as pseudonyms under per-subject keys since migration 095, in
// clear before. Entries are evidence (input control), so erasure keeps them
// until their retention ends and deletes the person's keys instead (Privacy,
// after its own privacy.erase entry); pruning is the only delete the database
// lets through (migration 060). The admins' addresses in entries go with their
// day's key after audit.address_retention_days.
import { jsonText, type Store } from '../../store/index.ts';
import { PERSONAL_DETAILS, type AuditLog } from '../../audit/index.ts';
import { DAY_MS, subjectKeyKinds, type Counts, type DataCategory, type PersonalDataHolder, type Subject } from '../contract.ts';

type GrantTables = { audit_prune_grants: { audit_seq: number; before: number } };

export class AuditHolder implements PersonalDataHolder {
  readonly name = 'audit';
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #days: number;
  readonly #addressDays: number;

  constructor(deps: { store: Store; audit: AuditLog; retentionDays: number; addressRetentionDays?: number }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#days = deps.retentionDays;
    this.#addressDays = deps.addressRetentionDays ?? 7;
  }

  describe(): DataCategory[] {
    return [{
      category: 'audit-log', where: 'audit_log (actor_id, target_id, site_id, details)', fields: ['actor_id', 'target_id', 'at', 'details'],
      purpose: 'Input control: who did what when (DPA technical measure); kept after an erasure until its retention ends',
      retentionKey: 'privacy.retention_days.audit', retentionDays: this.#days, subjects: ['user', 'card-holder', 'phonebook-entry'],
    }, {
      category: 'audit-pseudonym-keys', where: 'subject_keys (kind, subject_id, holder, pseudonym, sealed_key)', fields: ['subject_id', 'holder', 'pseudonym', 'created_at'],
      purpose: 'Links the pseudonyms in audit entries to a person (one random key each, sealed under the master key) until the person is erased (crypto-shredding)',
      retentionKey: 'none: deleted when the person is erased', retentionDays: null, subjects: ['user', 'card-holder', 'phonebook-entry'],
    }, {
      category: 'audit-addresses', where: 'audit_log (details.from, sealed under a key per day in audit_address_keys)', fields: ['details.from'],
      purpose: 'Input control: from where an admin read or changed personal data', retentionKey: 'audit.address_retention_days (the day\'s key is deleted)',
      retentionDays: this.#addressDays, subjects: ['user'],
    }];
  }

  /** How the subject's entries are stored: their pseudonyms while the keys exist, and their clear id (entries before migration 095). */
  async #names(subject: Subject): Promise<{ pseudonyms: string[]; clear: string }> {
    const keys = this.#audit.pseudonyms?.keys;
    return { pseudonyms: keys ? await keys.ofPerson(subject.id, subjectKeyKinds(subject.kind)) : [], clear: subject.id };
  }

  /**
   * The subject's entries: named as actor, target, or in a detail field that holds a
   * person's id (PERSONAL_DETAILS) — an exact match on each field, never a search in
   * the details' text (review s20 #15: `instr()` was SQLite-only, one term per
   * pseudonym, and found a pseudonym anywhere in the text).
   */
  #entriesOf(names: { pseudonyms: string[]; clear: string }, subject: Subject) {
    const all = [...names.pseudonyms, names.clear];
    return this.#store.db.selectFrom('audit_log').where((eb) => eb.or([
      // Only users act; before migration 095 by their clear id.
      ...(subject.kind === 'user' ? [eb('actor_id', 'in', all)] : []),
      eb('target_id', 'in', all),
      ...(names.pseudonyms.length > 0 ? Object.keys(PERSONAL_DETAILS).map((field) => eb(jsonText('details', field), 'in', names.pseudonyms)) : []),
    ]));
  }

  /**
   * The subject's entries as shown (their ids and everyone else's opened, erased
   * people marked), and which of their own identifiers the entries were found by —
   * never the stored pseudonyms themselves (review s20 #16: a subject who kept
   * them could link themselves to a leaked copy of the log after their erasure).
   */
  async export(subject: Subject): Promise<Record<string, unknown>> {
    const names = await this.#names(subject);
    const rows = await this.#audit.reveal(await this.#entriesOf(names, subject).selectAll().orderBy('seq').execute());
    const own = await this.#audit.pseudonyms?.keys.resolve(names.pseudonyms);
    const identifiers = [...new Map([...(own?.values() ?? [])].map((r) => [`${r.kind}\u0000${r.id}`, r])).values()];
    return {
      identifiers,
      entries: rows.map((r) => ({
        seq: r.seq, at: new Date(r.at).toISOString(), actor: { type: r.actor_type, id: r.actor_id }, action: r.action,
        target: r.target_type ? { type: r.target_type, id: r.target_id } : null, outcome: r.outcome, siteId: r.site_id,
        details: r.details ? JSON.parse(r.details) as unknown : null,
      })),
    };
  }

  /**
   * Entries stay (evidence of who did what) until their retention ends; the
   * person's keys (counted here) are deleted by Privacy after its privacy.erase
   * entry, which is written under them too.
   */
  async erase(subject: Subject): Promise<Counts> {
    const names = await this.#names(subject);
    const row = await this.#entriesOf(names, subject).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { retained: Number(row.n), keys: names.pseudonyms.length };
  }

  /**
   * Deletes entries older than the retention in one transaction: first the
   * `audit.prune` entry counting them, then the grant the delete trigger checks,
   * the delete itself, and the grant goes again. The log has no index on time
   * (appends stay cheap): the entries in question are found by seq below the
   * first entry of the cutoff, so a pass reads only what it deletes. Only a
   * run from the start goes (an entry a stepped-back clock wrote young ends the
   * run), so the chain stays whole: the anchor moves to the first kept entry
   * with the hash of the last deleted one, and verifyChain starts there; the
   * checkpoints below it go in the same transaction.
   */
  async prune(now: number): Promise<Counts> {
    const addressKeys = await this.#audit.pseudonyms?.addresses?.prune(now, this.#addressDays) ?? 0;
    return { ...await this.#pruneEntries(now), ...(addressKeys > 0 ? { addressKeys } : {}) };
  }

  async #pruneEntries(now: number): Promise<Counts> {
    const before = now - this.#days * DAY_MS;
    return this.#store.transaction(async (tx) => {
      const cutoff = await this.#audit.firstSeqFrom(before, tx);
      const young = await tx.selectFrom('audit_log').select((eb) => eb.fn.min('seq').as('seq')).where('seq', '<', cutoff).where('at', '>=', before).executeTakeFirstOrThrow();
      const below = young.seq === null ? cutoff : Math.min(cutoff, Number(young.seq));
      const { n } = await tx.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('seq', '<', below).executeTakeFirstOrThrow();
      const count = Number(n);
      if (count === 0) return { entries: 0 };
      const last = await tx.selectFrom('audit_log').select(['seq', 'hash']).where('seq', '<', below).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
      // The new anchor goes into the chain itself: verify against an off-box checkpoint accepts a later anchor only so recorded.
      const anchor = { seq: last.seq + 1, prevHash: last.hash! };
      await this.#audit.append({ actor: { type: 'system', id: null }, action: 'audit.prune', outcome: 'ok', details: { before, entries: count, retentionDays: this.#days, anchor } }, tx);
      const { seq } = await tx.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow();
      const grants = tx.withTables<GrantTables>();
      await grants.insertInto('audit_prune_grants').values({ audit_seq: Number(seq), before }).execute();
      await tx.updateTable('audit_chain_anchor').set({ seq: anchor.seq, prev_hash: anchor.prevHash }).where('id', '=', 1).execute();
      // Checkpoints of deleted entries name nothing verify could still check.
      await tx.deleteFrom('audit_checkpoints').where('seq', '<', last.seq + 1).execute();
      const deleted = await tx.deleteFrom('audit_log').where('seq', '<', below).where('seq', '<', Number(seq)).executeTakeFirst();
      await grants.deleteFrom('audit_prune_grants').execute();
      if (Number(deleted.numDeletedRows) !== count) throw new Error(`audit prune: counted ${count}, deleted ${deleted.numDeletedRows}`);
      return { entries: count };
    });
  }
}
