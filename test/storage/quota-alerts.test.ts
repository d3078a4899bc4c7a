// The storage quota's levels become alerts: nearly full (class 3) and used up
// (class 2), each cleared with a recovery when usage drops below it.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Alerts, type AlertMessage } from '../../src/alerts/index.ts';
import { StorageQuota } from '../../src/storage/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

describe('storage quota alerts', () => {
  const dirs: string[] = [];
  /** Closed after each test, passed or failed: the alerts first (they listen to the quota), then the quota. */
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('raises the warning found at start, then used-up, and clears both as space is freed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-quota-alerts-'));
    dirs.push(dir);
    const db = join(dir, 'portier.db');
    writeFileSync(db, Buffer.alloc(850));
    const quota = new StorageQuota({ quotaBytes: 1000, warnPercent: 80, checkEveryMs: 60_000, paths: [db] }, new ManualClock());
    open.push(quota);
    const alerts = new Alerts({ clock: new ManualClock(), logger: pino({ level: 'silent' }), settings: { webhook: null, mqtt: false }, sources: { storage: quota } });
    open.push(alerts);
    const sent: AlertMessage[] = [];
    alerts.on('alert', (m) => sent.push(m));
    // Already at 85 % when the component started: open from the start.
    expect(alerts.list().map((a) => [a.id, a.incidentClass])).toEqual([['storage:warning', 3]]);

    writeFileSync(`${db}-wal`, Buffer.alloc(200));
    quota.measure();
    writeFileSync(`${db}-wal`, Buffer.alloc(0));
    quota.measure();
    rmSync(db);
    quota.measure();
    expect(sent.map((m) => [m.id, m.state, m.kind])).toEqual([
      ['storage:full', 'open', 'storage-quota'],
      ['storage:full', 'recovered', 'storage-quota'],
      ['storage:warning', 'recovered', 'storage-quota'],
    ]);
    expect(sent[0]!.text.de).toMatch(/^Speicherkontingent erschöpft/);
    expect(alerts.list()).toEqual([]);
  });
});
