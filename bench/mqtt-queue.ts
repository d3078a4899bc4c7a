// The broker's overflow queue: bare aedes 1.2 with its default emitter (an Array
// it shift()s once per message) and with Portier's O(1) ring queue, and
// Portier's hub (which uses the ring queue), in one run with the same mqtt.js
// load (N publishers → 1 subscriber, QoS 0 and 1). Reports msg/s and the
// broker process's CPU time per message (from /proc, steadier than msg/s on a
// shared machine), its write syscalls per message (what batching writes per
// event-loop turn would cut), and the ratios the device-hub performance issue targets.
// Usage: node scripts/run.mjs node bench/mqtt-queue.ts [--smoke]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import type { IClientOptions } from 'mqtt';
import { print, smoke } from './lib.ts';
import { startHubProcess, openClient, publishAll } from './mqtt-lib.ts';

const PUBLISHERS = smoke ? 3 : 8;
const PER_PUBLISHER = smoke ? 300 : 20_000;
const WINDOW = 64;
const TIMEOUT_MS = smoke ? 20_000 : 180_000;
const PAYLOAD = '{"type":"motion","value":true}';
const TICKS_PER_S = 100; // Linux USER_HZ

/** Write syscalls (write, writev, sendmsg…) of a process so far. */
function writeCalls(pid: number): number {
  return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

type Result = { msgs_per_s: number; cpu_us_per_msg: number; writes_per_msg: number; received: number; expected: number };

async function run(pid: number, url: string, subscriber: IClientOptions, publishers: Array<IClientOptions & { topic: string }>, qos: 0 | 1): Promise<Result> {
  const sub = await openClient(url, subscriber);
  await sub.subscribeAsync('portier/hq/+/event', { qos });
  const pubs = await Promise.all(publishers.map((p) => openClient(url, p)));
  const expected = PUBLISHERS * PER_PUBLISHER;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, TIMEOUT_MS);
    sub.on('message', () => { if (++received === expected) { clearTimeout(timer); resolve(); } });
  });
  const writes0 = writeCalls(pid);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await Promise.all(pubs.map((c, i) => publishAll(c, publishers[i]!.topic, PAYLOAD, qos, PER_PUBLISHER, WINDOW)));
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const writes = writeCalls(pid) - writes0;
  await Promise.all([sub, ...pubs].map((c) => c.endAsync(true)));
  return { msgs_per_s: Math.round(received / seconds), cpu_us_per_msg: Number(((cpu / received) * 1e6).toFixed(1)), writes_per_msg: Number((writes / received).toFixed(3)), received, expected };
}

async function bareAedes(queue: 'default' | 'ring', qos: 0 | 1): Promise<Result> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'aedes-bare-server.ts'), queue], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout! }), 'line') as [string];
  const { port } = JSON.parse(line) as { port: number };
  try {
    return await run(child.pid!, `mqtt://127.0.0.1:${port}`, { clientId: 'bench-sub' },
      Array.from({ length: PUBLISHERS }, (_, i) => ({ clientId: `sensor-${i}`, topic: `portier/hq/sensor-${i}/event` })), qos);
  } finally {
    child.stdin!.end();
    await once(child, 'exit');
  }
}

async function portier(qos: 0 | 1): Promise<Result> {
  const hub = await startHubProcess(PUBLISHERS, 'memory');
  try {
    return await run(hub.child.pid!, `mqtt://127.0.0.1:${hub.info.tcp}`,
      { clientId: hub.info.integration.id, username: hub.info.integration.id, password: hub.info.integration.secret },
      hub.info.sensors.map((s) => ({ clientId: s.id, username: s.id, password: s.secret, topic: `portier/hq/${s.id}/event` })), qos);
  } finally {
    await hub.stop();
  }
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
const out: Record<string, unknown> = {};
for (const qos of [0, 1] as const) {
  const aedesDefault = await bareAedes('default', qos);
  const aedesRing = await bareAedes('ring', qos);
  const hub = await portier(qos);
  out[`qos${qos}`] = {
    aedes_default: aedesDefault, aedes_ring_queue: aedesRing, portier_memory: hub,
    cpu_ratio_aedes_default_to_ring: ratio(aedesDefault.cpu_us_per_msg, aedesRing.cpu_us_per_msg),
    cpu_ratio_portier_to_aedes_ring: ratio(hub.cpu_us_per_msg, aedesRing.cpu_us_per_msg),
    rate_ratio_portier_to_aedes_default: ratio(hub.msgs_per_s, aedesDefault.msgs_per_s),
  };
}
print({ bench: 'mqtt-queue', publishers: PUBLISHERS, messages_per_publisher: PER_PUBLISHER, window: WINDOW, ...out });
