// A site's opening hours in its own time zone: weekly periods, each on some
// weekdays from a local time to a later one ("24:00" = midnight) or, when `to`
// is earlier, on to that time of the next day (night shifts across midnight).
// Local times are read with Intl in the site's zone, so DST changes need nothing.
import { InvalidError } from '../core/index.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export interface OpeningPeriod { days: Weekday[]; from: string; to: string }
/** null: always open (the default); an empty list: never open. */
export type OpeningHours = OpeningPeriod[] | null;
export interface SiteHours { hours: OpeningHours; afterHoursEntryId: string | null }

const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const minutes = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** Refuses malformed periods with a named error (a bad time, no day, from equal to to, from 24:00). */
export function checkOpeningHours(hours: OpeningHours): void {
  for (const p of hours ?? []) {
    if (!TIME.test(p.from) || !TIME.test(p.to)) throw new InvalidError(`opening hours: times are HH:MM (00:00–24:00), got ${p.from}–${p.to}`);
    if (p.from === '24:00') throw new InvalidError('opening hours: a period cannot start at 24:00');
    if (minutes(p.from) === minutes(p.to)) throw new InvalidError(`opening hours: ${p.from}–${p.to} is empty`);
    if (p.days.length === 0 || p.days.some((d) => !WEEKDAYS.includes(d))) throw new InvalidError(`opening hours: days are ${WEEKDAYS.join(', ')}`);
  }
}

/** The local weekday and minute of the day at `at` in the time zone. */
function localTime(at: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.indexOf(get('weekday').toLowerCase() as Weekday);
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Whether the hours are open at `at` (ms since the epoch) in the time zone. */
export function isOpenAt(hours: OpeningHours, timeZone: string, at: number): boolean {
  if (hours === null) return true;
  const { day, minute } = localTime(at, timeZone);
  const today = WEEKDAYS[day]!;
  const yesterday = WEEKDAYS[(day + 6) % 7]!;
  return hours.some((p) => {
    const from = minutes(p.from);
    const to = minutes(p.to);
    if (from < to) return p.days.includes(today) && minute >= from && minute < to;
    // Across midnight: the evening part today, the morning part from yesterday's period.
    return (p.days.includes(today) && minute >= from) || (p.days.includes(yesterday) && minute < to);
  });
}
