// What a benchmarked hub process spends per message, steadier than latency on a
// loaded machine: main-thread CPU, SQLite statement executions by kind (and the
// slowest COMMIT), WAL frames appended (from the checkpoint thread's passes) and
// GC pauses, each second since the last reset. Used by bench/mqtt-hub-server.ts.
import { performance, PerformanceObserver, constants } from 'node:perf_hooks';
import type { Store } from '../src/store/index.ts';
import { interceptStatements } from '../test/support/statements.ts';

export interface HubStats {
  seconds: number;
  main_thread_cpu_ms: number;
  statements: Record<string, number>;
  /** Time inside SQLite by statement kind (wall time of each execution: on a loaded machine it includes waits for a core). */
  statement_ms: Record<string, number>;
  commit_ms_max: number;
  /** WAL frames (4 KiB pages + 24-byte headers) appended. */
  wal_frames: number;
  checkpoint_passes: number;
  /** Main-thread CPU ms in each second since the reset (sampled once a second): where a cold process shows. */
  cpu_per_second: Array<{ s: number; cpu_ms: number }>;
  /** `major`: mark-compact pauses (the rest are scavenges and incremental steps). */
  gc: { count: number; total_ms: number; max_ms: number; major: number; major_ms: number; per_second: Array<{ s: number; count: number; total_ms: number; max_ms: number; major: number }> };
}

/** Counts from now on; `reset()` starts over, `read()` reports since the last reset. */
export function watchHub(store: Store): { reset: () => void; read: () => HubStats } {
  let statements: Record<string, number> = {};
  let statementMs: Record<string, number> = {};
  let commitMax = 0;
  let walFrames = 0;
  let passes = 0;
  let lastLog = 0;
  let gcs: Array<{ at: number; ms: number; major: boolean }> = [];
  let t0 = performance.now();
  let cpu0 = process.threadCpuUsage();
  let cpuSamples: Array<{ s: number; cpu_ms: number }> = [];
  let lastCpu = 0;
  const sampleCpu = () => {
    const { user, system } = process.threadCpuUsage(cpu0);
    const ms = (user + system) / 1000;
    cpuSamples.push({ s: cpuSamples.length, cpu_ms: Number((ms - lastCpu).toFixed(1)) });
    lastCpu = ms;
  };
  let sampler = setInterval(sampleCpu, 1000).unref();

  interceptStatements((kind, execute) => {
    statements[kind] = (statements[kind] ?? 0) + 1;
    const at = performance.now();
    try {
      return execute();
    } finally {
      const ms = performance.now() - at;
      statementMs[kind] = (statementMs[kind] ?? 0) + ms;
      if (kind === 'commit') commitMax = Math.max(commitMax, ms);
    }
  });
  store.checkpointer?.on('pass', (pass) => {
    if (pass.log < 0) return; // that pass could not run: it says nothing about the WAL
    passes++;
    // The WAL starts over after a pass that copied everything: its frames count from zero again.
    walFrames += pass.log >= lastLog ? pass.log - lastLog : pass.log;
    lastLog = pass.log;
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ at: e.startTime, ms: e.duration, major: (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }).observe({ entryTypes: ['gc'] });

  const round = (n: number) => Number(n.toFixed(2));
  return {
    reset: () => {
      statements = {};
      statementMs = {};
      commitMax = 0;
      walFrames = 0;
      passes = 0;
      gcs = [];
      t0 = performance.now();
      cpu0 = process.threadCpuUsage();
      cpuSamples = [];
      lastCpu = 0;
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
        commit_ms_max: round(commitMax),
        wal_frames: walFrames,
        checkpoint_passes: passes,
        cpu_per_second: cpuSamples,
        gc: {
          count: after.length, total_ms: round(after.reduce((n, g) => n + g.ms, 0)), max_ms: round(Math.max(0, ...after.map((g) => g.ms))),
          major: after.filter((g) => g.major).length, major_ms: round(after.filter((g) => g.major).reduce((n, g) => n + g.ms, 0)),
          per_second: [...perSecond.values()].sort((a, b) => a.s - b.s),
        },
      };
    },
  };
}
