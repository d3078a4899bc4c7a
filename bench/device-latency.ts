// Event to action: a card read published by a card-reader client to the unlock
// command received by the door client (card lookup, audit, outbox row, QoS 1
// publish; the door acks every command). Reads are paced at a target rate.
// Usage: node scripts/run.mjs node bench/device-latency.ts [--smoke] [--rate N] [--seconds N]   (default: 1 000/s for 60 s)
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { print, smoke, summary } from './lib.ts';
import { startHubProcess } from './mqtt-lib.ts';

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const RATE = smoke ? 100 : arg('--rate') ?? 1_000;
const SECONDS = smoke ? 2 : arg('--seconds') ?? 60;
const TOTAL = RATE * SECONDS;
const DRAIN_MS = 15_000;

async function open(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
  return c;
}

const hub = await startHubProcess(0);
const url = `mqtt://127.0.0.1:${hub.info.tcp}`;
const { reader: r, door: d, doorId } = hub.info;
const door = await open(url, { clientId: d.id, username: d.id, password: d.secret });
const reader = await open(url, { clientId: r.id, username: r.id, password: r.secret });
const cmdTopic = `portier/hq/doors/${doorId}/cmd`;
await door.subscribeAsync(cmdTopic, { qos: 1 });

// Reads of one device are handled in order, so the n-th command answers the n-th read.
const sentAt: number[] = [];
const latencies: number[] = [];
let received = 0;
let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => { finish = resolve; });
door.on('message', (_topic, payload) => {
  const at = performance.now();
  const cmd = JSON.parse(payload.toString()) as { id: string };
  latencies.push(at - sentAt[received]!);
  received++;
  door.publish('portier/hq/door-1/ack', JSON.stringify({ id: cmd.id, result: 'ok' }), { qos: 1 });
  if (received === TOTAL) finish();
});

const t0 = performance.now();
for (let i = 0; i < TOTAL; i++) {
  // Pace by the schedule, not by the previous send, so slow handling cannot lower the offered rate.
  const due = t0 + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((res) => setTimeout(res, wait));
  sentAt.push(performance.now());
  reader.publish('portier/hq/reader-1/card', '{"card":"BENCH-CARD","format":"uid"}', { qos: 1 });
}
const sendSeconds = (performance.now() - t0) / 1000;
await Promise.race([finished, new Promise((res) => setTimeout(res, DRAIN_MS))]);
const total = (performance.now() - t0) / 1000;
await Promise.all([door.endAsync(true), reader.endAsync(true)]);
await hub.stop();
print({
  bench: 'device-latency', target_rate_per_s: RATE, seconds: SECONDS, sent: TOTAL, unlocks_received: received,
  offered_rate_per_s: Math.round(TOTAL / sendSeconds), achieved_rate_per_s: Math.round(received / total),
  card_read_to_unlock_ms: summary(latencies),
});
