// What a site's monthly service-level report holds (ServiceLevel.report fills
// it): outages by source, planned and excused periods, downtime per day, the
// month's call figures with their MOS and time-to-answer buckets; and the report
// as CSV, one figure per line.
import type { MonthlyAvailability, Span } from './availability.ts';
import type { ExcuseReason } from './sla-records.ts';

export interface SlaOutage extends Span {
  /** probe: consecutive failed probes; gap: the gateway was not running; kiosk: none of the site's terminals was able to call. */
  source: 'probe' | 'gap' | 'kiosk';
  drained: boolean;
}

export interface SlaReport extends MonthlyAvailability {
  site: { id: string; name: string };
  generatedAt: number;
  /** Outages as measured, before window, planned and excused minutes are taken out. */
  outages: SlaOutage[];
  /** Drained stops wholly inside the site's maintenance window: not outages at all. */
  maintenanceStops: Span[];
  planned: Array<Span & { id: string; note: string | null }>;
  excusedPeriods: Array<Span & { id: string; reason: ExcuseReason; note: string | null; createdBy: string | null }>;
  probes: { total: number; failed: number };
  /** Downtime per local day of the month (window, planned and excused minutes taken out). */
  days: Array<{ date: string; downtimeMinutes: number }>;
  calls: {
    total: number;
    answered: number;
    /** answered / total × 100; null without calls. */
    answerRatePercent: number | null;
    /** From the first ring to the answer, nearest rank; null without answered calls. */
    timeToAnswerP50Ms: number | null;
    timeToAnswerP90Ms: number | null;
    /** Calls with a stored quality summary (media flowed). */
    withQuality: number;
    /** Calls with at least one leg-interval below the threshold (min MOS < threshold). */
    belowMosThreshold: number;
    mosThreshold: number;
    /** Calls by their mean MOS, in buckets [from, to) (the last one closed at 4.5). */
    mosDistribution: Bucket[];
    /** Answered calls by time to answer in seconds, in buckets [from, to) (the last one open: to null). */
    answerTimeDistribution: Bucket[];
  };
}

export interface Bucket { from: number; to: number | null; calls: number }

/** MOS bucket edges: the default threshold 3.6 is one of them. */
export const MOS_EDGES = [1, 2, 2.5, 3, 3.6, 4, 4.5] as const;
/** Time-to-answer bucket edges in seconds; the last bucket is open. */
export const ANSWER_EDGES = [0, 5, 10, 20, 30, 60] as const;

/** Counts values into [edges[i], edges[i+1]); the last bucket is closed at its end or open (`openEnd`). */
export function histogram(values: number[], edges: readonly number[], openEnd: boolean): Bucket[] {
  const buckets: Bucket[] = edges.slice(0, openEnd ? edges.length : -1).map((from, i) => ({ from, to: edges[i + 1] ?? null, calls: 0 }));
  for (const v of values) {
    let i = buckets.findIndex((b) => v >= b.from && (b.to === null || v < b.to));
    if (i < 0) i = v < buckets[0]!.from ? 0 : buckets.length - 1;
    buckets[i]!.calls += 1;
  }
  return buckets;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The report as CSV (RFC 4180, one figure per line: figure,value). */
export function reportCsv(r: SlaReport): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const lines: Array<[string, unknown]> = [
    ['site', r.site.id], ['month', r.month], ['time_zone', r.timeZone], ['generated_at', iso(r.generatedAt)],
    ['availability_percent', r.availabilityPercent], ['total_minutes', r.totalMinutes], ['elapsed_minutes', r.elapsedMinutes],
    ['outage_minutes', r.outageMinutes], ['window_minutes', r.windowMinutes], ['planned_minutes', r.plannedMinutes],
    ['excused_minutes', r.excusedMinutes],
    ...r.excused.map((e): [string, unknown] => [`excused_minutes_${e.reason}`, e.minutes]),
    ['downtime_minutes', r.downtimeMinutes],
    ['probes', r.probes.total], ['probes_failed', r.probes.failed],
    ['calls', r.calls.total], ['calls_answered', r.calls.answered], ['answer_rate_percent', r.calls.answerRatePercent],
    ['time_to_answer_p50_ms', r.calls.timeToAnswerP50Ms], ['time_to_answer_p90_ms', r.calls.timeToAnswerP90Ms],
    ['calls_with_quality', r.calls.withQuality], ['calls_below_mos_threshold', r.calls.belowMosThreshold], ['mos_threshold', r.calls.mosThreshold],
    ...r.calls.mosDistribution.map((b): [string, unknown] => [`calls_mean_mos_${b.from}-${b.to}`, b.calls]),
    ...r.calls.answerTimeDistribution.map((b): [string, unknown] => [`calls_answered_within_s_${b.from}-${b.to ?? ''}`, b.calls]),
    ...r.days.map((d): [string, unknown] => [`downtime_minutes_${d.date}`, d.downtimeMinutes]),
    ...r.outages.map((o): [string, unknown] => [`outage_${o.source}`, `${iso(o.start)}/${iso(o.end)}`]),
    ...r.excusedPeriods.map((e): [string, unknown] => [`excused_${e.reason}`, `${iso(e.start)}/${iso(e.end)}`]),
    ...r.planned.map((p): [string, unknown] => ['planned', `${iso(p.start)}/${iso(p.end)}`]),
  ];
  return ['figure,value', ...lines.map(([k, v]) => `${cell(k)},${cell(v)}`)].join('\r\n') + '\r\n';
}
