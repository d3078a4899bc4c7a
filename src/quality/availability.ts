// A month's availability as the contract defines it (../shared/docs/PRODUCT.md):
// (total − downtime) / total × 100 with total = 24 h × 60 × the days of the month,
// never reduced. Down minutes inside the weekly maintenance window (in the site's
// time zone), in planned maintenance or excused after the fact are not downtime;
// each is reported separately. Pure functions: the store and the clock stay outside.
import { InvalidError } from '../core/index.ts';
import { zonedToUtc } from './zoned-time.ts';

/** A half-open span of time [start, end) in ms since the epoch. */
export interface Span { start: number; end: number }

export interface WeeklyTime {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Local time "HH:MM". */
  time: string;
}

/** A window that recurs every week, in the site's local time (its end may fall in the next week). */
export interface WeeklyWindow { start: WeeklyTime; end: WeeklyTime }

/** The contract's regular maintenance window: Saturday 07:00 to Sunday 22:00. */
export const DEFAULT_MAINTENANCE_WINDOW: WeeklyWindow = { start: { weekday: 6, time: '07:00' }, end: { weekday: 0, time: '22:00' } };

export interface MonthInput {
  year: number;
  /** 1–12. */
  month: number;
  /** The site's IANA time zone: the month and the maintenance window are local. */
  timeZone: string;
  /** When the service could not be used (see outagesFromSamples). */
  outages: Span[];
  /** Agreed maintenance. */
  planned?: Span[];
  /** Downtime reclassified after the fact (customer equipment or network, urgent security patch, attack). */
  excused?: Array<Span & { reason: string }>;
  /** null: no regular window. */
  window?: WeeklyWindow | null;
}

export interface MonthlyAvailability {
  /** "2026-03". */
  month: string;
  timeZone: string;
  /** The contract's denominator: 1 440 × the days of the month. */
  totalMinutes: number;
  /** Minutes the month really has in this zone (1 440 × days, ∓ 60 in a DST month). */
  elapsedMinutes: number;
  /** Every minute with an outage, whatever its class. */
  outageMinutes: number;
  /** Outage minutes inside the regular maintenance window. */
  windowMinutes: number;
  /** Outage minutes inside planned maintenance (and not in the window). */
  plannedMinutes: number;
  /** Outage minutes excused after the fact (and neither in the window nor planned), per reason. */
  excusedMinutes: number;
  excused: Array<{ reason: string; minutes: number }>;
  /** What counts against the service level. */
  downtimeMinutes: number;
  /** (total − downtime) / total × 100, at least 0. */
  availabilityPercent: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

function parseTime(t: string): [number, number] {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(t);
  if (!m) throw new InvalidError(`maintenance window time ${t} is not HH:MM`);
  return [Number(m[1]), Number(m[2])];
}

function checkWeekday(d: number): void {
  if (!Number.isInteger(d) || d < 0 || d > 6) throw new InvalidError(`weekday ${d} is not 0 (Sunday) to 6 (Saturday)`);
}

/** The instants of each occurrence of `window` that may overlap [from, to). */
export function windowSpans(window: WeeklyWindow, timeZone: string, from: number, to: number): Span[] {
  checkWeekday(window.start.weekday);
  checkWeekday(window.end.weekday);
  const [sh, sm] = parseTime(window.start.time);
  const [eh, em] = parseTime(window.end.time);
  let days = (window.end.weekday - window.start.weekday + 7) % 7;
  if (days === 0 && eh * 60 + em <= sh * 60 + sm) days = 7;
  const spans: Span[] = [];
  // Walk local calendar days (as UTC dates, so no zone is involved) from a week before to a day after.
  for (let day = Math.floor(from / DAY) * DAY - 8 * DAY; day <= to + DAY; day += DAY) {
    const d = new Date(day);
    if (d.getUTCDay() !== window.start.weekday) continue;
    const end = new Date(day + days * DAY);
    const span = {
      start: zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), sh, sm, timeZone),
      end: zonedToUtc(end.getUTCFullYear(), end.getUTCMonth() + 1, end.getUTCDate(), eh, em, timeZone),
    };
    if (span.end > from && span.start < to) spans.push(span);
  }
  return spans;
}

/** The month's first and last instant in the zone: local midnight of the 1st to local midnight of the next 1st. */
export function monthSpan(year: number, month: number, timeZone: string): Span {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new InvalidError(`month ${month} is not 1–12`);
  return { start: zonedToUtc(year, month, 1, 0, 0, timeZone), end: zonedToUtc(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1, 0, 0, timeZone) };
}

