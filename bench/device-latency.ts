// Event to action: a card read published by a card-reader client to the unlock
// command received by the door client (card lookup, audit, outbox row, QoS 1
// publish; the door acks every command). Reads are paced at a target rate.
// Besides the whole run it reports each second's percentiles (the first one is
// where a cold process shows) and the hub's steadier costs per read: main-thread
// CPU, SQLite statements, WAL pages, GC (bench/hub-stats.ts).
// Usage: node scripts/run.mjs node bench/device-latency.ts [--smoke] [--rate N | --sustained] [--seconds N] [--one-at-a-time]   (default: 1 000/s for 60 s)
// --sustained: issue 16's second target, 1 500 reads/s (the same as --rate 1500).
// --one-at-a-time sends each read once the previous unlock arrived (at most N/s): no queueing, no shared
// commits, so the costs per read are the same on a busy machine as on an idle one — compare code with it.
import { performance, PerformanceObserver } from 'node:perf_hooks';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { writeToStream } from 'mqtt-packet';
import { print, smoke, summary, percentile } from './lib.ts';
import { startHubProcess } from './mqtt-lib.ts';
import type { HubStats } from './hub-stats.ts';

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
/** Issue 16's rate to sustain after 1 000/s. */
const SUSTAINED_RATE = 1_500;
const RATE = smoke ? 100 : arg('--rate') ?? (process.argv.includes('--sustained') ? SUSTAINED_RATE : 1_000);
const SECONDS = smoke ? 2 : arg('--seconds') ?? 60;
const TOTAL = RATE * SECONDS;
const DRAIN_MS = 15_000;
const ONE_AT_A_TIME = process.argv.includes('--one-at-a-time');

async function open(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
  return c;
}

// The bench's clients write packets without mqtt-packet's 7.2 MiB number cache: their first CONNECT
// would build it, and a collection of the bench's own under the first reads would promote it — a pause
// in the reads' latency that is not the hub's. (The hub builds it at its warm-up: src/device-hub/packet-numbers.ts.)
writeToStream.cacheNumbers = false;
const hub = await startHubProcess(0);
const url = `mqtt://127.0.0.1:${hub.info.tcp}`;
const { reader: r, door: d, doorId } = hub.info;
const door = await open(url, { clientId: d.id, username: d.id, password: d.secret });
const reader = await open(url, { clientId: r.id, username: r.id, password: r.secret });
const cmdTopic = `portier/hq/doors/${doorId}/cmd`;
await door.subscribeAsync(cmdTopic, { qos: 1 });
await hub.ask('reset');

// Reads of one device are handled in order, so the n-th command answers the n-th read.
const sentAt: number[] = [];
const latencies: number[] = [];
let received = 0;
let finish: () => void = () => {};
let arrived: () => void = () => {};
const finished = new Promise<void>((resolve) => { finish = resolve; });
door.on('message', (_topic, payload) => {
  const at = performance.now();
  const cmd = JSON.parse(payload.toString()) as { id: string };
  latencies.push(at - sentAt[received]!);
  received++;
  door.publish('portier/hq/door-1/ack', JSON.stringify({ id: cmd.id, result: 'ok' }), { qos: 1 });
  arrived();
  if (received === TOTAL) finish();
});

const t0 = performance.now();
// The bench's own GC pauses of 5 ms or more (its clients' too): a pause here delays reads as one in the hub does.
const benchGc: Array<{ s: number; ms: number }> = [];
const benchGcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.duration >= 5) benchGc.push({ s: Number(((e.startTime - t0) / 1000).toFixed(2)), ms: Number(e.duration.toFixed(2)) });
});
benchGcObserver.observe({ entryTypes: ['gc'] });
// The bench's own main-thread CPU each second (its clients are cold at first too): the latency includes it.
const benchCpu: number[] = [];
let benchCpu0 = process.threadCpuUsage();
const benchSampler = setInterval(() => {
  const now = process.threadCpuUsage();
  benchCpu.push((now.user + now.system - benchCpu0.user - benchCpu0.system) / 1000);
  benchCpu0 = now;
}, 1000);
for (let i = 0; i < TOTAL; i++) {
  // Pace by the schedule, not by the previous send, so slow handling cannot lower the offered rate.
  const due = t0 + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((res) => setTimeout(res, wait));
  const unlocked = ONE_AT_A_TIME ? new Promise<void>((resolve) => { arrived = resolve; }) : undefined;
  sentAt.push(performance.now());
  reader.publish('portier/hq/reader-1/card', '{"card":"BENCH-CARD","format":"uid"}', { qos: 1 });
  await unlocked;
}
const sendSeconds = (performance.now() - t0) / 1000;
await Promise.race([finished, new Promise((res) => setTimeout(res, DRAIN_MS))]);
const total = (performance.now() - t0) / 1000;
clearInterval(benchSampler);
benchGcObserver.disconnect();
const costs = await hub.ask('stats') as unknown as HubStats;
await Promise.all([door.endAsync(true), reader.endAsync(true)]);
await hub.stop();

