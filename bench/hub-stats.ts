// What a benchmarked hub process spends per message, steadier than latency on a
// loaded machine: main-thread CPU, SQLite statement executions by kind (and the
// slowest COMMIT), WAL frames appended (by COMMITs, from the wal-index) and
// GC pauses, each second since the last reset. Used by bench/mqtt-hub-server.ts.
import { performance, PerformanceObserver, constants } from 'node:perf_hooks';
import { openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Store } from '../src/store/index.ts';
import { interceptStatements } from '../test/support/statements.ts';

export interface HubStats {
  seconds: number;
  main_thread_cpu_ms: number;
  statements: Record<string, number>;
  /** Time inside SQLite by statement kind (wall time of each execution: on a loaded machine it includes waits for a core). */
  statement_ms: Record<string, number>;
  /** statement_ms of each of the first STATEMENT_SECONDS seconds since the reset: whether SQLite is what costs a cold second more. */
  statement_ms_per_second: Array<Record<string, number>>;
  commit_ms_max: number;
  /** COMMITs by duration (ms): upper bounds of the buckets, and the last one open. */
  commit_ms_histogram: Record<string, number>;
  /** COMMITs that started the WAL over (and so synced its header on this thread: synchronous = NORMAL). */
  commits_restarting_wal: number;
  /** Pauses of the store's connection for a WAL restart (src/store/checkpointer.ts) and how long they held it. */
  pauses: { count: number; total_ms: number; max_ms: number };
  /** When (s since the reset) each pause and each COMMIT of 10 ms or more happened, and how long it took: to set beside the slow seconds. */
  slow: Array<{ s: number; what: 'pause' | 'commit' | 'restarting commit'; ms: number }>;
  /** WAL frames (4 KiB pages + 24-byte headers) the COMMITs appended (writes outside a transaction are not counted). */
  wal_frames: number;
  checkpoint_passes: number;
  /** Main-thread CPU ms in each second since the reset (sampled once a second): where a cold process shows. */
  cpu_per_second: Array<{ s: number; cpu_ms: number }>;
  /** The young generation's size (V8's new space, MiB) at the reset and at the end of each second: whether V8 grew it under load (it grows after scavenges in which much survived). */
  young_mib: { at_reset: number; per_second: number[] };
  /** `major`: mark-compact pauses (the rest are scavenges and incremental steps). */
  gc: {
    count: number; total_ms: number; max_ms: number; major: number; major_ms: number; per_second: Array<{ s: number; count: number; total_ms: number; max_ms: number; major: number }>;
    /** Each pause of LONG_GC_MS or more, when (s since the reset): to set beside a slow second's reads. */
    long: Array<{ s: number; ms: number; major: boolean }>;
  };
}

/** Seconds since the reset whose statement times are kept apart (HubStats.statement_ms_per_second). */
const STATEMENT_SECONDS = 3;
/** A GC pause this long (ms) is listed with its time (HubStats.gc.long). */
const LONG_GC_MS = 5;
const COMMIT_BUCKETS_MS = [1, 2, 5, 10, 20, 50] as const;
const bucketOf = (ms: number): string => {
  for (const upper of COMMIT_BUCKETS_MS) if (ms < upper) return `<${upper}`;
  return `>=${COMMIT_BUCKETS_MS.at(-1)}`;
};

/**
 * The WAL header's checkpoint sequence number and salts (bytes 12–23), which
 * change exactly when the WAL starts over; read before and after a COMMIT, they
 * tell whether that COMMIT restarted it. Two 12-byte reads per COMMIT; the file
 * stays open for the process's life (a benchmarked hub).
 */
function walHeaderWatch(path: string): { read: () => string } {
  let fd: number | undefined;
  const header = Buffer.alloc(12);
  return {
    read: () => {
      try {
        fd ??= openSync(`${path}-wal`, 'r');
        const n = readSync(fd, header, 0, 12, 12);
        return n === 12 ? header.toString('hex') : '';
      } catch {
        return '';
      }
    },
  };
}

