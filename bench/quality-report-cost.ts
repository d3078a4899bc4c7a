// Cost of the pages' quality reports at the gateway: what one quality.report costs
// between the socket and the monitor (the contract's TypeBox check as dispatch does it,
// the JSON size check, QualityMonitor.report), and what folding a leg's browser interval
// adds to a sample. No media: the monitor watches fake calls; time is this process's CPU.
// Usage: node scripts/run.mjs node bench/quality-report-cost.ts [--smoke]
import { performance } from 'node:perf_hooks';
import { Value } from '@sinclair/typebox/value';
import { TypedEmitter } from '../src/core/index.ts';
import type { CallMedia, CallMediaObserverEvents } from '../src/calls/index.ts';
import { QualityEvents } from '../src/signaling/index.ts';
import { QualityMonitor, browserInterval, codecTable, legSample, type ParticipantCounters } from '../src/quality/index.ts';
import { smoke, print } from './lib.ts';

const REPORTS = smoke ? 20_000 : 500_000;
const CALLS = 50;

const schema = QualityEvents['quality.report'];
const media = (ids: string[]) => ({
  closed: false, observer: new TypedEmitter<CallMediaObserverEvents>(),
  participant: (id: string) => (ids.includes(id) ? { id, kind: 'terminal', audioCodec: 'audio/opus', inCall: true } : undefined),
}) as unknown as CallMedia;
const monitor = new QualityMonitor({
  clock: { now: () => 0, setTimeout: () => ({ unref() {} }) as unknown as NodeJS.Timeout, clearTimeout: () => undefined },
  stats: { track: () => ({ read: async () => [] }) }, recorder: { save: async () => undefined },
  // Reports are not rate-limited here: the bench measures the work, not the limit.
  settings: { intervalMs: 5000, mosThreshold: 3.6, lowIntervals: 3, codecs: codecTable({ ie: 0, bpl: 25.1 }), reportsPerInterval: Number.MAX_SAFE_INTEGER, timelineIntervals: 60 },
});
const port = monitor.watch({ open: async () => media(['terminal', 'desk']) });
for (let c = 0; c < CALLS; c++) await port.open(`call-${c}`);

const report = (i: number) => ({
  callId: `call-${i % CALLS}`,
  audio: { packetsReceived: 250 * i, packetsLost: 3 * i, packetsDiscarded: i, jitterMs: 12.5 },
  video: { framesDecoded: 150 * i, framesDropped: i, freezeCount: 0 },
  rttMs: 42,
});
const payloads = Array.from({ length: 1000 }, (_, i) => report(i + 1));

let t0 = performance.now();
for (let i = 0; i < REPORTS; i++) {
  const p = payloads[i % payloads.length]!;
  const bytes = Buffer.byteLength(JSON.stringify(p));
  if (bytes > 64 * 1024 || !Value.Check(schema, p)) throw new Error('refused');
  const { callId, ...rest } = p;
  monitor.report(callId, i % 2 ? 'terminal' : 'desk', rest);
}
const perReportUs = ((performance.now() - t0) * 1000) / REPORTS;

const counters: ParticipantCounters = {
  participantId: 'terminal', audioUp: [{ id: 'a', packets: 250, lost: 2, jitterMs: 5, rttMs: 40 }],
  audioDown: [{ id: 'b', packets: 250, lost: 3, jitterMs: 6, rttMs: 40 }], bitrateBps: 64_000, nack: 0, pli: 0, fir: 0, score: 10,
};
const leg = { callId: 'c', participantId: 'terminal', kind: 'terminal' as const, codec: 'audio/opus' as const };
const codecs = codecTable({ ie: 0, bpl: 25.1 });
t0 = performance.now();
for (let i = 0; i < REPORTS; i++) legSample(leg, counters, undefined, 0, 1, codecs);
const sampleUs = ((performance.now() - t0) * 1000) / REPORTS;
t0 = performance.now();
for (let i = 0; i < REPORTS; i++) legSample(leg, counters, undefined, 0, 1, codecs, browserInterval(payloads[(i + 1) % 1000]!, payloads[i % 1000]!));
const foldedUs = ((performance.now() - t0) * 1000) / REPORTS;
await monitor.close();

print({
  bench: 'quality-report-cost', reports: REPORTS,
  reportUs: Number(perReportUs.toFixed(2)),
  sampleUs: Number(sampleUs.toFixed(2)), sampleWithBrowserUs: Number(foldedUs.toFixed(2)),
  // 50 calls × 2 legs, one report per leg every 5 s (quality.interval_seconds):
  cpuMsPerSecondAt50Calls: Number(((100 / 5) * perReportUs / 1000).toFixed(4)),
});
