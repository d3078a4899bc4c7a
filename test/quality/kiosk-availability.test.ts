// A site none of whose terminals is able to call is down for that site (src/terminals'
// KioskHealth → health samples as component terminals:<site> → ServiceLevel): the stored
// down spans count like the probe's outages — minutes inside the maintenance window do
// not, a span that began before the month counts from its start, other sites are untouched.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.ts';
import { AuditLog, systemActor } from '../../src/audit/index.ts';
import { Sites } from '../../src/sites/index.ts';
import { ServiceLevel, SlaRecords, stateOutages } from '../../src/quality/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const at = (iso: string) => Date.parse(iso);

describe('availability of a site whose terminals cannot call', () => {
  let dir: string;
  let store: Store;
  let records: SlaRecords;
  let level: ServiceLevel;
  const clock = new ManualClock();

  /** What the health sampler stores when a site's kiosk state changes. */
  const state = (site: string, iso: string, s: 'ready' | 'down') => records.sample(at(iso), true, [{ component: `terminals:${site}`, state: s }]);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-kiosk-sla-'));
    store = await Store.open(join(dir, 'portier.db'));
    records = new SlaRecords(store);
    const audit = new AuditLog(store.db, clock);
    const sites = new Sites({ store, audit, clock });
    for (const [id, timeZone] of [['hq', 'Europe/Berlin'], ['lisbon', 'Europe/Lisbon'], ['tokyo', 'Asia/Tokyo']] as const) {
      await sites.create(systemActor, { id, name: id, timeZone });
    }
    level = new ServiceLevel({ store, records, audit, sites, clock, settings: { probeFailures: 2, mosThreshold: 3.6, noteMaxChars: 500 } });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the minutes no terminal could call as the site\'s downtime, outside the maintenance window, per site', async () => {
    clock.t = at('2026-11-30T12:00:00Z');
    // Good probes all month: the gateway itself was fine.
    for (let t = at('2026-10-31T00:00:00Z'); t < clock.t; t += 3_600_000) await records.saveProbe({ at: t, ok: true, sent: 10, received: 10, error: null });
    await state('hq', '2026-11-01T00:00:00Z', 'ready');
    // Tuesday 17 November, 10:00–11:30 Berlin: 90 minutes.
    await state('hq', '2026-11-17T09:00:00Z', 'down');
    await state('hq', '2026-11-17T10:30:00Z', 'ready');
    // Saturday 14 November 11:00–13:00 Berlin: inside the window (Saturday 07:00 – Sunday 22:00).
    await state('hq', '2026-11-14T10:00:00Z', 'down');
    await state('hq', '2026-11-14T12:00:00Z', 'ready');
    // Lisbon (UTC+0 in November): down since before the month until Monday 2 November 00:00 —
    // Sunday 1 November 00:00–22:00 is the window, 22:00–24:00 is downtime: 120 minutes.
    await state('lisbon', '2026-10-31T20:00:00Z', 'down');
    await state('lisbon', '2026-11-02T00:00:00Z', 'ready');
    // Tokyo's kiosks never went down.
    await state('tokyo', '2026-11-01T00:00:00Z', 'ready');

    const hq = await level.report('hq', '2026-11');
    expect([hq.totalMinutes, hq.outageMinutes, hq.windowMinutes, hq.downtimeMinutes]).toEqual([43_200, 210, 120, 90]);
    expect(hq.availabilityPercent).toBeCloseTo(((43_200 - 90) / 43_200) * 100, 10);
    expect(hq.outages.map((o) => [o.source, new Date(o.start).toISOString(), new Date(o.end).toISOString()])).toEqual([
      ['kiosk', '2026-11-14T10:00:00.000Z', '2026-11-14T12:00:00.000Z'],
      ['kiosk', '2026-11-17T09:00:00.000Z', '2026-11-17T10:30:00.000Z'],
    ]);
    expect(hq.days.find((d) => d.date === '2026-11-17')!.downtimeMinutes).toBe(90);

    const lisbon = await level.report('lisbon', '2026-11');
    expect([lisbon.outageMinutes, lisbon.windowMinutes, lisbon.downtimeMinutes]).toEqual([1440, 1320, 120]);
    expect((await level.availabilitySoFar('lisbon')).downtimeMinutes).toBe(120); // what the budget watch sees

    const tokyo = await level.report('tokyo', '2026-11');
    expect([tokyo.outageMinutes, tokyo.downtimeMinutes, tokyo.availabilityPercent]).toEqual([0, 0, 100]);

    // Still down now: the span lasts until now (the month so far).
    await state('tokyo', '2026-11-30T10:00:00Z', 'down'); // Monday 19:00 Tokyo
    expect((await level.availabilitySoFar('tokyo')).downtimeMinutes).toBe(120);
  });

  it('stateOutages: down spans from a component\'s changes; repeated down is one span; still down lasts until the end given', () => {
    expect(stateOutages([
      { at: 0, state: 'ready' }, { at: 10, state: 'down' }, { at: 15, state: 'down' }, { at: 20, state: 'ready' }, { at: 30, state: 'down' },
    ], 'down', 50)).toEqual([{ start: 10, end: 20 }, { start: 30, end: 50 }]);
    expect(stateOutages([], 'down', 50)).toEqual([]);
  });
});