/**
 * Frames in the WAL: mxFrame of the wal-index header (bytes 16–19 of the -shm
 * file, machine byte order, sqlite.org/walformat.html). Read before and after a
 * COMMIT, the difference is what that COMMIT appended (all of it, when it started
 * the WAL over) — exact however often the WAL starts over, unlike sizes seen by
 * checkpoint passes.
 */
function walFramesWatch(path: string): { read: () => number } {
  let fd: number | undefined;
  const frames = Buffer.alloc(4);
  return {
    read: () => {
      try {
        fd ??= openSync(`${path}-shm`, 'r');
        return readSync(fd, frames, 0, 4, 16) === 4 ? (endianness() === 'LE' ? frames.readUInt32LE(0) : frames.readUInt32BE(0)) : 0;
      } catch {
        return 0;
      }
    },
  };
}

/** V8's new space (the young generation) as committed now, MiB. */
function youngMiB(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space ? Math.round((space.space_size / 1_048_576) * 10) / 10 : 0;
}

/** Counts from now on; `reset()` starts over, `read()` reports since the last reset. */
export function watchHub(store: Store): { reset: () => void; read: () => HubStats } {
  let statements: Record<string, number> = {};
  let statementMs: Record<string, number> = {};
  let statementMsPerSecond: Array<Record<string, number>> = [];
  let commitMax = 0;
  let commitHistogram: Record<string, number> = {};
  let restartingCommits = 0;
  let pauses = { count: 0, total_ms: 0, max_ms: 0 };
  let slow: HubStats['slow'] = [];
  const since = () => Number(((performance.now() - t0) / 1000).toFixed(3));
  const walHeader = walHeaderWatch(store.path);
  const walFrameCount = walFramesWatch(store.path);
  let walFrames = 0;
  let passes = 0;
  let gcs: Array<{ at: number; ms: number; major: boolean }> = [];
  let t0 = performance.now();
  let cpu0 = process.threadCpuUsage();
  let cpuSamples: Array<{ s: number; cpu_ms: number }> = [];
  let lastCpu = 0;
  let youngAtReset = youngMiB();
  let youngSamples: number[] = [];
  const sampleCpu = () => {
    youngSamples.push(youngMiB());
    const { user, system } = process.threadCpuUsage(cpu0);
    const ms = (user + system) / 1000;
    cpuSamples.push({ s: cpuSamples.length, cpu_ms: Number((ms - lastCpu).toFixed(1)) });
    lastCpu = ms;
  };
  let sampler = setInterval(sampleCpu, 1000).unref();

  interceptStatements((kind, execute) => {
    statements[kind] = (statements[kind] ?? 0) + 1;
    const headerBefore = kind === 'commit' ? walHeader.read() : '';
    const framesBefore = kind === 'commit' ? walFrameCount.read() : 0;
    const at = performance.now();
    try {
      return execute();
    } finally {
      const ms = performance.now() - at;
      statementMs[kind] = (statementMs[kind] ?? 0) + ms;
      const second = Math.floor((at - t0) / 1000);
      if (second < STATEMENT_SECONDS) {
        const bucket = (statementMsPerSecond[second] ??= {});
        bucket[kind] = (bucket[kind] ?? 0) + ms;
      }
      if (kind === 'commit') {
        commitMax = Math.max(commitMax, ms);
        const bucket = bucketOf(ms);
        commitHistogram[bucket] = (commitHistogram[bucket] ?? 0) + 1;
        const restarting = headerBefore !== '' && walHeader.read() !== headerBefore;
        if (restarting) restartingCommits++;
        const framesAfter = walFrameCount.read();
        walFrames += restarting ? framesAfter : Math.max(0, framesAfter - framesBefore);
        if (ms >= 10 || restarting) slow.push({ s: since(), what: restarting ? 'restarting commit' : 'commit', ms: round(ms) });
      }
    }
  });
  store.checkpointer?.on('pass', (pass) => {
    if (pass.log < 0) return; // that pass could not run: it says nothing about the WAL
    passes++;
    if (pass.paused && pass.pausedMs !== undefined) {
      pauses.count++;
      pauses.total_ms += pass.pausedMs;
      pauses.max_ms = Math.max(pauses.max_ms, pass.pausedMs);
      slow.push({ s: since(), what: 'pause', ms: round(pass.pausedMs) });
    }
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ at: e.startTime, ms: e.duration, major: (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }).observe({ entryTypes: ['gc'] });

  const round = (n: number) => Number(n.toFixed(2));
  return {
    reset: () => {
      statements = {};
      statementMs = {};
      statementMsPerSecond = [];
      commitMax = 0;
      commitHistogram = {};
      restartingCommits = 0;
      pauses = { count: 0, total_ms: 0, max_ms: 0 };
      slow = [];
      walFrames = 0;
      passes = 0;
      gcs = [];
      t0 = performance.now();
      cpu0 = process.threadCpuUsage();
      cpuSamples = [];
      lastCpu = 0;
      youngAtReset = youngMiB();
      youngSamples = [];
      clearInterval(sampler);
      sampler = setInterval(sampleCpu, 1000).unref();
    },
    read: () => {
      const cpu = process.threadCpuUsage(cpu0);
      const after = gcs.filter((g) => g.at >= t0);
      const perSecond = new Map<number, { s: number; count: number; total_ms: number; max_ms: number; major: number }>();
      for (const g of after) {
        const s = Math.floor((g.at - t0) / 1000);
        const b = perSecond.get(s) ?? { s, count: 0, total_ms: 0, max_ms: 0, major: 0 };
        b.count++;
        if (g.major) b.major++;
        b.total_ms = round(b.total_ms + g.ms);
        b.max_ms = round(Math.max(b.max_ms, g.ms));
        perSecond.set(s, b);
      }
      return {
        seconds: round((performance.now() - t0) / 1000),
        main_thread_cpu_ms: round((cpu.user + cpu.system) / 1000),
        statements: { ...statements },
        statement_ms: Object.fromEntries(Object.entries(statementMs).map(([kind, ms]) => [kind, round(ms)])),
        statement_ms_per_second: Array.from({ length: STATEMENT_SECONDS }, (_, s) => Object.fromEntries(Object.entries(statementMsPerSecond[s] ?? {}).map(([kind, ms]) => [kind, round(ms)]))),
        commit_ms_max: round(commitMax),
        commit_ms_histogram: Object.fromEntries([...COMMIT_BUCKETS_MS.map((b) => `<${b}`), `>=${COMMIT_BUCKETS_MS.at(-1)}`].filter((b) => commitHistogram[b]).map((b) => [b, commitHistogram[b]!])),
        commits_restarting_wal: restartingCommits,
        pauses: { count: pauses.count, total_ms: round(pauses.total_ms), max_ms: round(pauses.max_ms) },
        slow: [...slow],
        wal_frames: walFrames,
        checkpoint_passes: passes,
        cpu_per_second: cpuSamples,
        young_mib: { at_reset: youngAtReset, per_second: [...youngSamples] },
        gc: {
          count: after.length, total_ms: round(after.reduce((n, g) => n + g.ms, 0)), max_ms: round(Math.max(0, ...after.map((g) => g.ms))),
          major: after.filter((g) => g.major).length, major_ms: round(after.filter((g) => g.major).reduce((n, g) => n + g.ms, 0)),
          per_second: [...perSecond.values()].sort((a, b) => a.s - b.s),
          long: after.filter((g) => g.ms >= LONG_GC_MS).map((g) => ({ s: round((g.at - t0) / 1000), ms: round(g.ms), major: g.major })),
        },
      };
    },
  };
}
