// Health samples and the gap at start, on a real store with a manual clock: the
// sampler reads the components through status sources every interval and stores
// minute aggregates plus state changes; a start records the time since the
// gateway was last seen as a gap, drained or not, and the report counts it
// (a drained stop wholly inside the maintenance window is not an outage).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.ts';
import { AuditLog, systemActor } from '../../src/audit/index.ts';
import { Sites } from '../../src/sites/index.ts';
import type { ComponentState, StatusSource } from '../../src/lifecycle/index.ts';
import { HealthSampler, ServiceLevel, SlaRecords, type HealthSnapshot } from '../../src/quality/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const SAMPLE_MS = 10_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const RETENTION = 800 * DAY;

class Component implements StatusSource {
  state: ComponentState = 'ready';
  readonly name: string;
  constructor(name: string) { this.name = name; }
  status() { return { state: this.state }; }
}

describe('health samples', () => {
  let dir: string;
  let store: Store;
  let records: SlaRecords;
  const components = ['store', 'sfu', 'http', 'mqtt'].map((n) => new Component(n));
  const sfu = components[1]!;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-health-'));
    store = await Store.open(join(dir, 'portier.db'));
    records = new SlaRecords(store);
    for (const c of components) c.state = 'ready';
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function sampler(clock: ManualClock, drained = false): HealthSampler {
    return new HealthSampler({ clock, records, sources: () => components, sampleMs: SAMPLE_MS, retentionMs: RETENTION, drained: () => drained });
  }

  /** Advances the clock one interval and waits for the sample it takes. */
  async function step(clock: ManualClock, s: HealthSampler): Promise<HealthSnapshot> {
    const taken = new Promise<HealthSnapshot>((resolve) => s.once('sample', resolve));
    await clock.advance(SAMPLE_MS);
    return taken;
  }

  it('every interval each component is sampled into its minute; a state is stored only when it changes', async () => {
    const clock = new ManualClock();
    const t0 = clock.t; // a whole minute
    expect(t0 % MINUTE).toBe(0);
    const s = sampler(clock);
    expect(await s.start()).toBeNull(); // nothing seen before: no gap
    await step(clock, s); // +10 s
    await step(clock, s); // +20 s
    sfu.state = 'degraded';
    expect((await step(clock, s)).ready).toBe(false); // +30 s
    const at40 = await step(clock, s);
    expect(at40.states).toEqual({ store: 'ready', sfu: 'degraded', http: 'ready', mqtt: 'ready' });
    sfu.state = 'ready';
    await step(clock, s); // +50 s
    await step(clock, s); // +60 s: the next minute
    await s.close();
    expect(clock.pending).toBe(0);

    expect(await records.minutes({ start: t0, end: t0 + 2 * MINUTE })).toEqual([
      { minute: t0, samples: 6, notReady: 2, lastAt: t0 + 50_000 },
      { minute: t0 + MINUTE, samples: 1, notReady: 0, lastAt: t0 + MINUTE },
    ]);
    expect(await records.changes({ start: t0, end: t0 + 2 * MINUTE })).toEqual([
      { at: t0, component: 'http', state: 'ready' },
      { at: t0, component: 'mqtt', state: 'ready' },
      { at: t0, component: 'sfu', state: 'ready' },
      { at: t0, component: 'store', state: 'ready' },
      { at: t0 + 30_000, component: 'sfu', state: 'degraded' },
      { at: t0 + 50_000, component: 'sfu', state: 'ready' },
    ]);
  });

  it('deletes what is older than the retention at start and once a day, and keeps the rest', async () => {
    const clock = new ManualClock();
    const t0 = clock.t;
    const old = t0 - 2 * DAY;
    const recent = t0 - DAY / 2;
    for (const at of [old, recent]) {
      await records.sample(at, true, [{ component: 'sfu', state: 'ready' }]);
      await records.saveProbe({ at, ok: true, sent: 10, received: 10, error: null });
      await records.addPeriod({ id: `gap-${at}`, kind: 'gap', siteId: null, start: at - 1000, end: at, reason: null, note: null, drained: false, createdAt: at, createdBy: null });
    }
    const kept = async () => ({
      minutes: (await records.minutes({ start: 0, end: t0 + 2 * DAY })).map((m) => m.minute),
      changes: (await records.changes({ start: 0, end: t0 + 2 * DAY })).map((c) => c.at),
      probes: (await records.probes({ start: 0, end: t0 + 2 * DAY })).map((p) => p.at),
    });
    const hourly = new HealthSampler({ clock, records, sources: () => components, sampleMs: 3_600_000, retentionMs: DAY, drained: () => false });
    await hourly.start();
    // The first sample records every component's state (four changes at t0).
    expect(await kept()).toEqual({ minutes: [recent - (recent % MINUTE), t0], changes: [recent, t0, t0, t0, t0], probes: [recent] });
    // A day later the one that was recent at start is gone too.
    for (let i = 0; i < 24; i++) await step24(clock, hourly);
    const later = await kept();
    expect(later.probes).toEqual([]);
    expect(later.changes).toEqual([t0, t0, t0, t0]);
    expect(later.minutes[0]).toBe(t0);
    await hourly.close();
  });

  async function step24(clock: ManualClock, s: HealthSampler): Promise<void> {
    const taken = new Promise((resolve) => s.once('sample', resolve));
    await clock.advance(3_600_000);
    await taken;
  }

  it('a component whose status throws counts as failed, and the sampler goes on', async () => {
    const clock = new ManualClock();
    const broken: StatusSource = { name: 'sip', status: () => { throw new Error('boom'); } };
    const s = new HealthSampler({ clock, records, sources: () => [...components, broken], sampleMs: SAMPLE_MS, retentionMs: RETENTION, drained: () => false });
    await s.start();
    const next = await step(clock, s);
    expect(next).toMatchObject({ ready: false, states: { sip: 'failed', sfu: 'ready' } });
    await s.close();
  });

  it('the gap since the gateway was last seen is recorded at start: drained or crashed, and counted in the report', async () => {
    const audit = new AuditLog(store.db, new ManualClock());
    const sites = new Sites({ store, audit, clock: new ManualClock() });
    await sites.create(systemActor, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    // December 2026 in Berlin (UTC+1); the window is Saturday 07:00 – Sunday 22:00 local, 06:00Z – 21:00Z.
    const at = (iso: string) => Date.parse(iso);
    const run = async (startIso: string, stop: { iso: string; drained: boolean } | 'killed', samples = 1) => {
      const clock = new ManualClock();
      clock.t = at(startIso);
      const s = sampler(clock, stop !== 'killed' && stop.drained);
      const gap = await s.start();
      for (let i = 1; i < samples; i++) await step(clock, s);
      if (stop === 'killed') return gap; // no close: nothing recorded the stop (kill -9); its timer is never run
      clock.t = at(stop.iso);
      await s.close();
      return gap;
    };
    // 1. Runs Saturday morning and is drained at 10:00:30Z, inside the window.
    expect(await run('2026-12-05T10:00:00Z', { iso: '2026-12-05T10:00:30Z', drained: true })).toBeNull();
    // 2. Starts again at 12:00Z: the gap is drained and wholly inside the window. Killed on Monday after two samples.
    const drainedInWindow = await run('2026-12-05T12:00:00Z', { iso: '2026-12-05T13:00:00Z', drained: false });
    expect(drainedInWindow).toMatchObject({ kind: 'gap', start: at('2026-12-05T10:00:30Z'), end: at('2026-12-05T12:00:00Z'), drained: true });
    // 3. Monday 08:00Z, killed after its sample at 08:00:10Z.
    const afterUndrained = await run('2026-12-07T08:00:00Z', 'killed', 2);
    // The stop at 13:00 was not drained: a gap counted as downtime, but Saturday 13:00 – Monday 08:00Z is mostly window.
    expect(afterUndrained).toMatchObject({ start: at('2026-12-05T13:00:00Z'), end: at('2026-12-07T08:00:00Z'), drained: false });
    // 4. 09:00Z: the crash's gap starts at the last sample; drained at 10:00Z on a Tuesday, outside the window.
    const crash = await run('2026-12-07T09:00:00Z', { iso: '2026-12-08T10:00:00Z', drained: true });
    expect(crash).toMatchObject({ start: at('2026-12-07T08:00:10Z'), end: at('2026-12-07T09:00:00Z'), drained: false });
    // 5. Back at 10:30Z: a drained stop outside the window is downtime too.
    const drainedOutside = await run('2026-12-08T10:30:00Z', { iso: '2026-12-08T11:00:00Z', drained: true });
    expect(drainedOutside).toMatchObject({ start: at('2026-12-08T10:00:00Z'), end: at('2026-12-08T10:30:00Z'), drained: true });

    const reportClock = new ManualClock();
    reportClock.t = at('2027-01-02T00:00:00Z');
    const sla = new ServiceLevel({ store, records, audit, sites, clock: reportClock, settings: { probeFailures: 2, mosThreshold: 3.6, noteMaxChars: 500 } });
    const report = await sla.report('hq', '2026-12');
    expect(report.maintenanceStops).toEqual([{ start: at('2026-12-05T10:00:30Z'), end: at('2026-12-05T12:00:00Z') }]);
    expect(report.outages.map((o) => [new Date(o.start).toISOString(), new Date(o.end).toISOString(), o.source, o.drained])).toEqual([
      ['2026-12-05T13:00:00.000Z', '2026-12-07T08:00:00.000Z', 'gap', false],
      ['2026-12-07T08:00:10.000Z', '2026-12-07T09:00:00.000Z', 'gap', false],
      ['2026-12-08T10:00:00.000Z', '2026-12-08T10:30:00.000Z', 'gap', true],
    ]);
    // Saturday 13:00Z – Sunday 21:00Z is window (32 h); Sunday 21:00Z – Monday 09:00Z down (12 h); Tuesday 30 min.
    expect(report.windowMinutes).toBe(32 * 60);
    expect(report.downtimeMinutes).toBe(12 * 60 + 30);
    expect(report.availabilityPercent).toBeCloseTo(((44_640 - 750) / 44_640) * 100, 10);

    // Marked planned after the fact, the Tuesday stop no longer counts.
    await sla.plan(systemActor, { siteId: 'hq', start: at('2026-12-08T09:55:00Z'), end: at('2026-12-08T10:35:00Z'), note: 'Update' });
    const planned = await sla.report('hq', '2026-12');
    expect(planned).toMatchObject({ plannedMinutes: 30, downtimeMinutes: 12 * 60 });
  });
});
