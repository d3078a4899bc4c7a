// The month's downtime budget (src/quality/budget-watch.ts) on a real store: stored
// failed probes make outages, the site's month so far is computed as the report does,
// and each configured share of the budget is crossed once (an alert each), excusing
// the outage brings it back below, and a new month starts with a whole budget.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { Store } from '../../src/store/index.ts';
import { AuditLog, systemActor } from '../../src/audit/index.ts';
import { Sites } from '../../src/sites/index.ts';
import { AvailabilityMetrics, BudgetWatch, ServiceLevel, SlaRecords, type BudgetBurn } from '../../src/quality/index.ts';
import { Alerts, type AlertMessage } from '../../src/alerts/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const at = (iso: string) => Date.parse(iso);
const MINUTE = 60_000;

describe('downtime budget', () => {
  let dir: string;
  let store: Store;
  let records: SlaRecords;
  let level: ServiceLevel;
  let watch: BudgetWatch;
  let alerts: Alerts;
  const clock = new ManualClock();
  const probe = new EventEmitter();
  const burns: BudgetBurn[] = [];
  const within: Array<{ siteId: string; month: string; threshold: number }> = [];
  const messages: AlertMessage[] = [];

  /** Failed probes every minute in [from, to): two in a row make the service down from the first. */
  async function outage(from: string, to: string): Promise<void> {
    for (let t = at(from); t < at(to); t += MINUTE) await records.saveProbe({ at: t, ok: false, sent: 10, received: 0, error: 'no media back' });
    await records.saveProbe({ at: at(to), ok: true, sent: 10, received: 10, error: null });
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-budget-'));
    store = await Store.open(join(dir, 'portier.db'));
    records = new SlaRecords(store);
    const audit = new AuditLog(store.db, clock);
    const sites = new Sites({ store, audit, clock });
    await sites.create(systemActor, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    level = new ServiceLevel({ store, records, audit, sites, clock, settings: { probeFailures: 2, mosThreshold: 3.6, noteMaxChars: 500 } });
    watch = new BudgetWatch({
      level, sites: () => sites.list(), probe, clock, settings: { targetPercent: 98, thresholds: [50, 80, 100], minCheckMs: 300_000 }, logger: pino({ level: 'silent' }),
    });
    watch.on('burn', (b) => burns.push(b));
    watch.on('within', (w) => within.push(w));
    alerts = new Alerts({ clock, logger: pino({ level: 'silent' }), settings: { webhook: null, mqtt: false }, sources: { budget: watch } });
    alerts.on('alert', (m) => messages.push(m));
    burns.length = 0;
    within.length = 0;
    messages.length = 0;
  });
  afterEach(async () => {
    await alerts.close();
    await watch.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises each share of the month\'s budget once, clears it when an excuse brings the month back, and starts over next month', async () => {
    // November 2026 in Berlin: 30 days, 98 % → a budget of 864 minutes. A Tuesday, outside the maintenance window.
    clock.t = at('2026-11-17T12:00:00Z');
    await outage('2026-11-17T08:00:00Z', '2026-11-17T12:00:00Z'); // 240 minutes: 27.8 %
    await watch.check();
    expect(burns).toEqual([]);

    clock.t = at('2026-11-18T12:00:00Z');
    await outage('2026-11-18T00:00:00Z', '2026-11-18T07:00:00Z'); // + 420 = 660 minutes: 76.4 %
    probe.emit('probe', { ok: false }); // a failed probe: every site is computed
    await watch.check();
    expect(burns).toEqual([{ siteId: 'hq', month: '2026-11', threshold: 50, consumedPercent: 76.4, downtimeMinutes: 660, budgetMinutes: 864 }]);

    await outage('2026-11-18T08:00:00Z', '2026-11-18T11:30:00Z'); // + 210 = 870 minutes: over the budget
    await watch.check();
    await watch.check(); // nothing new: each share once
    expect(burns.map((b) => [b.threshold, b.consumedPercent])).toEqual([[50, 76.4], [80, 100.7], [100, 100.7]]);
    expect(messages.map((m) => [m.id, m.state, m.incidentClass])).toEqual([
      ['budget:hq:2026-11:50', 'open', 3], ['budget:hq:2026-11:80', 'open', 3], ['budget:hq:2026-11:100', 'open', 2],
    ]);
    expect(messages[2]!.text.de).toBe('Standort hq: 100.7 % des Ausfallbudgets für 2026-11 verbraucht (870 von 864 Minuten; Alarm ab 100 %)');

    // The 18th's morning was the customer's network: excused, the month is back at 240 minutes.
    await level.excuse(systemActor, { siteId: 'hq', start: at('2026-11-18T00:00:00Z'), end: at('2026-11-18T12:00:00Z'), reason: 'customer-equipment' });
    await watch.check();
    expect(within).toEqual([50, 80, 100].map((threshold) => ({ siteId: 'hq', month: '2026-11', threshold })));
    expect(alerts.list()).toEqual([]);

    // Raised again, then December: a whole budget, what November crossed is over.
    clock.t = at('2026-11-19T12:00:00Z');
    await outage('2026-11-19T00:00:00Z', '2026-11-19T06:00:00Z'); // 240 + 360 = 600: 69.4 %
    await watch.check();
    expect(alerts.list().map((m) => m.id)).toEqual(['budget:hq:2026-11:50']);
    clock.t = at('2026-12-01T09:00:00Z');
    await watch.check();
    expect(alerts.list()).toEqual([]);
    expect(within.at(-1)).toEqual({ siteId: 'hq', month: '2026-11', threshold: 50 });
  });

  it('/metrics shows each site\'s month so far as the watch last computed it, and nothing more once closed', async () => {
    const metrics = new AvailabilityMetrics({ budget: watch });
    const computed: number[] = [];
    watch.on('computed', (_siteId, a) => computed.push(a.downtimeMinutes));
    expect(metrics.render()).not.toContain('site="hq"');
    clock.t = at('2026-11-17T12:00:00Z');
    await outage('2026-11-17T08:00:00Z', '2026-11-17T12:00:00Z'); // 240 of the month's 43 200 minutes
    await watch.check();
    expect(metrics.render()).toContain(`\nportier_sla_availability_percent{site="hq"} ${((43_200 - 240) / 43_200) * 100}\n`);
    expect(metrics.render()).toContain('\nportier_sla_downtime_minutes{site="hq"} 240\n');
    metrics.close();
    clock.t = at('2026-11-17T14:00:00Z');
    await outage('2026-11-17T12:30:00Z', '2026-11-17T13:30:00Z'); // 60 minutes more for the watch, none for closed metrics
    await watch.check();
    expect(computed.at(-1)).toBe(300);
    expect(metrics.render()).toContain('\nportier_sla_downtime_minutes{site="hq"} 240\n');
  });

  it('a kiosk outage (no terminal able to call) raises the budget alerts while it lasts, under good probes, computing its site at most once per interval', async () => {
    const computed: string[] = [];
    const states: Record<string, string> = { hq: 'ready' };
    const counted = { availabilitySoFar: (siteId: string) => { computed.push(siteId); return level.availabilitySoFar(siteId); } };
    const sites = new Sites({ store, audit: new AuditLog(store.db, clock), clock });
    const w = new BudgetWatch({
      level: counted, sites: () => sites.list(), probe, siteStates: () => states, clock,
      settings: { targetPercent: 98, thresholds: [50, 80, 100], minCheckMs: 300_000 }, logger: pino({ level: 'silent' }),
    });
    const kioskBurns: BudgetBurn[] = [];
    w.on('burn', (b) => kioskBurns.push(b));
    const good = async (iso: string) => {
      clock.t = at(iso);
      await records.saveProbe({ at: clock.t, ok: true, sent: 10, received: 10, error: null });
      probe.emit('probe', { ok: true });
      await w.idle();
    };
    try {
      clock.t = at('2026-11-17T00:00:00Z');
      await w.check();
      // Midnight: the site's last kiosk goes offline (what the health sampler stores) and stays so; the probes stay good.
      states.hq = 'down';
      await records.sample(at('2026-11-17T00:00:00Z'), true, [{ component: 'terminals:hq', state: 'down' }]);
      computed.length = 0;
      await good('2026-11-17T10:00:00Z'); // 600 of 864 minutes: 69.4 %
      expect(kioskBurns.map((b) => [b.threshold, b.downtimeMinutes])).toEqual([[50, 600]]);
      await good('2026-11-17T10:01:00Z'); // within the interval: not computed again
      await good('2026-11-17T10:04:00Z');
      expect(computed).toEqual(['hq']);
      await good('2026-11-17T15:00:00Z'); // 900 minutes, the outage still under way: over the whole budget
      expect(kioskBurns.map((b) => [b.threshold, b.downtimeMinutes])).toEqual([[50, 600], [80, 900], [100, 900]]);
      expect(computed).toEqual(['hq', 'hq']);
      // The kiosks are back: good probes compute nothing again.
      states.hq = 'ready';
      await records.sample(at('2026-11-17T15:10:00Z'), true, [{ component: 'terminals:hq', state: 'ready' }]);
      await good('2026-11-17T15:20:00Z');
      await good('2026-11-17T15:30:00Z');
      expect(computed).toEqual(['hq', 'hq']);
    } finally {
      await w.close();
    }
  });

  describe('how often a month is computed', () => {
    /** Counts each site-month computed, on top of the real service level. */
    async function counting(siteIds: string[], extraSites: Array<{ id: string; timeZone: string }> = []) {
      const computed: string[] = [];
      const sites = new Sites({ store, audit: new AuditLog(store.db, clock), clock });
      for (const s of extraSites) await sites.create(systemActor, { id: s.id, name: s.id, timeZone: s.timeZone });
      const counted = { availabilitySoFar: (siteId: string) => { computed.push(siteId); return level.availabilitySoFar(siteId); } };
      const w = new BudgetWatch({
        level: counted, sites: () => sites.list(), probe, periods: level, clock,
        settings: { targetPercent: 98, thresholds: [50, 80, 100], minCheckMs: 300_000 }, logger: pino({ level: 'silent' }),
      });
      expect((await sites.list()).map((s) => s.id).sort()).toEqual(siteIds);
      return { w, computed };
    }
    /** One probe result, as the synthetic probe emits it; waits for what it started. */
    async function result(w: BudgetWatch, ok: boolean, at: string): Promise<void> {
      clock.t = Date.parse(at);
      probe.emit('probe', { ok });
      await w.idle();
    }

    it('good probes compute nothing; failing ones every site at most once per interval, then once at the first good one; a period only its site; a new month each site once', async () => {
      const { w, computed } = await counting(['hq', 'lisbon', 'tokyo'], [{ id: 'lisbon', timeZone: 'Europe/Lisbon' }, { id: 'tokyo', timeZone: 'Asia/Tokyo' }]);
      try {
        clock.t = at('2026-11-17T09:00:00Z');
        await w.check(); // at start: every site
        expect(computed.sort()).toEqual(['hq', 'lisbon', 'tokyo']);
        computed.length = 0;

        for (let m = 1; m <= 30; m++) await result(w, true, `2026-11-17T09:${String(m).padStart(2, '0')}:00Z`);
        expect(computed).toEqual([]); // 30 good probes in a row: no month computed

        // Ten failed probes a minute apart: the first computes every site, then not again for 300 s.
        for (let m = 31; m <= 40; m++) {
          await records.saveProbe({ at: at(`2026-11-17T09:${m}:00Z`), ok: false, sent: 10, received: 0, error: 'x' });
          await result(w, false, `2026-11-17T09:${m}:00Z`);
        }
        expect(computed.sort()).toEqual(['hq', 'hq', 'lisbon', 'lisbon', 'tokyo', 'tokyo']); // at 09:31 and 09:36
        computed.length = 0;
        await records.saveProbe({ at: at('2026-11-17T09:41:00Z'), ok: true, sent: 10, received: 10, error: null });
        await result(w, true, '2026-11-17T09:41:00Z'); // the outage's end: every site once more
        expect(computed.sort()).toEqual(['hq', 'lisbon', 'tokyo']);
        computed.length = 0;
        await result(w, true, '2026-11-17T09:42:00Z');
        expect(computed).toEqual([]);

        // An excuse for one site computes that site alone, at once; one for every site computes each.
        await level.excuse(systemActor, { siteId: 'lisbon', start: at('2026-11-17T09:31:00Z'), end: at('2026-11-17T09:41:00Z'), reason: 'attack' });
        await w.idle();
        expect(computed).toEqual(['lisbon']);
        computed.length = 0;
        await level.plan(systemActor, { siteId: null, start: at('2026-11-20T09:00:00Z'), end: at('2026-11-20T10:00:00Z') });
        await w.idle();
        expect(computed.sort()).toEqual(['hq', 'lisbon', 'tokyo']);
        computed.length = 0;

        // December begins in Tokyo first (UTC+9), then in Lisbon (UTC+0), then in Berlin (UTC+1): each once.
        await result(w, true, '2026-11-30T15:00:00Z');
        expect(computed).toEqual(['tokyo']);
        await result(w, true, '2026-11-30T15:01:00Z');
        await result(w, true, '2026-11-30T23:30:00Z');
        expect(computed).toEqual(['tokyo', 'hq']);
        await result(w, true, '2026-12-01T00:00:00Z');
        await result(w, true, '2026-12-01T00:01:00Z');
        expect(computed).toEqual(['tokyo', 'hq', 'lisbon']);
        expect(w.recomputed).toBe(3 + 6 + 3 + 1 + 3 + 3);
      } finally {
        await w.close();
      }
    });
  });
});
