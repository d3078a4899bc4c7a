// The service level of one site and month, as the contract defines it
// (../shared/docs/PRODUCT.md): outages from the synthetic probe and from the
// gaps the gateway was not running, planned maintenance and excuses (recorded
// here with their audit entry), computed with availability.ts; plus the month's
// calls from the call records (answer rate, time to answer) and call_quality.
// The report's shape, its buckets and its CSV form: sla-report.ts.
import { randomUUID } from 'node:crypto';
import { InvalidError, TypedEmitter, type Clock } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import type { CallTables } from '../calls/index.ts';
import type { QualityTables } from './call-quality-records.ts';
import {
  DEFAULT_MAINTENANCE_WINDOW, monthSpan, monthlyAvailability, outagesFromSamples, windowSpans, merge,
  type MonthlyAvailability, type Span, type WeeklyWindow,
} from './availability.ts';
import { zonedToUtc, localYearMonth } from './zoned-time.ts';
import { EXCUSE_REASONS, type ExcuseReason, type SlaPeriod, type SlaRecords } from './sla-records.ts';
import { histogram, percentile, MOS_EDGES, ANSWER_EDGES, type SlaOutage, type SlaReport } from './sla-report.ts';

export interface SlaSettings {
  /** Consecutive failed probes that make the service down. */
  probeFailures: number;
  mosThreshold: number;
  noteMaxChars: number;
  window?: WeeklyWindow | null;
}

/** Where a site's time zone comes from (src/sites). */
export interface SiteDirectory {
  get(id: string): Promise<{ id: string; name: string; timeZone: string }>;
}

const DAY = 86_400_000;

/** "2026-03" → [2026, 3]; anything else is refused by name. */
export function parseMonth(month: string): [number, number] {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new InvalidError(`month ${month} is not YYYY-MM`);
  return [Number(m[1]), Number(m[2])];
}

/** Spans in which a component's stored state was `down`, from its changes in time order; one still down lasts until `until`. */
export function stateOutages(changes: Array<{ at: number; state: string }>, down: string, until: number): Span[] {
  const spans: Span[] = [];
  let from: number | null = null;
  for (const c of changes) {
    if (c.state === down) from ??= c.at;
    else if (from !== null) { spans.push({ start: from, end: c.at }); from = null; }
  }
  if (from !== null && until > from) spans.push({ start: from, end: until });
  return spans;
}

/** period: planned maintenance or an excuse was recorded (the budget watch computes its site again). */
export type ServiceLevelEvents = { period: [SlaPeriod] };

export class ServiceLevel extends TypedEmitter<ServiceLevelEvents> {
  readonly #store: Store;
  readonly #records: SlaRecords;
  readonly #audit: AuditLog;
  readonly #sites: SiteDirectory;
  readonly #clock: Clock;
  readonly #s: SlaSettings;

  constructor(deps: { store: Store; records: SlaRecords; audit: AuditLog; sites: SiteDirectory; clock: Clock; settings: SlaSettings }) {
    super();
    this.#store = deps.store;
    this.#records = deps.records;
    this.#audit = deps.audit;
    this.#sites = deps.sites;
    this.#clock = deps.clock;
    this.#s = deps.settings;
  }

  get #window(): WeeklyWindow | null { return this.#s.window === undefined ? DEFAULT_MAINTENANCE_WINDOW : this.#s.window; }

