// The SLA's stored data (migration 050-sla) through the store layer: minute
// aggregates of health samples and the components' state changes, probe results,
// the gateway's runs, and periods (gaps, planned maintenance, excuses).
import type { Store, Tx } from '../store/index.ts';
import type { Span } from './availability.ts';

type HealthMinuteRow = { minute: number; samples: number; not_ready: number; last_at: number };
type HealthChangeRow = { at: number; component: string; state: string };
type ProbeRow = { at: number; ok: number; sent: number; received: number; error: string | null };
type RunRow = { started_at: number; stopped_at: number | null; drained: number };
type PeriodRow = {
  id: string; kind: string; site_id: string | null; start_at: number; end_at: number; reason: string | null; note: string | null;
  drained: number; created_at: number; created_by: string | null;
};
export type SlaTables = {
  health_minutes: HealthMinuteRow; health_changes: HealthChangeRow; sla_probes: ProbeRow; sla_runs: RunRow; sla_periods: PeriodRow;
};

export interface ProbeResult {
  at: number;
  ok: boolean;
  /** RTP packets sent into the worker and received back out of it. */
  sent: number;
  received: number;
  error: string | null;
}

export type ExcuseReason = 'customer-equipment' | 'security-patch' | 'attack';
export const EXCUSE_REASONS: readonly ExcuseReason[] = ['customer-equipment', 'security-patch', 'attack'];

export interface SlaPeriod extends Span {
  id: string;
  kind: 'gap' | 'planned' | 'excused';
  /** null: every site. */
  siteId: string | null;
  reason: ExcuseReason | null;
  note: string | null;
  /** A gap after a drained shutdown. */
  drained: boolean;
  createdAt: number;
  createdBy: string | null;
}

export interface HealthMinute { minute: number; samples: number; notReady: number; lastAt: number }

const MINUTE = 60_000;

export class SlaRecords {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() { return this.#store.db.withTables<SlaTables>(); }

