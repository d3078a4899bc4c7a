// Cost of call-quality monitoring: 50 concurrent calls through Portier's call media
// (two plain-RTP participants each, opus-sized audio both ways at 50 packets/s),
// once without and once with the QualityMonitor reading every participant's
// mediasoup stats every interval. Reports CPU of this process and of the worker
// (ms per second of wall time), the event loop's delay, and how long one
// collection round over one call takes. The senders run in this process in both runs.
// Usage: node scripts/run.mjs node bench/quality-cost.ts [--smoke] [--interval-ms=5000]
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { SfuMediaPort } from '../src/sfu/index.ts';
import type { MediaParameters, MediaPort, CallMedia } from '../src/calls/index.ts';
import { systemClock } from '../src/core/index.ts';
import { QualityMonitor, SfuStatsSource, codecTable, type MediaStatsSource } from '../src/quality/index.ts';
import { startPool } from '../test/support/pool.ts';
import { AUDIO, Receiver, send, type StreamSpec } from './rtp-load.ts';
import { smoke, print, summary } from './lib.ts';

const CALLS = smoke ? 4 : 50;
const SECONDS = smoke ? 3 : 30;
/** --interval-ms=N (default 5000, the default quality.interval_seconds). */
const INTERVAL_MS = Number(process.argv.find((a) => a.startsWith('--interval-ms='))?.split('=')[1] ?? 5000);

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const ownCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function call(port: MediaPort, n: number, receiverPort: number): Promise<{ media: CallMedia; streams: Array<StreamSpec & { port: number }> }> {
  const media = await port.open(`quality-bench-${n}`);
  const streams: Array<StreamSpec & { port: number }> = [];
  for (const id of ['terminal', 'desk'] as const) media.join({ id, kind: id });
  for (const [i, party] of (['terminal', 'desk'] as const).entries()) {
    const other = party === 'terminal' ? 'desk' : 'terminal';
    const spec = { ...AUDIO, ssrc: 3_000_000 + n * 10 + i };
    const input = await media.createPlainTransport(party, { ip: '127.0.0.1', comedia: true });
    const producerId = await media.produce(party, input.id, 'audio', {
      codecs: [{ mimeType: 'audio/opus', payloadType: spec.payloadType, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: spec.ssrc }],
    } as unknown as MediaParameters);
    const output = await media.createPlainTransport(other, { ip: '127.0.0.1', comedia: false });
    await media.connectPlain(other, output.id, { ip: '127.0.0.1', port: receiverPort });
    const consumer = await media.consume(other, output.id, producerId);
    await media.resume(other, consumer.id);
    streams.push({ ...spec, port: input.port });
  }
  return { media, streams };
}

const pool = await startPool(1);
const receiver = new Receiver();
const receiverPort = await receiver.bind();
const workerPid = pool.status()[0]!.pid!;
const results: Record<string, unknown> = {};
try {
  for (const mode of ['off', 'on'] as const) {
    const rounds: number[] = [];
    let samples = 0;
    const timed: MediaStatsSource = {
      track(media) {
        const reader = new SfuStatsSource().track(media);
        return reader && { read: async () => { const t0 = performance.now(); const r = await reader.read(); rounds.push(performance.now() - t0); return r; } };
      },
    };
    const monitor = new QualityMonitor({
      clock: systemClock, stats: timed, recorder: { save: async () => undefined },
      settings: { intervalMs: INTERVAL_MS, mosThreshold: 3.6, lowIntervals: 3, codecs: codecTable({ ie: 0, bpl: 25.1 }), reportsPerInterval: 2, timelineIntervals: 60 },
    });
    monitor.on('sample', () => { samples += 1; });
    const port = mode === 'on' ? monitor.watch(new SfuMediaPort(pool)) : new SfuMediaPort(pool);
    const calls = [];
    for (let n = 0; n < CALLS; n++) calls.push(await call(port, n, receiverPort));
    receiver.reset();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = { own: ownCpuMs(), worker: cpuMsOf(workerPid), at: performance.now() };
    const sent = await send(calls.flatMap((c) => c.streams), SECONDS);
    const wallS = (performance.now() - cpu0.at) / 1000;
    const own = (ownCpuMs() - cpu0.own) / wallS;
    const worker = (cpuMsOf(workerPid) - cpu0.worker) / wallS;
    loop.disable();
    calls.forEach((c) => c.media.close());
    await monitor.close();
    results[mode] = {
      cpuMsPerS: { node: Number(own.toFixed(1)), worker: Number(worker.toFixed(1)), total: Number((own + worker).toFixed(1)) },
      eventLoopDelayMs: { p50: Number((loop.percentile(50) / 1e6).toFixed(2)), p99: Number((loop.percentile(99) / 1e6).toFixed(2)) },
      sent, received: receiver.stats().received, samples, readMsPerCall: summary(rounds),
    };
  }
  const off = (results.off as { cpuMsPerS: { total: number } }).cpuMsPerS.total;
  const on = (results.on as { cpuMsPerS: { total: number } }).cpuMsPerS.total;
  print({ bench: 'quality-cost', calls: CALLS, seconds: SECONDS, intervalMs: INTERVAL_MS, ...results, extraCpuPct: Number((((on - off) / off) * 100).toFixed(1)) });
} finally {
  receiver.close();
  await pool.close();
}
