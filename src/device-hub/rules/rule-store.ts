// Rules in the store: every write bumps the version, keeps the definition in
// rule_versions and is audited. File-seeded rules (source: file) are read-only here.
import type { Kysely } from 'kysely';
import type { Store } from '../../store/index.ts';
import type { AuditLog, Actor } from '../../audit/index.ts';
import { ConflictError, InvalidError, NotFoundError, type Clock } from '../../core/index.ts';
import type { DeviceHubTables, HubTables } from '../tables.ts';
import { parseRule, type Rule } from './rule-schema.ts';
import { foreignReference, type RuleScope } from './rule-scope.ts';

export interface StoredRule {
  id: string;
  siteId: string;
  version: number;
  source: 'store' | 'file';
  file: string | null;
  enabled: boolean;
  definition: Rule;
  updatedAt: number;
}

/** One write of a rule; `definition` is null for the deletion. */
export interface RuleVersion { version: number; definition: Rule | null; at: number; actor: Actor }

export class RuleStore {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #scope: RuleScope;

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; scope: RuleScope }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#scope = deps.scope;
  }

  #db(tx?: Kysely<HubTables>): Kysely<HubTables> {
    return tx ?? (this.#store.db.withTables<DeviceHubTables>());
  }

  async list(siteId?: string): Promise<StoredRule[]> {
    let q = this.#db().selectFrom('rules').selectAll().orderBy('id');
    if (siteId) q = q.where('site_id', '=', siteId);
    return (await q.execute()).map((r) => ({
      id: r.id, siteId: r.site_id, version: r.version, source: r.source, file: r.file, enabled: r.enabled === 1,
      definition: JSON.parse(r.definition) as Rule, updatedAt: r.updated_at,
    }));
  }

  async get(id: string): Promise<StoredRule | undefined> {
    return (await this.list()).find((r) => r.id === id);
  }

  /** Creates or replaces an admin-edited rule. */
  async put(actor: Actor, value: unknown): Promise<StoredRule> {
    const parsed = parseRule(value);
    if (!parsed.ok) throw new InvalidError(`rule field ${parsed.field}: ${parsed.message}`, parsed.why);
    // Files are checked when their rules fire: they may name devices registered later.
    const foreign = await foreignReference(parsed.rule, this.#scope);
    if (foreign) throw new InvalidError(`rule ${parsed.rule.id} field ${foreign.field}: ${foreign.message}`, foreign.why);
    const existing = await this.get(parsed.rule.id);
    if (existing?.source === 'file') throw new ConflictError(`rule ${parsed.rule.id} comes from ${existing.file}; edit the file`, { reason: 'rule.from-file', params: { id: parsed.rule.id, file: existing.file ?? '' } });
    await this.#write(actor, parsed.rule, 'store', null, existing?.version ?? 0);
    return (await this.get(parsed.rule.id))!;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const existing = await this.get(id);
    if (!existing) throw new NotFoundError(`rule ${id} not found`);
    if (existing.source === 'file') throw new ConflictError(`rule ${id} comes from ${existing.file}; edit the file`);
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<DeviceHubTables>();
      await db.deleteFrom('rules').where('id', '=', id).execute();
      await db.insertInto('rule_versions').values({ rule_id: id, version: existing.version + 1, definition: null, actor_type: actor.type, actor_id: actor.id, at: this.#clock.now() }).execute();
      await this.#audit.append({ actor, action: 'rule.delete', target: { type: 'rule', id }, outcome: 'ok', siteId: existing.siteId }, tx);
    });
  }

  /**
   * Makes the file-sourced rules equal to `rules` (already validated): new and
   * changed ones are written with a new version, vanished ones deleted.
   */
  async syncFiles(rules: Array<{ file: string; rule: Rule }>): Promise<{ changed: string[]; removed: string[] }> {
    const current = await this.list();
    const clash = rules.find(({ rule }) => current.some((c) => c.id === rule.id && c.source === 'store'));
    if (clash) throw new ConflictError(`file ${clash.file}: rule ${clash.rule.id}: id is taken by a rule edited in the admin page`);
    const system: Actor = { type: 'system', id: null };
    const changed: string[] = [];
    for (const { file, rule } of rules) {
      const old = current.find((c) => c.id === rule.id);
      if (old && old.file === file && JSON.stringify(old.definition) === JSON.stringify(rule)) continue;
      await this.#write(system, rule, 'file', file, old?.version ?? 0);
      changed.push(rule.id);
    }
    const keep = new Set(rules.map((r) => r.rule.id));
    const removed = current.filter((c) => c.source === 'file' && !keep.has(c.id)).map((c) => c.id);
    for (const id of removed) {
      await this.#store.transaction(async (tx) => {
        await (tx.withTables<DeviceHubTables>()).deleteFrom('rules').where('id', '=', id).execute();
        await this.#audit.append({ actor: system, action: 'rule.delete', target: { type: 'rule', id }, outcome: 'ok', details: { source: 'file' } }, tx);
      });
    }
    return { changed, removed };
  }

  async versions(id: string): Promise<RuleVersion[]> {
    const rows = await this.#db().selectFrom('rule_versions').selectAll().where('rule_id', '=', id).orderBy('version').execute();
    return rows.map((r) => ({
      version: r.version, definition: r.definition ? JSON.parse(r.definition) as Rule : null, at: r.at,
      actor: { type: r.actor_type as Actor['type'], id: r.actor_id },
    }));
  }

  async #write(actor: Actor, rule: Rule, source: 'store' | 'file', file: string | null, oldVersion: number): Promise<void> {
    const version = oldVersion + 1;
    const definition = JSON.stringify(rule);
    const at = this.#clock.now();
    const row = { id: rule.id, site_id: rule.site, version, source, file, enabled: rule.enabled === false ? 0 : 1, definition, updated_at: at };
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<DeviceHubTables>();
      await db.insertInto('rules').values(row).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
      await db.insertInto('rule_versions').values({ rule_id: rule.id, version, definition, actor_type: actor.type, actor_id: actor.id, at }).execute();
      await this.#audit.append({ actor, action: 'rule.write', target: { type: 'rule', id: rule.id }, outcome: 'ok', siteId: rule.site, details: { version, source, file } }, tx);
    });
  }
}
