// The mediasoup worker pool with real worker processes.
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { freePorts } from '../support/ports.ts';
import { MEDIA_CODECS } from '../support/media-session.ts';

const processAlive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

describe('worker pool', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => { await pool?.close(); pool = undefined; });

  it('gives each worker a WebRtcServer on base_port + index, UDP and TCP', async () => {
    // Two ports outside the ephemeral range: 47000 + pid was taken by another file's connection once in CI.
    const [base] = await freePorts(2) as [number, number];
    pool = await startPool(2, base);
    expect(pool.status().map((w) => w.ports)).toEqual([
      [{ ip: '127.0.0.1', udp: base, tcp: base }],
      [{ ip: '127.0.0.1', udp: base + 1, tcp: base + 1 }],
    ]);
    expect(pool.ready).toBe(true);
  });

  it('places routers on the least-loaded worker and counts them back to zero when closed', async () => {
    pool = await startPool(2);
    const a = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    const b = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    expect(new Set([a.index, b.index]).size).toBe(2);
    expect(pool.status().map((w) => w.routers)).toEqual([1, 1]);
    a.router.close();
    b.router.close();
    expect(pool.status().map((w) => w.routers)).toEqual([0, 0]);
  });

  it('reads each worker\'s CPU time; a worker that does not answer in time is left out, the others are not held up', async () => {
    pool = await startPool(2);
    const first = await pool.cpuSeconds(5_000);
    expect(first.map((u) => u.index)).toEqual([0, 1]);
    for (const u of first) expect(u.seconds).toBeGreaterThan(0);
    // A stopped process cannot answer: the scrape gives up on it at the bound and keeps the other's answer.
    const stopped = pool.status()[1]!.pid!;
    process.kill(stopped, 'SIGSTOP');
    try {
      // A bound a running worker meets on any machine (it answers in about a millisecond); the stopped one takes all of it.
      const second = await pool.cpuSeconds(3_000);
      expect(second.map((u) => u.index)).toEqual([0]);
      expect(second[0]!.seconds).toBeGreaterThanOrEqual(first[0]!.seconds);
    } finally {
      process.kill(stopped, 'SIGCONT');
    }
  });

  it('replaces a worker killed with SIGKILL on the same index and ports; its routers learn it', async () => {
    pool = await startPool(1);
    const before = pool.status()[0]!;
    const { router } = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    const workerClosed = once(router, 'workerclose');
    const replaced = new Promise<[number, number]>((resolve) => pool!.once('workerreplaced', (i, pid) => resolve([i, pid])));
    process.kill(before.pid!, 'SIGKILL');
    await workerClosed;
    expect(router.closed).toBe(true);
    expect(pool.ready).toBe(false);
    const [index, pid] = await replaced;
    expect(index).toBe(0);
    expect(pid).not.toBe(before.pid);
    const after = pool.status()[0]!;
    expect(after).toMatchObject({ ready: true, restarts: 1, routers: 0, ports: before.ports });
    await expect(pool.createRouter({ mediaCodecs: MEDIA_CODECS })).resolves.toMatchObject({ index: 0 });
  });

  it('close() ends every worker process', async () => {
    pool = await startPool(2);
    const pids = pool.status().map((w) => w.pid!);
    const { router } = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    await pool.close();
    expect(router.closed).toBe(true);
    expect(pids.filter(processAlive)).toEqual([]);
    expect(pool.ready).toBe(false);
  });
});
