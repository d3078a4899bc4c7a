// The contract's monthly availability over generated histories in Europe/Berlin:
// outages inside and outside the Saturday 07:00 – Sunday 22:00 window (local time,
// also on the weekends the clocks change), planned maintenance, excused minutes,
// the nominal denominator; exact expected percentages. Instants are written in UTC
// with the offset spelled out (CET = UTC+1, CEST = UTC+2), independent of the code.
import { describe, expect, it } from 'vitest';
import { monthlyAvailability, monthSpan, outagesFromSamples, windowSpans, zonedToUtc, DEFAULT_MAINTENANCE_WINDOW } from '../../src/quality/index.ts';

const BERLIN = 'Europe/Berlin';
const utc = (y: number, m: number, d: number, h: number, min = 0, s = 0) => Date.UTC(y, m - 1, d, h, min, s);
/** A Berlin local time with its offset stated: +1 in winter (CET), +2 in summer (CEST). */
const berlin = (offset: 1 | 2) => (y: number, m: number, d: number, h: number, min = 0, s = 0) => utc(y, m, d, h - offset, min, s);
const cet = berlin(1);
const cest = berlin(2);
const pct = (total: number, down: number) => ((total - down) / total) * 100;

describe('monthly availability (the contract\'s formula)', () => {
  it('counts 1 440 minutes per day of the month, never fewer: February 40 320, March and October 44 640 whatever DST does', () => {
    const feb = monthlyAvailability({ year: 2026, month: 2, timeZone: BERLIN, outages: [] });
    const mar = monthlyAvailability({ year: 2026, month: 3, timeZone: BERLIN, outages: [] });
    const oct = monthlyAvailability({ year: 2026, month: 10, timeZone: BERLIN, outages: [] });
    expect([feb.totalMinutes, mar.totalMinutes, oct.totalMinutes]).toEqual([40_320, 44_640, 44_640]);
    // The month really lasts an hour less (March) or more (October) in Berlin.
    expect([feb.elapsedMinutes, mar.elapsedMinutes, oct.elapsedMinutes]).toEqual([40_320, 44_580, 44_700]);
    expect(mar).toMatchObject({ month: '2026-03', availabilityPercent: 100, downtimeMinutes: 0 });
    expect(monthSpan(2026, 3, BERLIN)).toEqual({ start: cet(2026, 3, 1, 0), end: cest(2026, 4, 1, 0) });
  });

  it('March in Berlin: outages outside the window count, inside it not, the window ends at 22:00 summer time on the day the clocks go forward', () => {
    const r = monthlyAvailability({
      year: 2026, month: 3, timeZone: BERLIN,
      outages: [
        { start: cet(2026, 3, 10, 10), end: cet(2026, 3, 10, 11) }, // Tuesday: 60 down
        { start: cet(2026, 3, 14, 8), end: cet(2026, 3, 14, 9) }, // Saturday in the window: 60 window
        { start: cet(2026, 3, 28, 6, 30), end: cet(2026, 3, 28, 7, 30) }, // the window opens at 07:00: 30 down, 30 window
        { start: cest(2026, 3, 29, 21, 30), end: cest(2026, 3, 29, 22, 30) }, // Sunday of the change, closes 22:00 CEST: 30 window, 30 down
        { start: cet(2026, 3, 18, 20, 30), end: cet(2026, 3, 18, 22, 30) }, // planned until 22:00: 90 planned, 30 down
        { start: cet(2026, 3, 5, 12), end: cet(2026, 3, 5, 12, 45) }, // excused: 45
        { start: cet(2026, 3, 25, 10, 0, 20), end: cet(2026, 3, 25, 10, 0, 30) }, // ten seconds: the whole minute is down
      ],
      planned: [{ start: cet(2026, 3, 18, 20), end: cet(2026, 3, 18, 22) }],
      excused: [{ start: cet(2026, 3, 5, 12), end: cet(2026, 3, 5, 13), reason: 'customer network' }],
    });
    expect(r).toMatchObject({
      totalMinutes: 44_640, outageMinutes: 406, windowMinutes: 120, plannedMinutes: 90, excusedMinutes: 45,
      excused: [{ reason: 'customer network', minutes: 45 }], downtimeMinutes: 151,
    });
    expect(r.availabilityPercent).toBe(pct(44_640, 151));
    expect(r.availabilityPercent.toFixed(4)).toBe('99.6617');
  });

  it('October in Berlin: the window opens at 07:00 summer time and closes at 22:00 winter time on the day the clocks go back', () => {
    const r = monthlyAvailability({
      year: 2026, month: 10, timeZone: BERLIN,
      outages: [
        { start: cest(2026, 10, 24, 6, 30), end: cest(2026, 10, 24, 7, 30) }, // 30 down, 30 window
        { start: cet(2026, 10, 25, 21, 30), end: cet(2026, 10, 25, 22, 30) }, // 30 window, 30 down
      ],
    });
    expect(r).toMatchObject({ outageMinutes: 120, windowMinutes: 60, downtimeMinutes: 60 });
    expect(r.availabilityPercent).toBe(pct(44_640, 60));
    const weekend = windowSpans(DEFAULT_MAINTENANCE_WINDOW, BERLIN, cest(2026, 10, 24, 0), cet(2026, 10, 26, 0));
    // Saturday 07:00 CEST to Sunday 22:00 CET: 40 real hours.
    expect(weekend).toEqual([{ start: utc(2026, 10, 24, 5), end: utc(2026, 10, 25, 21) }]);
  });

  it('counts real minutes across the clock changes: the repeated hour twice, the skipped hour not at all', () => {
    // Without a window: 01:30 CEST to 02:30 CET on 25 October is 120 real minutes.
    const oct = monthlyAvailability({ year: 2026, month: 10, timeZone: BERLIN, window: null, outages: [{ start: cest(2026, 10, 25, 1, 30), end: cet(2026, 10, 25, 2, 30) }] });
    expect(oct.downtimeMinutes).toBe(120);
    expect(oct.availabilityPercent).toBe(pct(44_640, 120));
    // 01:30 CET to 03:30 CEST on 29 March is 60 real minutes.
    const mar = monthlyAvailability({ year: 2026, month: 3, timeZone: BERLIN, window: null, outages: [{ start: cet(2026, 3, 29, 1, 30), end: cest(2026, 3, 29, 3, 30) }] });
    expect(mar.downtimeMinutes).toBe(60);
    // A whole October down: 44 700 real minutes against 44 640 nominal ones gives 0 %, not less.
    const all = monthlyAvailability({ year: 2026, month: 10, timeZone: BERLIN, window: null, outages: [monthSpan(2026, 10, BERLIN)] });
    expect(all).toMatchObject({ downtimeMinutes: 44_700, availabilityPercent: 0 });
  });

  it('clips the windows at the month\'s edges: a February down throughout keeps 156 window hours (22 + 3 × 39 + 17)', () => {
    const r = monthlyAvailability({ year: 2026, month: 2, timeZone: BERLIN, outages: [{ start: cet(2026, 1, 31, 0), end: cet(2026, 3, 2, 0) }] });
    expect(r).toMatchObject({ outageMinutes: 40_320, windowMinutes: 156 * 60, downtimeMinutes: 40_320 - 156 * 60 });
    expect(r.availabilityPercent).toBe(pct(40_320, 30_960));
    expect(r.availabilityPercent.toFixed(4)).toBe('23.2143');
  });

  it('takes the window in the site\'s own time zone', () => {
    // Sunday 15 March 2026, 21:00–22:00 UTC: 22:00–23:00 in Berlin (after its window),
    // 17:00–18:00 in New York (inside its window), Monday 06:00 in Tokyo.
    const outages = [{ start: utc(2026, 3, 15, 21), end: utc(2026, 3, 15, 22) }];
    const down = (timeZone: string) => monthlyAvailability({ year: 2026, month: 3, timeZone, outages }).downtimeMinutes;
    expect([down(BERLIN), down('America/New_York'), down('Asia/Tokyo')]).toEqual([60, 0, 60]);
  });

  it('excludes a minute only when planned maintenance or an excuse covers it whole; overlapping excuses count once', () => {
    const r = monthlyAvailability({
      year: 2026, month: 3, timeZone: BERLIN,
      outages: [{ start: cet(2026, 3, 3, 10), end: cet(2026, 3, 3, 11) }],
      planned: [{ start: cet(2026, 3, 3, 10, 0, 30), end: cet(2026, 3, 3, 10, 10) }], // 10:01–10:10 whole: 9
      excused: [
        { start: cet(2026, 3, 3, 10, 20), end: cet(2026, 3, 3, 10, 40), reason: 'urgent security patch' },
        { start: cet(2026, 3, 3, 10, 30), end: cet(2026, 3, 3, 10, 50), reason: 'attack' },
      ],
    });
    expect(r).toMatchObject({ plannedMinutes: 9, excusedMinutes: 30, downtimeMinutes: 21 });
    expect(r.excused).toEqual([{ reason: 'urgent security patch', minutes: 20 }, { reason: 'attack', minutes: 10 }]);
  });

  it('refuses an unknown time zone, month or window time with a named error', () => {
    expect(() => monthlyAvailability({ year: 2026, month: 3, timeZone: 'Mars/Olympus', outages: [] })).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => monthlyAvailability({ year: 2026, month: 13, timeZone: BERLIN, outages: [] })).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => monthlyAvailability({ year: 2026, month: 3, timeZone: BERLIN, outages: [], window: { start: { weekday: 6, time: '7:00' }, end: { weekday: 0, time: '22:00' } } }))
      .toThrow(expect.objectContaining({ code: 'invalid' }));
  });

  it('maps local times to instants: a skipped time moves forward, a repeated time is its first occurrence', () => {
    expect(zonedToUtc(2026, 3, 29, 2, 30, BERLIN)).toBe(cest(2026, 3, 29, 3, 30));
    expect(zonedToUtc(2026, 10, 25, 2, 30, BERLIN)).toBe(cest(2026, 10, 25, 2, 30));
    expect(zonedToUtc(2026, 10, 25, 3, 30, BERLIN)).toBe(cet(2026, 10, 25, 3, 30));
    expect(zonedToUtc(2026, 7, 1, 12, 0, 'America/New_York')).toBe(utc(2026, 7, 1, 16));
  });
});

describe('outages from health samples', () => {
  it('is down from the first of at least two consecutive failed probes to the next good one, and over a gap without samples', () => {
    const t0 = utc(2026, 3, 2, 9);
    const at = (min: number) => t0 + min * 60_000;
    const samples = [
      { at: at(0), ok: true }, { at: at(1), ok: false }, { at: at(2), ok: true }, // one failure: not down
      { at: at(3), ok: false }, { at: at(4), ok: false }, { at: at(5), ok: false }, { at: at(6), ok: true },
      { at: at(7), ok: true }, { at: at(17), ok: true }, // the gateway did not run for 10 minutes
      { at: at(18), ok: false }, { at: at(19), ok: false },
    ];
    expect(outagesFromSamples(samples, { failures: 2, maxGapMs: 120_000, until: at(20) })).toEqual([
      { start: at(3), end: at(6) }, { start: at(7), end: at(17) }, { start: at(18), end: at(20) },
    ]);
    const r = monthlyAvailability({ year: 2026, month: 3, timeZone: BERLIN, outages: outagesFromSamples(samples, { failures: 2, maxGapMs: 120_000, until: at(20) }) });
    expect(r.downtimeMinutes).toBe(3 + 10 + 2);
  });
});