// Each second of the schedule by when its reads were sent: how many, their percentiles, the hub's GC in it.
const perSecond: Array<{ s: number; n: number; p50: number; p99: number; max: number; over_10ms: number; hub_cpu_ms: number; bench_cpu_ms: number; gc_ms: number; gc_max_ms: number; gc_major: number }> = [];
for (let s = 0; s < SECONDS; s++) {
  const lat = latencies.slice(s * RATE, (s + 1) * RATE);
  const gc = costs.gc.per_second.find((g) => g.s === s);
  perSecond.push({ s, n: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: percentile(lat, 100), over_10ms: lat.filter((l) => l > 10).length, hub_cpu_ms: costs.cpu_per_second[s]?.cpu_ms ?? 0, bench_cpu_ms: Number((benchCpu[s] ?? 0).toFixed(1)), gc_ms: gc?.total_ms ?? 0, gc_max_ms: gc?.max_ms ?? 0, gc_major: gc?.major ?? 0 });
}
process.stderr.write(`second      n    p50 ms    p99 ms    max ms  >10ms  hub cpu ms  bench cpu ms   gc ms  gc max  major\n${perSecond.map((r) =>
  `${String(r.s).padStart(6)} ${String(r.n).padStart(6)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)} ${r.max.toFixed(2).padStart(9)} ${String(r.over_10ms).padStart(6)} ${r.hub_cpu_ms.toFixed(1).padStart(11)} ${r.bench_cpu_ms.toFixed(1).padStart(13)} ${r.gc_ms.toFixed(1).padStart(7)} ${r.gc_max_ms.toFixed(1).padStart(7)} ${String(r.gc_major).padStart(6)}`).join('\n')}\n`);
// The first second in 50 ms slices: whether a cold start shows as one stall (and its backlog) or as slow reads throughout.
const SLICE_MS = 50;
const firstSecond = Array.from({ length: 1000 / SLICE_MS }, (_, i) => {
  const lat = latencies.slice(Math.round((i * SLICE_MS * RATE) / 1000), Math.round(((i + 1) * SLICE_MS * RATE) / 1000));
  return { from_ms: i * SLICE_MS, n: lat.length, p50: percentile(lat, 50), max: percentile(lat, 100) };
});
process.stderr.write(`first second by ${SLICE_MS} ms (sent at): ${firstSecond.map((r) => `${r.from_ms}: ${r.p50.toFixed(1)}/${r.max.toFixed(1)}`).join('  ')}\n`);
// The reads sent in the first 100, 250 and 500 ms, then the rest of the first second: whether the
// first second's p99 is the first few hundred reads' (a cold start) or spread over it.
const firstReads = (fromMs: number, toMs: number) => latencies.slice(Math.round((fromMs * RATE) / 1000), Math.round((toMs * RATE) / 1000));
const firstMs = Object.fromEntries([100, 250, 500].map((ms) => [`first_${ms}_ms`, summary(firstReads(0, ms))]));
const firstSecondParts = { ...firstMs, from_500_to_1000_ms: summary(firstReads(500, 1000)) };
process.stderr.write(`first second, p99/max: ${Object.entries(firstSecondParts).map(([k, v]) => `${k} ${v.p99.toFixed(1)}/${v.max.toFixed(1)}`).join('  ')}\n`);
// Per read the hub handled (one door command each), which under overload can be more than the door received.
const handled = costs.statements['insert door_commands'] ?? received;
const perRead = (n: number) => Number((n / Math.max(1, handled)).toFixed(3));
const statementCount = Object.values(costs.statements).reduce((a, b) => a + b, 0);
print({
  bench: 'device-latency', target_rate_per_s: RATE, ...(ONE_AT_A_TIME ? { one_at_a_time: true } : {}), seconds: SECONDS, sent: TOTAL, unlocks_received: received,
  offered_rate_per_s: Math.round(TOTAL / sendSeconds), achieved_rate_per_s: Math.round(received / total),
  card_read_to_unlock_ms: summary(latencies),
  first_second_ms: perSecond[0] && { p50: perSecond[0].p50, p99: perSecond[0].p99, max: perSecond[0].max },
  first_second_parts_ms: firstSecondParts,
  after_first_second_ms: summary(latencies.slice(RATE)),
  worst_second_p99_ms: Math.max(...perSecond.filter((r) => r.n > 0).map((r) => r.p99)),
  reads_handled_by_hub: handled,
  per_read: {
    main_thread_cpu_ms: perRead(costs.main_thread_cpu_ms), statements: perRead(statementCount),
    wal_pages: perRead(costs.wal_frames), wal_kib: perRead(costs.wal_frames * 4.0234375),
  },
  hub: { statements: costs.statements, statement_ms: costs.statement_ms, statement_ms_per_second: costs.statement_ms_per_second, commit_ms_max: costs.commit_ms_max, commit_ms_histogram: costs.commit_ms_histogram, commits_restarting_wal: costs.commits_restarting_wal, pauses: costs.pauses, slow: costs.slow, checkpoint_passes: costs.checkpoint_passes, young_mib: costs.young_mib, gc: { count: costs.gc.count, total_ms: costs.gc.total_ms, max_ms: costs.gc.max_ms, major: costs.gc.major, major_ms: costs.gc.major_ms, long: costs.gc.long } },
  bench_gc_long: benchGc,
  per_second: perSecond,
  first_second_slices: firstSecond,
});
