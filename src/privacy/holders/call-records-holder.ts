// Call records (the calls component's tables, read and changed here through the
// store) as a holder of personal data: which desk user answered or took part,
// which phone-book entry was called, when. Erasure anonymises (reports keep
// their counts), retention deletes whole ended calls.
import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import type { CallTables } from '../../calls/index.ts';
import { auditedPrune } from '../audited-prune.ts';
import { DAY_MS, type Counts, type DataCategory, type PersonalDataHolder, type Subject } from '../contract.ts';

/** What an erased person's id becomes in a call record. */
export const ERASED = 'erased';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const like = (id: string): string => `%${id.replace(/[%_]/g, '')}%`;

/** A leg's route names the user it rang (parsed: an id inside another string must not match). */
const routesTo = (route: string, userId: string): boolean => {
  const r = JSON.parse(route) as { type?: string; userId?: string };
  return r.type === 'desk-user' && r.userId === userId;
};

export class CallRecordsHolder implements PersonalDataHolder {
  readonly name = 'calls';
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #days: number;

  constructor(deps: { store: Store; audit: AuditLog; retentionDays: number }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#days = deps.retentionDays;
  }

  get #db() { return this.#store.db.withTables<CallTables>(); }

  describe(): DataCategory[] {
    return [{
      category: 'call-records', where: 'calls (answered_by, entry_id), call_legs (route, answered_by), call_participants (participant_id)',
      fields: ['answered_by', 'entry_id', 'route.userId', 'participant_id', 'started_at', 'answered_at', 'ended_at', 'joined_at', 'left_at'],
      purpose: 'Call history of desks, missed calls and call-quality/SLA reports',
      retentionKey: 'privacy.retention_days.call_records', retentionDays: this.#days, subjects: ['user', 'phonebook-entry'],
    }];
  }

  /** The ids of the calls `subject` appears in. */
  async #callIds(subject: Subject): Promise<string[]> {
    const db = this.#db;
    if (subject.kind === 'phonebook-entry') {
      return (await db.selectFrom('calls').select('id').where('entry_id', '=', subject.id).execute()).map((r) => r.id);
    }
    if (subject.kind !== 'user') return [];
    const ids = new Set<string>();
    for (const r of await db.selectFrom('calls').select('id').where('answered_by', '=', subject.id).execute()) ids.add(r.id);
    for (const r of await db.selectFrom('call_participants').select('call_id').where('participant_id', '=', subject.id).execute()) ids.add(r.call_id);
    for (const r of await db.selectFrom('call_legs').select(['call_id', 'route', 'answered_by'])
      .where((eb) => eb.or([eb('answered_by', '=', subject.id), eb('route', 'like', like(subject.id))])).execute()) {
      if (r.answered_by === subject.id || routesTo(r.route, subject.id)) ids.add(r.call_id);
    }
    return [...ids];
  }

  async export(subject: Subject): Promise<Record<string, unknown>> {
    const ids = await this.#callIds(subject);
    if (ids.length === 0) return { calls: [] };
    const db = this.#db;
    const calls = await db.selectFrom('calls').selectAll().where('id', 'in', ids).orderBy('started_at').execute();
    const participants = await db.selectFrom('call_participants').selectAll().where('call_id', 'in', ids).where('participant_id', '=', subject.id).execute();
    const legs = await db.selectFrom('call_legs').selectAll().where('call_id', 'in', ids).orderBy('seq').execute();
    return {
      calls: calls.map((c) => ({
        id: c.id, siteId: c.site_id, terminalId: c.terminal_id, entryId: c.entry_id, startedAt: iso(c.started_at), answeredAt: iso(c.answered_at),
        answeredBy: c.answered_by, endedAt: iso(c.ended_at), outcome: c.outcome, endReason: c.end_reason,
        participation: participants.filter((p) => p.call_id === c.id).map((p) => ({ kind: p.kind, joinedAt: iso(p.joined_at), leftAt: iso(p.left_at) })),
        legs: legs.filter((l) => l.call_id === c.id && (l.answered_by === subject.id || routesTo(l.route, subject.id)))
          .map((l) => ({ seq: l.seq, route: JSON.parse(l.route) as unknown, state: l.state, answeredBy: l.answered_by, startedAt: iso(l.started_at), endedAt: iso(l.ended_at) })),
      })),
    };
  }

  /** Anonymises: the calls stay (reports count them), the person's id goes. */
  async erase(subject: Subject): Promise<Counts> {
    const ids = await this.#callIds(subject);
    if (ids.length === 0) return { calls: 0 };
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<CallTables>();
      if (subject.kind === 'phonebook-entry') {
        await db.updateTable('calls').set({ entry_id: ERASED }).where('entry_id', '=', subject.id).execute();
        return;
      }
      await db.updateTable('calls').set({ answered_by: null }).where('answered_by', '=', subject.id).execute();
      await db.updateTable('call_legs').set({ answered_by: null }).where('answered_by', '=', subject.id).execute();
      for (const leg of await db.selectFrom('call_legs').select(['call_id', 'seq', 'route']).where('call_id', 'in', ids).execute()) {
        if (!routesTo(leg.route, subject.id)) continue;
        await db.updateTable('call_legs').set({ route: JSON.stringify({ ...JSON.parse(leg.route) as object, userId: ERASED }) })
          .where('call_id', '=', leg.call_id).where('seq', '=', leg.seq).execute();
      }
      // The participant key must stay unique per call: a random stand-in nobody can link back.
      for (const p of await db.selectFrom('call_participants').select('call_id').where('participant_id', '=', subject.id).execute()) {
        await db.updateTable('call_participants').set({ participant_id: `${ERASED}-${randomUUID()}` })
          .where('call_id', '=', p.call_id).where('participant_id', '=', subject.id).execute();
      }
    });
    return { calls: ids.length };
  }

  /** Ended calls that started before the retention period, with their legs and participants. */
  async prune(now: number): Promise<Counts> {
    const before = now - this.#days * DAY_MS;
    return auditedPrune(this.#store, this.#audit, this.name, { callRecordDays: this.#days }, async (tx) => {
      const db = tx.withTables<CallTables>();
      const old = db.selectFrom('calls').select('id').where('started_at', '<', before).where('ended_at', 'is not', null);
      // Deleted explicitly, not left to ON DELETE CASCADE: the store layer must not depend on one dialect's foreign keys.
      await db.deleteFrom('call_participants').where('call_id', 'in', old).execute();
      await db.deleteFrom('call_legs').where('call_id', 'in', old).execute();
      const calls = await db.deleteFrom('calls').where('started_at', '<', before).where('ended_at', 'is not', null).executeTakeFirst();
      return { calls: Number(calls.numDeletedRows) };
    });
  }
}
