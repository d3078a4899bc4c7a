// The synthetic probe on a real mediasoup worker with a manual clock: every
// interval it opens a call media through the MediaPort, sends RTP through two
// plain-RTP participants and counts the packets that come out; the result is
// stored and its media closed. Two failed probes in a row are down, the next
// good one is up, and the stored probes give that outage to the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import type { MediaPort } from '../../src/calls/index.ts';
import { UnavailableError } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';
import { HealthSampler, SlaMetrics, SlaRecords, SyntheticProbe, outagesFromSamples, type ProbeResult } from '../../src/quality/index.ts';
import { startPool } from '../support/pool.ts';
import { ManualClock } from '../support/manual-clock.ts';

const INTERVAL = 60_000;
const settings = { intervalMs: INTERVAL, packets: 10, timeoutMs: 5000, failures: 2 };

describe('synthetic probe', () => {
  let pool: WorkerPool;
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    pool = await startPool();
    dir = mkdtempSync(join(tmpdir(), 'portier-probe-'));
    store = await Store.open(join(dir, 'portier.db'));
  });
  afterAll(async () => {
    await pool?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const routers = () => pool.status().reduce((n, w) => n + w.routers, 0);

  it('every interval it sends media through a worker end to end, counts the packets, stores the result and closes its media', async () => {
    const clock = new ManualClock();
    const records = new SlaRecords(store);
    const opened: string[] = [];
    const port = new SfuMediaPort(pool);
    const counting: MediaPort = { open: (id) => { opened.push(id); return port.open(id); } };
    const probe = new SyntheticProbe({ clock, media: counting, records, settings });
    probe.start();
    for (let i = 1; i <= 2; i++) {
      const done = new Promise<ProbeResult>((resolve) => probe.once('probe', resolve));
      await clock.advance(INTERVAL);
      expect(await done).toEqual({ at: clock.t, ok: true, sent: 10, received: 10, error: null });
      expect(opened).toHaveLength(i);
      expect(routers()).toBe(0);
    }
    expect(new Set(opened).size).toBe(2); // a fresh media each time
    expect(opened.every((id) => id.startsWith('probe-'))).toBe(true);
    await probe.close();
    expect(clock.pending).toBe(0);
    const stored = await records.probes({ start: 0, end: clock.t + 1 });
    expect(stored.map((p) => [p.ok, p.sent, p.received])).toEqual([[true, 10, 10], [true, 10, 10]]);
  });

  it('two failed probes in a row are down, one is not; the next good probe is up, and the outage spans them', async () => {
    const clock = new ManualClock();
    clock.t += 10 * 86_400_000; // apart from the other test's stored probes
    const from = clock.t;
    const records = new SlaRecords(store);
    const port = new SfuMediaPort(pool);
    let broken = false;
    const media: MediaPort = { open: (id) => (broken ? Promise.reject(new UnavailableError('no media worker is available')) : port.open(id)) };
    const probe = new SyntheticProbe({ clock, media, records, settings });
    const metrics = new SlaMetrics({ probe, sampler: new HealthSampler({ clock, records, sources: () => [], sampleMs: 10_000, retentionMs: 800 * 86_400_000, drained: () => false }) });
    const line = (name: string) => metrics.render().split('\n').find((l) => l.startsWith(`${name} `));
    const events: string[] = [];
    probe.on('down', (d) => events.push(`down since ${d.since - from}`));
    probe.on('up', (u) => events.push(`up at ${u.at - from}`));
    const next = async () => {
      const done = new Promise<ProbeResult>((resolve) => probe.once('probe', resolve));
      await clock.advance(INTERVAL);
      return done;
    };
    probe.start();
    expect((await next()).ok).toBe(true); // 1 min
    broken = true;
    expect(await next()).toMatchObject({ ok: false, sent: 0, received: 0, error: 'no media worker is available' }); // 2 min
    expect(events).toEqual([]);
    broken = false;
    expect((await next()).ok).toBe(true); // 3 min: a single failure is not down
    broken = true;
    await next(); // 4 min
    expect(probe.down).toBe(false);
    await next(); // 5 min
    expect(probe.down).toBe(true);
    expect(events).toEqual([`down since ${4 * INTERVAL}`]);
    expect([line('portier_probe_up'), line('portier_probes_total{result="ok"}'), line('portier_probes_total{result="failed"}')])
      .toEqual(['portier_probe_up 0', 'portier_probes_total{result="ok"} 2', 'portier_probes_total{result="failed"} 3']);
    expect(line('portier_probe_packets_received_total')).toBe('portier_probe_packets_received_total 20');
    await next(); // 6 min
    broken = false;
    expect((await next()).ok).toBe(true); // 7 min
    expect(events).toEqual([`down since ${4 * INTERVAL}`, `up at ${7 * INTERVAL}`]);
    expect(line('portier_probe_up')).toBe('portier_probe_up 1');
    metrics.close();
    await probe.close();

    const stored = await records.probes({ start: from, end: clock.t + 1 });
    expect(stored.map((p) => p.ok)).toEqual([true, false, true, false, false, false, true]);
    const outages = outagesFromSamples(stored, { failures: 2, maxGapMs: Number.MAX_SAFE_INTEGER });
    expect(outages).toEqual([{ start: from + 4 * INTERVAL, end: from + 7 * INTERVAL }]);
  });

  it('media that does not come out of the worker fails the probe on its timeout, and the media is closed', async () => {
    const clock = new ManualClock();
    clock.t += 30 * 86_400_000;
    const records = new SlaRecords(store);
    const port = new SfuMediaPort(pool);
    let resumed: () => void = () => {};
    const held = new Promise<void>((resolve) => { resumed = resolve; });
    // The consumer is never resumed: the worker receives the packets and forwards none.
    const media: MediaPort = {
      open: async (id) => {
        const m = await port.open(id);
        return new Proxy(m, {
          get: (target, key) => {
            if (key === 'resume') return async () => { resumed(); };
            const v = Reflect.get(target, key, target);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
      },
    };
    const probe = new SyntheticProbe({ clock, media, records, settings });
    const done = new Promise<ProbeResult>((resolve) => probe.once('probe', resolve));
    probe.start();
    await clock.advance(INTERVAL);
    await held;
    await clock.advance(settings.timeoutMs);
    expect(await done).toMatchObject({ ok: false, received: 0, error: 'no media back within 5000 ms' });
    expect(routers()).toBe(0);
    await probe.close();
  });

  it('a signaling sign-in that is not acknowledged fails the probe on its timeout naming signaling, aborts it and opens no media', async () => {
    const clock = new ManualClock();
    clock.t += 40 * 86_400_000;
    const records = new SlaRecords(store);
    const opened: string[] = [];
    const port = new SfuMediaPort(pool);
    const media: MediaPort = { open: (id) => { opened.push(id); return port.open(id); } };
    let asked: (signal: AbortSignal) => void = () => {};
    const signalled = new Promise<AbortSignal>((resolve) => { asked = resolve; });
    const probe = new SyntheticProbe({ clock, media, records, settings, signaling: (signal) => { asked(signal); return new Promise(() => {}); } });
    const done = new Promise<ProbeResult>((resolve) => probe.once('probe', resolve));
    probe.start();
    await clock.advance(INTERVAL);
    const signal = await signalled;
    expect(signal.aborted).toBe(false);
    await clock.advance(settings.timeoutMs);
    expect(await done).toMatchObject({ ok: false, sent: 0, error: 'signaling: no acknowledgement within 5000 ms' });
    expect(signal.aborted).toBe(true);
    expect(opened).toEqual([]);
    await probe.close();
    expect(clock.pending).toBe(0);
  });

  it('close ends a probe under way without storing it', async () => {
    const clock = new ManualClock();
    clock.t += 20 * 86_400_000;
    const records = new SlaRecords(store);
    let opening: () => void = () => {};
    const opened = new Promise<void>((resolve) => { opening = resolve; });
    // A media port that never answers: only close can end this probe (its timeout runs on the manual clock).
    const media: MediaPort = { open: () => { opening(); return new Promise(() => {}); } };
    const probe = new SyntheticProbe({ clock, media, records, settings });
    probe.start();
    void clock.advance(INTERVAL);
    await opened;
    await probe.close();
    expect(clock.pending).toBe(0);
    expect(await records.probes({ start: clock.t - INTERVAL, end: clock.t + 1 })).toEqual([]);
  });
});
