// The real synthetic probe on a real mediasoup worker as the alerts' source, a
// manual clock and a local HTTP server as the webhook: probes failing twice (and
// on) give one class-1 alert, the next good probe one recovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import type { MediaPort } from '../../src/calls/index.ts';
import { UnavailableError } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';
import { SlaRecords, SyntheticProbe, type ProbeResult } from '../../src/quality/index.ts';
import { Alerts, type AlertMessage } from '../../src/alerts/index.ts';
import { startPool } from '../support/pool.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

const INTERVAL = 60_000;

describe('alerts from the synthetic probe', () => {
  let pool: WorkerPool;
  let store: Store;
  let dir: string;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    pool = await startPool();
    dir = mkdtempSync(join(tmpdir(), 'portier-alerts-probe-'));
    store = await Store.open(join(dir, 'portier.db'));
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await pool?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two failed probes in a row give one class-1 alert, more failures none; the next good probe one recovery', async () => {
    const clock = new ManualClock();
    const port = new SfuMediaPort(pool);
    let broken = false;
    const media: MediaPort = { open: (id) => (broken ? Promise.reject(new UnavailableError('no media worker is available')) : port.open(id)) };
    const probe = new SyntheticProbe({ clock, media, records: new SlaRecords(store), settings: { intervalMs: INTERVAL, packets: 10, timeoutMs: 5000, failures: 2 } });
    const alerts = new Alerts({
      clock, logger: pino({ level: 'silent' }), sources: { probe },
      settings: { mqtt: false, webhook: { url: receiver.url('/alerts'), timeoutMs: 5000, attempts: 3, retryMs: 10_000, maxPending: 10 } },
    });
    const seen: AlertMessage[] = [];
    alerts.on('alert', (m) => seen.push(m));
    const delivered: AlertMessage[] = [];
    alerts.on('delivered', (m) => delivered.push(m));
    const next = async () => {
      const done = new Promise<ProbeResult>((resolve) => probe.once('probe', resolve));
      await clock.advance(INTERVAL);
      return done;
    };
    probe.start();
    expect((await next()).ok).toBe(true);
    broken = true;
    expect((await next()).ok).toBe(false);
    expect(seen).toEqual([]); // one failure is not down
    const firstDelivery = new Promise((resolve) => alerts.once('delivered', resolve));
    await next();
    await firstDelivery;
    await next();
    await next();
    expect(seen.map((m) => [m.kind, m.state, m.incidentClass])).toEqual([['probe-down', 'open', 1]]);
    broken = false;
    const recovery = new Promise((resolve) => alerts.once('delivered', resolve));
    expect((await next()).ok).toBe(true);
    await recovery;
    expect(receiver.received.map((r) => [r.body.kind, r.body.state, r.body.incidentClass])).toEqual([['probe-down', 'open', 1], ['probe-down', 'recovered', 1]]);
    // Opened when the second failure made it down (3 min), recovered at 6 min.
    expect(receiver.received[1]!.body).toMatchObject({ durationMs: 3 * INTERVAL, subject: { since: receiver.received[0]!.body.openedAt - INTERVAL } });
    expect(delivered).toHaveLength(2);
    await probe.close();
    await alerts.close();
    expect(clock.pending).toBe(0);
  });
});