  #checkSpan(start: number, end: number): void {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) throw new InvalidError('end must be after start (ms since the epoch)');
  }

  #checkNote(note: string | null | undefined): string | null {
    if (note == null || note === '') return null;
    if (note.length > this.#s.noteMaxChars) throw new InvalidError(`note is longer than ${this.#s.noteMaxChars} characters`);
    return note;
  }

  /** Reclassifies downtime in [start, end) as excused, with its reason and an audit entry (one transaction). */
  async excuse(actor: Actor, input: { siteId: string | null; start: number; end: number; reason: string; note?: string | null }): Promise<SlaPeriod> {
    this.#checkSpan(input.start, input.end);
    if (!EXCUSE_REASONS.includes(input.reason as ExcuseReason)) throw new InvalidError(`reason ${input.reason} is not one of ${EXCUSE_REASONS.join(', ')}`);
    return this.#add(actor, 'sla.excuse', { ...input, kind: 'excused', reason: input.reason as ExcuseReason });
  }

  /** Agreed maintenance in [start, end) (before or after the fact), with an audit entry. */
  async plan(actor: Actor, input: { siteId: string | null; start: number; end: number; note?: string | null }): Promise<SlaPeriod> {
    this.#checkSpan(input.start, input.end);
    return this.#add(actor, 'sla.plan', { ...input, kind: 'planned', reason: null });
  }

  async #add(actor: Actor, action: string, input: {
    siteId: string | null; start: number; end: number; kind: 'planned' | 'excused'; reason: ExcuseReason | null; note?: string | null;
  }): Promise<SlaPeriod> {
    const note = this.#checkNote(input.note);
    if (input.siteId !== null) await this.#sites.get(input.siteId);
    const period: SlaPeriod = {
      id: randomUUID(), kind: input.kind, siteId: input.siteId, start: input.start, end: input.end, reason: input.reason, note,
      drained: false, createdAt: this.#clock.now(), createdBy: actor.id,
    };
    await this.#store.transaction(async (tx) => {
      await this.#records.addPeriod(period, tx);
      await this.#audit.append({
        actor, action, target: { type: 'sla-period', id: period.id }, outcome: 'ok', siteId: input.siteId,
        details: { start: period.start, end: period.end, ...(period.reason ? { reason: period.reason } : {}) },
      }, tx);
    });
    this.safeEmit('period', period);
    return period;
  }

  /** The site's report for a month ("YYYY-MM"); a month still running counts up to now. */
  async report(siteId: string, month: string): Promise<SlaReport> {
    const [year, m] = parseMonth(month);
    const site = await this.#sites.get(siteId);
    const now = this.#clock.now();
    const { span, probes, probeOutages, gapOutages, kioskOutages, maintenanceStops, planned, excused, input, availability } = await this.#month(site, year, m, now);
    // A day's downtime: the same computation with the outages clipped to its local midnights.
    const days: SlaReport['days'] = [];
    const daysInMonth = new Date(Date.UTC(year, m, 0)).getUTCDate();
    for (let d = 1; d <= daysInMonth; d++) {
      const day = { start: zonedToUtc(year, m, d, 0, 0, site.timeZone), end: d === daysInMonth ? span.end : zonedToUtc(year, m, d + 1, 0, 0, site.timeZone) };
      const outages = input.outages.map((o) => ({ start: Math.max(o.start, day.start), end: Math.min(o.end, day.end) })).filter((o) => o.end > o.start);
      days.push({
        date: `${month}-${String(d).padStart(2, '0')}`,
        downtimeMinutes: outages.length ? monthlyAvailability({ ...input, outages }).downtimeMinutes : 0,
      });
    }
    const inMonth = (s: Span) => s.end > span.start && s.start < span.end;
    return {
      ...availability,
      site: { id: site.id, name: site.name }, generatedAt: now,
      outages: [...probeOutages, ...gapOutages, ...kioskOutages].filter(inMonth).sort((a, b) => a.start - b.start),
      maintenanceStops,
      planned: planned.map((p) => ({ id: p.id, start: p.start, end: p.end, note: p.note })),
      excusedPeriods: excused.map((p) => ({ id: p.id, start: p.start, end: p.end, reason: p.reason!, note: p.note, createdBy: p.createdBy })),
      probes: {
        total: probes.filter((p) => p.at >= span.start).length,
        failed: probes.filter((p) => p.at >= span.start && !p.ok).length,
      },
      days,
      calls: await this.#calls(siteId, span),
    };
  }

  /** The site's month so far (its time zone): what the budget watch compares with the target. */
  async availabilitySoFar(siteId: string): Promise<MonthlyAvailability> {
    const site = await this.#sites.get(siteId);
    const now = this.#clock.now();
    const [year, m] = localYearMonth(now, site.timeZone);
    return (await this.#month(site, year, m, now)).availability;
  }

  /** A month's outages, maintenance and availability up to `now` (report() and availabilitySoFar()). */
  async #month(site: { id: string; timeZone: string }, year: number, m: number, now: number) {
    const span = monthSpan(year, m, site.timeZone);
    const until = Math.min(now, span.end);
    // Failed probes just before the month may start an outage that reaches into it.
    const probes = span.start < now ? await this.#records.probes({ start: span.start - DAY, end: until }) : [];
    const probeOutages = outagesFromSamples(probes, { failures: this.#s.probeFailures, maxGapMs: Number.MAX_SAFE_INTEGER, until })
      .map((o): SlaOutage => ({ ...o, source: 'probe', drained: false }));
    const periods = await this.#records.periods(span, site.id);
    const windows = this.#window ? windowSpans(this.#window, site.timeZone, span.start - 8 * DAY, span.end + 8 * DAY) : [];
    const gapOutages: SlaOutage[] = [];
    const maintenanceStops: Span[] = [];
    for (const g of periods.filter((p) => p.kind === 'gap')) {
      // A drained stop wholly inside the maintenance window is maintenance, not an outage.
      if (g.drained && windows.some((w) => w.start <= g.start && g.end <= w.end)) maintenanceStops.push({ start: g.start, end: g.end });
      else gapOutages.push({ start: g.start, end: g.end, source: 'gap', drained: g.drained });
    }
    const planned = periods.filter((p) => p.kind === 'planned');
    const excused = periods.filter((p) => p.kind === 'excused');
    // The site's own health: the samples' terminals:<site> state (src/terminals' KioskHealth) down means no kiosk could call.
    const kioskOutages = stateOutages(await this.#records.componentStates(`terminals:${site.id}`, { start: span.start, end: until }), 'down', until)
      .map((o): SlaOutage => ({ ...o, source: 'kiosk', drained: false }));
    const input = {
      year, month: m, timeZone: site.timeZone, window: this.#window,
      outages: merge([...probeOutages, ...gapOutages, ...kioskOutages]),
      planned: planned.map((p) => ({ start: p.start, end: p.end })),
      excused: excused.map((p) => ({ start: p.start, end: p.end, reason: p.reason! })),
    };
    return { span, probes, probeOutages, gapOutages, kioskOutages, maintenanceStops, planned, excused, input, availability: monthlyAvailability(input) };
  }

  async #calls(siteId: string, span: Span): Promise<SlaReport['calls']> {
    const db = this.#store.db.withTables<CallTables & QualityTables>();
    const rows = await db.selectFrom('calls')
      .leftJoin('call_quality', 'call_quality.call_id', 'calls.id')
      .select(['calls.kind', 'calls.started_at', 'calls.answered_at', 'call_quality.min_mos', 'call_quality.mean_mos'])
      .where('calls.site_id', '=', siteId).where('calls.started_at', '>=', span.start).where('calls.started_at', '<', span.end)
      .execute();
    // A terminal that answered a telephone by itself is not a visitor waiting for an answer (review s21 #10): the answer
    // figures are the visitors' calls alone; the quality figures are every rated call's, callbacks included (review s22 #10).
    const visitors = rows.filter((r) => r.kind === 'visitor');
    const answerTimes = visitors.filter((r) => r.answered_at !== null).map((r) => Number(r.answered_at) - Number(r.started_at)).sort((a, b) => a - b);
    const rated = rows.filter((r) => r.min_mos !== null);
    return {
      total: visitors.length,
      answered: answerTimes.length,
      answerRatePercent: visitors.length ? (answerTimes.length / visitors.length) * 100 : null,
      timeToAnswerP50Ms: percentile(answerTimes, 50),
      timeToAnswerP90Ms: percentile(answerTimes, 90),
      withQuality: rated.length,
      belowMosThreshold: rated.filter((r) => r.min_mos! < this.#s.mosThreshold).length,
      mosThreshold: this.#s.mosThreshold,
      mosDistribution: histogram(rows.flatMap((r) => (r.mean_mos === null ? [] : [r.mean_mos])), MOS_EDGES, false),
      answerTimeDistribution: histogram(answerTimes.map((ms) => ms / 1000), ANSWER_EDGES, true),
    };
  }
}