/** Marks minutes [0, n) of the month: `any` marks a minute the span touches, otherwise only minutes it covers whole. */
function mark(flags: Uint8Array, start: number, span: Span, bit: number, any: boolean): void {
  const from = (span.start - start) / MINUTE;
  const to = (span.end - start) / MINUTE;
  const first = Math.max(0, any ? Math.floor(from) : Math.ceil(from));
  const last = Math.min(flags.length, any ? Math.ceil(to) : Math.floor(to));
  for (let i = first; i < last; i++) flags[i]! |= bit;
}

const DOWN = 1;
const WINDOW = 2;
const PLANNED = 4;

/**
 * The month's availability. A minute is an outage minute when the service was down at
 * any moment of it; it is excluded (window, planned, excused) only when the exclusion
 * covers the whole minute. Minutes are the month's real minutes in the zone; the
 * denominator stays nominal (see docs/quality.md on DST).
 */
export function monthlyAvailability(input: MonthInput): MonthlyAvailability {
  const { year, month, timeZone } = input;
  const span = monthSpan(year, month, timeZone);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const totalMinutes = days * 1440;
  const elapsedMinutes = Math.round((span.end - span.start) / MINUTE);
  const flags = new Uint8Array(elapsedMinutes);
  for (const o of input.outages) mark(flags, span.start, o, DOWN, true);
  const window = input.window === undefined ? DEFAULT_MAINTENANCE_WINDOW : input.window;
  if (window) for (const w of windowSpans(window, timeZone, span.start, span.end)) mark(flags, span.start, w, WINDOW, false);
  for (const p of input.planned ?? []) mark(flags, span.start, p, PLANNED, false);
  // Each excuse gets its own flag array: one minute is excused once, by the first reason that covers it.
  const excuses = (input.excused ?? []).map((e) => {
    const f = new Uint8Array(elapsedMinutes);
    mark(f, span.start, e, 1, false);
    return { reason: e.reason, flags: f };
  });
  let outageMinutes = 0;
  let windowMinutes = 0;
  let plannedMinutes = 0;
  let downtimeMinutes = 0;
  const excused = new Map<string, number>();
  for (let i = 0; i < elapsedMinutes; i++) {
    const f = flags[i]!;
    if (!(f & DOWN)) continue;
    outageMinutes += 1;
    if (f & WINDOW) { windowMinutes += 1; continue; }
    if (f & PLANNED) { plannedMinutes += 1; continue; }
    const excuse = excuses.find((e) => e.flags[i]);
    if (excuse) { excused.set(excuse.reason, (excused.get(excuse.reason) ?? 0) + 1); continue; }
    downtimeMinutes += 1;
  }
  const excusedList = [...excused].map(([reason, minutes]) => ({ reason, minutes }));
  return {
    month: `${year}-${String(month).padStart(2, '0')}`, timeZone, totalMinutes, elapsedMinutes,
    outageMinutes, windowMinutes, plannedMinutes, excusedMinutes: excusedList.reduce((a, e) => a + e.minutes, 0), excused: excusedList,
    downtimeMinutes, availabilityPercent: Math.max(0, ((totalMinutes - downtimeMinutes) / totalMinutes) * 100),
  };
}

/** One health observation: a synthetic probe's result at an instant. */
export interface HealthSample { at: number; ok: boolean }

/**
 * Outages from health samples in time order: the service is down from the first failed
 * sample of a run of at least `failures` consecutive failures until the next good sample
 * (or `until`, when the run lasts to the end). A gap longer than `maxGapMs` between two
 * samples (the gateway was not running) is down as a whole.
 */
export function outagesFromSamples(samples: HealthSample[], opts: { failures: number; maxGapMs: number; until?: number }): Span[] {
  const spans: Span[] = [];
  let runStart: number | null = null;
  let runLength = 0;
  let previous: HealthSample | null = null;
  const closeRun = (end: number) => {
    if (runStart !== null && runLength >= opts.failures) spans.push({ start: runStart, end });
    runStart = null;
    runLength = 0;
  };
  for (const s of samples) {
    if (previous && s.at - previous.at > opts.maxGapMs) {
      closeRun(previous.at);
      spans.push({ start: previous.at, end: s.at });
    }
    if (s.ok) {
      closeRun(s.at);
    } else {
      if (runStart === null) runStart = s.at;
      runLength += 1;
    }
    previous = s;
  }
  if (previous) closeRun(opts.until ?? previous.at);
  return merge(spans);
}

/** Overlapping or touching spans joined, in time order. */
export function merge(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}