  /** Counts one sample in its minute; `changes` are the components whose state differs from the previous sample. */
  async sample(at: number, ready: boolean, changes: Array<{ component: string; state: string }>): Promise<void> {
    const minute = Math.floor(at / MINUTE) * MINUTE;
    const notReady = ready ? 0 : 1;
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<SlaTables>();
      await db.insertInto('health_minutes').values({ minute, samples: 1, not_ready: notReady, last_at: at })
        .onConflict((oc) => oc.column('minute').doUpdateSet((eb) => ({
          samples: eb('health_minutes.samples', '+', 1),
          not_ready: eb('health_minutes.not_ready', '+', notReady),
          last_at: at,
        }))).execute();
      if (changes.length) await db.insertInto('health_changes').values(changes.map((c) => ({ at, ...c }))).execute();
    });
  }

  async minutes(span: Span): Promise<HealthMinute[]> {
    const rows = await this.#db.selectFrom('health_minutes').selectAll()
      .where('minute', '>=', span.start).where('minute', '<', span.end).orderBy('minute').execute();
    return rows.map((r) => ({ minute: Number(r.minute), samples: r.samples, notReady: r.not_ready, lastAt: Number(r.last_at) }));
  }

  async changes(span: Span): Promise<HealthChangeRow[]> {
    const rows = await this.#db.selectFrom('health_changes').selectAll()
      .where('at', '>=', span.start).where('at', '<', span.end).orderBy('at').orderBy('component').execute();
    return rows.map((r) => ({ ...r, at: Number(r.at) }));
  }

  /** One component's stored states over `span`: the last change before it (its state at the start), then every change in it. */
  async componentStates(component: string, span: Span): Promise<Array<{ at: number; state: string }>> {
    const before = await this.#db.selectFrom('health_changes').select(['at', 'state'])
      .where('component', '=', component).where('at', '<', span.start).orderBy('at', 'desc').limit(1).executeTakeFirst();
    const rows = await this.#db.selectFrom('health_changes').select(['at', 'state'])
      .where('component', '=', component).where('at', '>=', span.start).where('at', '<', span.end).orderBy('at').execute();
    return [...(before ? [before] : []), ...rows].map((r) => ({ at: Number(r.at), state: r.state }));
  }

  async saveProbe(p: ProbeResult): Promise<void> {
    await this.#db.insertInto('sla_probes').values({ at: p.at, ok: p.ok ? 1 : 0, sent: p.sent, received: p.received, error: p.error })
      .onConflict((oc) => oc.column('at').doNothing()).execute();
  }

  async probes(span: Span): Promise<ProbeResult[]> {
    const rows = await this.#db.selectFrom('sla_probes').selectAll()
      .where('at', '>=', span.start).where('at', '<', span.end).orderBy('at').execute();
    return rows.map((r) => ({ at: Number(r.at), ok: r.ok === 1, sent: r.sent, received: r.received, error: r.error }));
  }

  /** The last instant the gateway was seen running: its last sample, probe or recorded stop. */
  async lastSeen(): Promise<{ at: number; drained: boolean } | null> {
    const db = this.#db;
    const run = await db.selectFrom('sla_runs').selectAll().orderBy('started_at', 'desc').limit(1).executeTakeFirst();
    const minute = await db.selectFrom('health_minutes').select('last_at').orderBy('minute', 'desc').limit(1).executeTakeFirst();
    const probe = await db.selectFrom('sla_probes').select('at').orderBy('at', 'desc').limit(1).executeTakeFirst();
    const seen = [run?.started_at, run?.stopped_at, minute?.last_at, probe?.at].filter((x): x is number => x !== null && x !== undefined).map(Number);
    if (seen.length === 0) return null;
    const at = Math.max(...seen);
    // A drain counts only when the stop it recorded is the last thing seen of that run.
    const drained = run !== undefined && run.stopped_at !== null && Number(run.stopped_at) === at && run.drained === 1;
    return { at, drained };
  }

  /** Deletes samples, changes, probes, runs and periods that ended before `before` (sla.retention_days). */
  async prune(before: number): Promise<number> {
    const minute = Math.floor(before / MINUTE) * MINUTE;
    return this.#store.transaction(async (tx) => {
      const db = tx.withTables<SlaTables>();
      const counts = [
        await db.deleteFrom('health_minutes').where('minute', '<', minute).executeTakeFirst(),
        await db.deleteFrom('health_changes').where('at', '<', before).executeTakeFirst(),
        await db.deleteFrom('sla_probes').where('at', '<', before).executeTakeFirst(),
        // A run that never recorded its stop (a crash) goes by its start.
        await db.deleteFrom('sla_runs').where((eb) => eb.or([
          eb('stopped_at', '<', before), eb.and([eb('stopped_at', 'is', null), eb('started_at', '<', before)]),
        ])).executeTakeFirst(),
        await db.deleteFrom('sla_periods').where('end_at', '<', before).executeTakeFirst(),
      ];
      return counts.reduce((n, c) => n + Number(c.numDeletedRows), 0);
    });
  }

  async runStarted(at: number): Promise<void> {
    await this.#db.insertInto('sla_runs').values({ started_at: at, stopped_at: null, drained: 0 })
      .onConflict((oc) => oc.column('started_at').doNothing()).execute();
  }

  async runStopped(startedAt: number, at: number, drained: boolean): Promise<void> {
    await this.#db.updateTable('sla_runs').set({ stopped_at: at, drained: drained ? 1 : 0 }).where('started_at', '=', startedAt).execute();
  }

  async addPeriod(p: SlaPeriod, tx?: Tx): Promise<void> {
    const db = tx ? tx.withTables<SlaTables>() : this.#db;
    await db.insertInto('sla_periods').values({
      id: p.id, kind: p.kind, site_id: p.siteId, start_at: p.start, end_at: p.end, reason: p.reason, note: p.note,
      drained: p.drained ? 1 : 0, created_at: p.createdAt, created_by: p.createdBy,
    }).execute();
  }

  /** Periods overlapping `span` that apply to `siteId` (its own and every site's). */
  async periods(span: Span, siteId: string): Promise<SlaPeriod[]> {
    const rows = await this.#db.selectFrom('sla_periods').selectAll()
      .where('start_at', '<', span.end).where('end_at', '>', span.start)
      .where((eb) => eb.or([eb('site_id', 'is', null), eb('site_id', '=', siteId)]))
      .orderBy('start_at').orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id, kind: r.kind as SlaPeriod['kind'], siteId: r.site_id, start: Number(r.start_at), end: Number(r.end_at),
      reason: r.reason as ExcuseReason | null, note: r.note, drained: r.drained === 1, createdAt: Number(r.created_at), createdBy: r.created_by,
    }));
  }
}
