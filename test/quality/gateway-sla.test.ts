// The gateway's own runs as the SLA sees them (and /metrics the service level): a gateway stopped with a drain and
// started again on the same data leaves a drained gap from its recorded stop; one
// closed without a drain leaves an undrained gap (downtime). Real gateways, one
// data directory, started one after the other.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../support/gateway.ts';

type Tables = {
  sla_runs: { started_at: number; stopped_at: number | null; drained: number };
  sla_periods: { id: string; kind: string; start_at: number; end_at: number; drained: number };
  health_minutes: { minute: number; samples: number; not_ready: number; last_at: number };
};

describe('gateway runs and gaps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portier-sla-runs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = () => startGateway({ PORTIER_DATA_DIR: dir });
  const db = (gw: Awaited<ReturnType<typeof start>>) => gw.gateway.services.store.db.withTables<Tables>();

  it('a drained stop is recorded and the next start stores the gap from it as drained; a stop without a drain is not', async () => {
    const first = await start();
    const [run1] = await db(first).selectFrom('sla_runs').selectAll().execute();
    expect(run1).toMatchObject({ stopped_at: null, drained: 0 });
    // The first sample was taken at start, every component ready.
    expect(await db(first).selectFrom('health_minutes').selectAll().execute()).toMatchObject([{ samples: 1, not_ready: 0 }]);
    // /metrics carries the service level: the probe is up (none failed yet) and each component's readiness at the last sample.
    const metrics = await (await fetch(`${first.base}/metrics`)).text();
    expect(metrics).toContain('\nportier_probe_up 1\n');
    expect(metrics).toContain('\nportier_component_ready{component="sfu",state="ready"} 1\n');
    expect(metrics).toContain('\nportier_component_ready{component="sip",state="disabled"} 1\n');
    // The one media worker's CPU time (asked of it at the scrape: it has started, so it has used some) and its routers.
    expect(Number(/\nportier_sfu_worker_cpu_seconds_total\{worker="0"\} (\S+)\n/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/\nportier_sfu_worker_routers\{worker="0"\} \d+\n/);
    await first.gateway.drain(0);
    await first.close(); // closes the gateway (and removes the unused temp dir startGateway made)

    const second = await start();
    const runs = await db(second).selectFrom('sla_runs').selectAll().orderBy('started_at').execute();
    expect(runs).toHaveLength(2);
    expect(runs[0]!.drained).toBe(1);
    const gaps = await db(second).selectFrom('sla_periods').selectAll().where('kind', '=', 'gap').execute();
    expect(gaps).toEqual([expect.objectContaining({ start_at: runs[0]!.stopped_at, end_at: runs[1]!.started_at, drained: 1 })]);
    await second.close(); // no drain

    const third = await start();
    const later = await db(third).selectFrom('sla_periods').selectAll().where('kind', '=', 'gap').orderBy('start_at').execute();
    expect(later).toHaveLength(2);
    expect(later[1]).toMatchObject({ drained: 0 });
    await third.close();
  });
});
