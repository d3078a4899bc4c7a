// Opening hours read in the site's own time zone: periods across midnight (the
// day boundary) and the hours around the DST changes of Europe/Berlin.
import { describe, expect, it } from 'vitest';
import { isOpenAt, checkOpeningHours, type OpeningHours } from '../../src/sites/index.ts';

const at = (iso: string) => Date.parse(iso);
const BERLIN = 'Europe/Berlin';

describe('opening hours', () => {
  it('are read in the site\'s time zone: the same instant is open in Berlin and closed in New York', () => {
    const hours: OpeningHours = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }];
    // Tuesday 2026-03-10 12:00 UTC: 13:00 in Berlin, 08:00 in New York (already DST there), 07:59 one minute before.
    expect(isOpenAt(hours, BERLIN, at('2026-03-10T12:00:00Z'))).toBe(true);
    expect(isOpenAt(hours, 'America/New_York', at('2026-03-10T11:59:00Z'))).toBe(false);
    expect(isOpenAt(hours, 'America/New_York', at('2026-03-10T12:00:00Z'))).toBe(true);
    // 18:00 local is the first closed minute.
    expect(isOpenAt(hours, BERLIN, at('2026-03-10T16:59:00Z'))).toBe(true);
    expect(isOpenAt(hours, BERLIN, at('2026-03-10T17:00:00Z'))).toBe(false);
  });

  it('a period across midnight stays open into the next day and closes at its end', () => {
    const night: OpeningHours = [{ days: ['fri'], from: '22:00', to: '06:00' }];
    // Berlin is UTC+1 in late March before the change: Friday 2026-03-27 is the period's day.
    expect(isOpenAt(night, BERLIN, at('2026-03-27T20:59:00Z'))).toBe(false); // Fri 21:59
    expect(isOpenAt(night, BERLIN, at('2026-03-27T21:00:00Z'))).toBe(true); // Fri 22:00
    expect(isOpenAt(night, BERLIN, at('2026-03-27T23:30:00Z'))).toBe(true); // Sat 00:30
    expect(isOpenAt(night, BERLIN, at('2026-03-28T04:59:00Z'))).toBe(true); // Sat 05:59
    expect(isOpenAt(night, BERLIN, at('2026-03-28T05:00:00Z'))).toBe(false); // Sat 06:00
    expect(isOpenAt(night, BERLIN, at('2026-03-26T23:30:00Z'))).toBe(false); // Fri 00:30: Thursday had no period
    expect(isOpenAt(night, BERLIN, at('2026-03-28T21:30:00Z'))).toBe(false); // Sat 22:30
  });

  it('follow the local clock across the DST changes (spring forward and fall back)', () => {
    const sunday: OpeningHours = [{ days: ['sun'], from: '08:00', to: '18:00' }];
    // Sunday 2026-03-29: CEST (UTC+2) from 01:00 UTC on.
    expect(isOpenAt(sunday, BERLIN, at('2026-03-29T05:59:00Z'))).toBe(false); // 07:59 CEST (06:59 in winter time)
    expect(isOpenAt(sunday, BERLIN, at('2026-03-29T06:00:00Z'))).toBe(true); // 08:00 CEST
    expect(isOpenAt(sunday, BERLIN, at('2026-03-29T15:59:00Z'))).toBe(true); // 17:59 CEST
    expect(isOpenAt(sunday, BERLIN, at('2026-03-29T16:00:00Z'))).toBe(false); // 18:00 CEST (17:00 in winter time)
    // Sunday 2026-10-25: back to CET (UTC+1) at 01:00 UTC.
    expect(isOpenAt(sunday, BERLIN, at('2026-10-25T06:59:00Z'))).toBe(false); // 07:59 CET
    expect(isOpenAt(sunday, BERLIN, at('2026-10-25T07:00:00Z'))).toBe(true); // 08:00 CET
    expect(isOpenAt(sunday, BERLIN, at('2026-10-25T17:00:00Z'))).toBe(false); // 18:00 CET
    // The night that falls back: the repeated hour 02:00–03:00 is inside a 01:00–04:00 period both times.
    const early: OpeningHours = [{ days: ['sun'], from: '01:00', to: '04:00' }];
    expect(isOpenAt(early, BERLIN, at('2026-10-25T00:30:00Z'))).toBe(true); // 02:30 CEST
    expect(isOpenAt(early, BERLIN, at('2026-10-25T01:30:00Z'))).toBe(true); // 02:30 CET
    expect(isOpenAt(early, BERLIN, at('2026-10-25T03:00:00Z'))).toBe(false); // 04:00 CET
  });

  it('null is always open, an empty list never, and 24:00 closes at midnight', () => {
    expect(isOpenAt(null, BERLIN, at('2026-03-29T02:00:00Z'))).toBe(true);
    expect(isOpenAt([], BERLIN, at('2026-03-10T12:00:00Z'))).toBe(false);
    const allDay: OpeningHours = [{ days: ['tue'], from: '00:00', to: '24:00' }];
    expect(isOpenAt(allDay, BERLIN, at('2026-03-09T23:00:00Z'))).toBe(true); // Tue 00:00
    expect(isOpenAt(allDay, BERLIN, at('2026-03-10T22:59:00Z'))).toBe(true); // Tue 23:59
    expect(isOpenAt(allDay, BERLIN, at('2026-03-10T23:00:00Z'))).toBe(false); // Wed 00:00
  });

  it('refuses malformed periods with a named error', () => {
    for (const bad of [
      [{ days: ['mon'], from: '8:00', to: '18:00' }], [{ days: ['mon'], from: '08:00', to: '25:00' }],
      [{ days: ['mon'], from: '09:00', to: '09:00' }], [{ days: [], from: '08:00', to: '18:00' }],
      [{ days: ['mon'], from: '24:00', to: '06:00' }], [{ days: ['xyz'], from: '08:00', to: '18:00' }],
    ]) expect(() => checkOpeningHours(bad as OpeningHours)).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => checkOpeningHours([{ days: ['mon'], from: '22:00', to: '06:00' }])).not.toThrow();
  });
});
