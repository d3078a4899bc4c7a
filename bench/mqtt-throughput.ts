// Broker throughput, QoS 0 and QoS 1: N device publishers and one subscriber,
// Portier's hub (child process, in-memory aedes persistence, ACLs and payload
// validation on) side by side with Debian's mosquitto on another loopback port,
// driven by the same mqtt.js client code; reported as Portier/mosquitto ratios.
// Usage: node scripts/run.mjs node bench/mqtt-throughput.ts [--smoke]
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { print, smoke } from './lib.ts';
import { startHubProcess, startMosquitto } from './mqtt-lib.ts';

const PUBLISHERS = smoke ? 3 : 8;
const PER_PUBLISHER = smoke ? 300 : 20_000;
const WINDOW = 64;
const TIMEOUT_MS = smoke ? 20_000 : 180_000;
const PAYLOAD = '{"type":"motion","value":true}';

async function open(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
  return c;
}

async function publishAll(c: MqttClient, topic: string, qos: 0 | 1): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < PER_PUBLISHER; i++) {
    const p = c.publishAsync(topic, PAYLOAD, { qos }).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

async function run(url: string, subscriber: IClientOptions, publishers: Array<IClientOptions & { topic: string }>, qos: 0 | 1) {
  const sub = await open(url, subscriber);
  await sub.subscribeAsync('portier/hq/+/event', { qos });
  const pubs = await Promise.all(publishers.map((p) => open(url, p)));
  const expected = PUBLISHERS * PER_PUBLISHER;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, TIMEOUT_MS);
    sub.on('message', () => { if (++received === expected) { clearTimeout(timer); resolve(); } });
  });
  const t0 = performance.now();
  await Promise.all(pubs.map((c, i) => publishAll(c, publishers[i]!.topic, qos)));
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([sub, ...pubs].map((c) => c.endAsync(true)));
  return { received, expected, msgs_per_s: Math.round(received / seconds) };
}

const hub = await startHubProcess(PUBLISHERS);
const mosq = await startMosquitto();
const results: Record<string, unknown> = {};
try {
  for (const qos of [0, 1] as const) {
    const portier = await run(`mqtt://127.0.0.1:${hub.info.tcp}`,
      { clientId: hub.info.integration.id, username: hub.info.integration.id, password: hub.info.integration.secret },
      hub.info.sensors.map((s) => ({ clientId: s.id, username: s.id, password: s.secret, topic: `portier/hq/${s.id}/event` })), qos);
    const mosquitto = await run(`mqtt://127.0.0.1:${mosq.port}`, { clientId: 'bench-sub' },
      hub.info.sensors.map((s) => ({ clientId: s.id, topic: `portier/hq/${s.id}/event` })), qos);
    results[`qos${qos}`] = {
      portier_msgs_per_s: portier.msgs_per_s, mosquitto_msgs_per_s: mosquitto.msgs_per_s,
      ratio_portier_to_mosquitto: Number((portier.msgs_per_s / mosquitto.msgs_per_s).toFixed(3)),
      portier_received: portier.received, mosquitto_received: mosquitto.received, expected: portier.expected,
    };
  }
} finally {
  await hub.stop();
  await mosq.stop();
}
print({ bench: 'mqtt-throughput', publishers: PUBLISHERS, messages_per_publisher: PER_PUBLISHER, window: WINDOW, persistence: 'memory', ...results });
