// Wall-clock time in an IANA time zone with the Intl API only: the offset of a
// zone at an instant, and the instant of a local date and time.
import { InvalidError } from '../core/index.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw new InvalidError(`unknown time zone ${timeZone}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `utcMs`, in ms (CET: +3 600 000). */
export function offsetAt(utcMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The instant of a local date and time (month 1–12). A time the clocks skip (spring
 * forward) is read with the offset before the change (02:30 becomes 03:30 summer
 * time, as JavaScript's Date does); a time that occurs twice (fall back) is its first occurrence.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  // With the larger offset first: the earlier of two instants showing this wall time.
  for (const offset of before >= after ? [before, after] : [after, before]) {
    if (offsetAt(wall - offset, timeZone) === offset) return wall - offset;
  }
  // Skipped by the clocks: count the wall time with the offset before the change.
  return wall - before;
}

/** The local year and month (1–12) at `utcMs` in the zone. */
export function localYearMonth(utcMs: number, timeZone: string): [number, number] {
  const local = new Date(utcMs + offsetAt(utcMs, timeZone));
  return [local.getUTCFullYear(), local.getUTCMonth() + 1];
}
