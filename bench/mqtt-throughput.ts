// Broker throughput, QoS 0 and QoS 1: N device publishers and one subscriber,
// Portier's hub (child process, ACLs and payload validation on) with each broker
// persistence (aedes's in-memory one and Portier's durable SQLite one) side by
// side with Debian's mosquitto (without and with its persistence) on other
// loopback ports, driven by the same mqtt.js client code; reported as ratios.
// The third scenario has a persistent-session subscriber (clean=false, QoS 1):
// that is where a durable persistence writes per message.
// Usage: node scripts/run.mjs node bench/mqtt-throughput.ts [--smoke]
import { performance } from 'node:perf_hooks';
import type { IClientOptions } from 'mqtt';
import { print, smoke } from './lib.ts';
import { startHubProcess, startMosquitto, openClient, publishAll } from './mqtt-lib.ts';

const PUBLISHERS = smoke ? 3 : 8;
const PER_PUBLISHER = smoke ? 300 : 20_000;
const WINDOW = 64;
const TIMEOUT_MS = smoke ? 20_000 : 180_000;
const PAYLOAD = '{"type":"motion","value":true}';

async function run(url: string, subscriber: IClientOptions, publishers: Array<IClientOptions & { topic: string }>, qos: 0 | 1) {
  const sub = await openClient(url, subscriber);
  await sub.subscribeAsync('portier/hq/+/event', { qos });
  const pubs = await Promise.all(publishers.map((p) => openClient(url, p)));
  const expected = PUBLISHERS * PER_PUBLISHER;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, TIMEOUT_MS);
    sub.on('message', () => { if (++received === expected) { clearTimeout(timer); resolve(); } });
  });
  const t0 = performance.now();
  await Promise.all(pubs.map((c, i) => publishAll(c, publishers[i]!.topic, PAYLOAD, qos, PER_PUBLISHER, WINDOW)));
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([sub, ...pubs].map((c) => c.endAsync(true)));
  return { received, expected, msgs_per_s: Math.round(received / seconds) };
}

const SCENARIOS = [
  { name: 'qos0', qos: 0, clean: true },
  { name: 'qos1', qos: 1, clean: true },
  { name: 'qos1_persistent_session', qos: 1, clean: false },
] as const;
type Rates = Record<string, { msgs_per_s: number; received: number; expected: number }>;

async function portier(persistence: 'memory' | 'sqlite'): Promise<Rates> {
  const hub = await startHubProcess(PUBLISHERS, persistence);
  const out: Rates = {};
  try {
    for (const sc of SCENARIOS) {
      out[sc.name] = await run(`mqtt://127.0.0.1:${hub.info.tcp}`,
        { clientId: hub.info.integration.id, username: hub.info.integration.id, password: hub.info.integration.secret, clean: sc.clean },
        hub.info.sensors.map((s) => ({ clientId: s.id, username: s.id, password: s.secret, topic: `portier/hq/${s.id}/event` })), sc.qos);
    }
  } finally {
    await hub.stop();
  }
  return out;
}

async function mosquitto(persistence: boolean): Promise<Rates> {
  const mosq = await startMosquitto(persistence);
  const out: Rates = {};
  try {
    for (const sc of SCENARIOS) {
      out[sc.name] = await run(`mqtt://127.0.0.1:${mosq.port}`, { clientId: 'bench-sub', clean: sc.clean },
        Array.from({ length: PUBLISHERS }, (_, i) => ({ clientId: `sensor-${i}`, topic: `portier/hq/sensor-${i}/event` })), sc.qos);
    }
  } finally {
    await mosq.stop();
  }
  return out;
}

const rates = {
  portier_memory: await portier('memory'),
  portier_sqlite: await portier('sqlite'),
  mosquitto: await mosquitto(false),
  mosquitto_persistent: await mosquitto(true),
};
const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
const results: Record<string, unknown> = {};
for (const { name } of SCENARIOS) {
  const r = (k: keyof typeof rates) => rates[k][name]!;
  results[name] = {
    msgs_per_s: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v[name]!.msgs_per_s])),
    received: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v[name]!.received])),
    expected: r('portier_memory').expected,
    ratio_portier_memory_to_mosquitto: ratio(r('portier_memory').msgs_per_s, r('mosquitto').msgs_per_s),
    ratio_portier_sqlite_to_mosquitto_persistent: ratio(r('portier_sqlite').msgs_per_s, r('mosquitto_persistent').msgs_per_s),
    sqlite_cost_ratio_sqlite_to_memory: ratio(r('portier_sqlite').msgs_per_s, r('portier_memory').msgs_per_s),
  };
}
print({ bench: 'mqtt-throughput', publishers: PUBLISHERS, messages_per_publisher: PER_PUBLISHER, window: WINDOW, ...results });
