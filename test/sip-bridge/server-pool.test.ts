// ServerPool (server-pool.ts) on a manual clock with a scripted probe: which server is
// active, and that the primary's probes stop with the account's moves and with close().
import { describe, it, expect } from 'vitest';
import { ServerPool } from '../../src/sip-bridge/server-pool.ts';
import { ManualClock } from '../support/manual-clock.ts';

const PROBE = 1000;
const servers = [{ host: '10.0.0.1', port: 5060 }, { host: '10.0.0.2', port: 5060 }, { host: '10.0.0.3', port: 5060 }];

/** A pool whose probes wait until the test answers them (each answer resolves the oldest open probe). */
function poolWithHeldProbes(clock: ManualClock) {
  const open: Array<(answered: boolean) => void> = [];
  const pool = new ServerPool({
    servers, clock, holdDownMs: 10 * PROBE, probeMs: PROBE,
    probe: () => new Promise<boolean>((resolve) => open.push(resolve)),
  });
  return { pool, open };
}

describe('ServerPool', () => {
  it('a probe of the primary still in flight when the account moves from one secondary to the next arms no second probe chain, and close() leaves no timer', async () => {
    const clock = new ManualClock();
    const { pool, open } = poolWithHeldProbes(clock);
    pool.failed();
    pool.registered();
    expect(pool.active).toBe(servers[1]);
    await clock.advance(PROBE);
    expect(open).toHaveLength(1);
    // The second server stops answering while the probe of the primary is under way: on to the third.
    pool.failed();
    pool.registered();
    expect(pool.active).toBe(servers[2]);
    expect(clock.pending).toBe(1);
    const probes: boolean[] = [];
    pool.on('probe', (answered) => probes.push(answered));
    open.shift()!(true);
    await new Promise((r) => setImmediate(r));
    // The old probe belonged to the stay at the second server: it counts for nothing and arms nothing.
    expect(probes).toEqual([]);
    expect(pool.probes).toEqual({ answered: 0, missed: 0 });
    expect(clock.pending).toBe(1);
    pool.close();
    expect(clock.pending).toBe(0);
  });

  it('a probe in flight when the pool closes arms no timer after it answers', async () => {
    const clock = new ManualClock();
    const { pool, open } = poolWithHeldProbes(clock);
    pool.failed();
    pool.registered();
    await clock.advance(PROBE);
    pool.close();
    open.shift()!(true);
    await new Promise((r) => setImmediate(r));
    expect(clock.pending).toBe(0);
  });

  it('returns to the primary only after it answered every probe for the hold-down', async () => {
    const clock = new ManualClock();
    const { pool, open } = poolWithHeldProbes(clock);
    let back = 0;
    pool.on('primaryBack', () => back++);
    pool.failed();
    pool.registered();
    for (let i = 0; i <= 10; i++) {
      await clock.advance(PROBE);
      open.shift()!(i !== 3);
      await new Promise((r) => setImmediate(r));
    }
    // The miss at the fourth probe started the hold-down over: 7 answered probes since, 6 s < 10 s.
    expect(back).toBe(0);
    expect(pool.probes).toEqual({ answered: 10, missed: 1 });
    for (let i = 0; i < 4; i++) {
      await clock.advance(PROBE);
      open.shift()!(true);
      await new Promise((r) => setImmediate(r));
    }
    expect(back).toBe(1);
    expect(clock.pending).toBe(0);
    pool.returnToPrimary();
    expect(pool.onPrimary).toBe(true);
    expect(pool.switches).toBe(2);
  });

  it('a new list of servers (a registrar domain resolved anew) keeps the one in use if listed, probing a new first one; else moves to the first', async () => {
    const clock = new ManualClock();
    const { pool, open } = poolWithHeldProbes(clock);
    pool.registered();
    expect(pool.active).toBe(servers[0]);
    // The server in use is still there, behind a new first one: it stays, and the new primary is probed.
    const fresh = { host: '10.0.0.9', port: 5060 };
    expect(pool.replace([fresh, { ...servers[0]! }])).toEqual({ moved: false });
    expect(pool.active).toEqual(servers[0]);
    expect(pool.onPrimary).toBe(false);
    await clock.advance(PROBE);
    expect(open).toHaveLength(1);
    // It is gone: the account moves to the first of the new list; no probe is left.
    expect(pool.replace([servers[2]!, fresh])).toEqual({ moved: true });
    expect(pool.active).toBe(servers[2]);
    expect(pool.servers).toEqual([servers[2], fresh]);
    expect(clock.pending).toBe(0);
    pool.close();
  });
});
