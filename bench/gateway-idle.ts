// Gateway start-to-ready time and idle memory, against bare mediasoup (a worker
// and its WebRtcServer, no Portier) measured in the same run.
// Usage: node scripts/run.mjs node bench/gateway-idle.ts [--smoke]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import * as mediasoup from 'mediasoup';
import { loadConfig } from '../src/config/index.ts';
import { Gateway } from '../src/gateway.ts';
import { summary, rssMiB, smoke, print } from './lib.ts';

const ROOT = join(import.meta.dirname, '..');
const RUNS = smoke ? 1 : 10;
const workerBin = process.env.MEDIASOUP_WORKER_BIN;

async function portierRun(): Promise<{ ms: number; rss: number; workerRss: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portier-bench-'));
  const config = loadConfig({
    configDir: join(ROOT, 'config'), cwd: ROOT,
    env: { PORTIER_DATA_DIR: dataDir, PORTIER_HTTP__PORT: '0', PORTIER_HTTPS__PORT: '0', PORTIER_RTC__BASE_PORT: '0', PORTIER_RTC__WORKERS: '1' },
  });
  const start = performance.now();
  const gateway = new Gateway({ config, logger: pino({ level: 'silent' }), workerBin });
  await gateway.start();
  const ms = performance.now() - start;
  const res = await fetch(`http://127.0.0.1:${gateway.services.web.ports.http}/ready`);
  if (res.status !== 200) throw new Error(`not ready: ${res.status}`);
  const pid = gateway.services.sfu.status()[0]!.pid!;
  const sample = { ms, rss: rssMiB(), workerRss: rssMiB(pid) };
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
  return sample;
}

async function bareRun(): Promise<{ ms: number; workerRss: number }> {
  const start = performance.now();
  const worker = await mediasoup.createWorker({ logLevel: 'warn', ...(workerBin ? { workerBin } : {}) });
  await worker.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', portRange: { min: 43000, max: 43999 } }, { protocol: 'tcp', ip: '127.0.0.1', portRange: { min: 43000, max: 43999 } }] });
  const ms = performance.now() - start;
  const workerRss = rssMiB(worker.pid);
  worker.close();
  return { ms, workerRss };
}

const portier: Awaited<ReturnType<typeof portierRun>>[] = [];
const bare: Awaited<ReturnType<typeof bareRun>>[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(await bareRun());
  portier.push(await portierRun());
}
const p50 = (xs: number[]) => summary(xs).p50;
print({
  bench: 'gateway-idle',
  runs: RUNS,
  portier_start_to_ready_ms: summary(portier.map((s) => s.ms)),
  bare_mediasoup_worker_and_server_ms: summary(bare.map((s) => s.ms)),
  start_ratio_vs_bare: Number((p50(portier.map((s) => s.ms)) / p50(bare.map((s) => s.ms))).toFixed(2)),
  idle_rss_mib: { node_process: p50(portier.map((s) => s.rss)), worker: p50(portier.map((s) => s.workerRss)) },
  bare_worker_rss_mib: p50(bare.map((s) => s.workerRss)),
});
