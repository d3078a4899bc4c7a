// SLA periods (the quality component's sla_periods) as a holder of personal data:
// who marked planned maintenance or excused an outage (`created_by`, a user id).
// The periods themselves are about the service, not a person, and the monthly
// report needs them: erasure anonymises the author, the SLA figures stay; the
// periods go with the SLA data after sla.retention_days (the health sampler prunes them).
import type { Store } from '../../store/index.ts';
import type { SlaTables } from '../../quality/index.ts';
import type { Counts, DataCategory, PersonalDataHolder, Subject } from '../contract.ts';
import { ERASED } from './call-records-holder.ts';

export class SlaPeriodsHolder implements PersonalDataHolder {
  readonly name = 'sla';
  readonly #store: Store;
  readonly #retentionDays: number;

  constructor(deps: { store: Store; retentionDays: number }) {
    this.#store = deps.store;
    this.#retentionDays = deps.retentionDays;
  }

  get #db() { return this.#store.db.withTables<SlaTables>(); }

  describe(): DataCategory[] {
    return [{
      category: 'sla-periods', where: 'sla_periods (created_by)', fields: ['created_by (user id of who marked maintenance or an excuse)'],
      purpose: 'Accountability for what the monthly availability report leaves out (planned maintenance, excused outages)',
      retentionKey: 'sla.retention_days (with the SLA data; erasure anonymises the author and keeps the period)',
      retentionDays: this.#retentionDays, subjects: ['user'],
    }];
  }

  async export(subject: Subject): Promise<Record<string, unknown>> {
    if (subject.kind !== 'user') return { periods: [] };
    const rows = await this.#db.selectFrom('sla_periods').select(['id', 'kind', 'site_id', 'start_at', 'end_at', 'reason', 'created_at'])
      .where('created_by', '=', subject.id).orderBy('created_at').execute();
    return {
      periods: rows.map((r) => ({
        id: r.id, kind: r.kind, siteId: r.site_id, start: new Date(Number(r.start_at)).toISOString(), end: new Date(Number(r.end_at)).toISOString(),
        reason: r.reason, markedAt: new Date(Number(r.created_at)).toISOString(),
      })),
    };
  }

  /** The periods stay (the report's figures depend on them); their author becomes `erased`. */
  async erase(subject: Subject): Promise<Counts> {
    if (subject.kind !== 'user') return {};
    const r = await this.#db.updateTable('sla_periods').set({ created_by: ERASED }).where('created_by', '=', subject.id).executeTakeFirst();
    return { slaPeriodsAnonymised: Number(r.numUpdatedRows) };
  }

  /** The health sampler deletes periods with the rest of the SLA data (sla.retention_days). */
  async prune(): Promise<Counts> {
    return {};
  }
}
