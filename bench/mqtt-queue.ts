// The broker's overflow queue: bare aedes 1.2 with its default emitter (an Array
// it shift()s once per message) and with Portier's O(1) ring queue, and
// Portier's hub (which uses the ring queue), in one run with the same mqtt.js
// load (N publishers → 1 subscriber, QoS 0 and 1). Reports msg/s and the
// broker process's CPU time per message (from /proc, steadier than msg/s on a
// shared machine), its write syscalls per message (what batching writes per
// event-loop turn would cut), and the ratios the device-hub performance issue targets.
// Usage: node scripts/run.mjs node bench/mqtt-queue.ts [--smoke]
import type { IClientOptions } from 'mqtt';
import { print, smoke } from './lib.ts';
import { startHubProcess, startBareAedes, runLoad, type LoadResult } from './mqtt-lib.ts';

const PUBLISHERS = smoke ? 3 : 8;
const PER_PUBLISHER = smoke ? 300 : 20_000;
const WINDOW = 64;
const TIMEOUT_MS = smoke ? 20_000 : 180_000;
const PAYLOAD = '{"type":"motion","value":true}';

const run = (pid: number, url: string, subscriber: IClientOptions, publishers: Array<IClientOptions & { topic: string }>, qos: 0 | 1): Promise<LoadResult> =>
  runLoad({ pid, url, subscriber, publishers }, { qos, perPublisher: PER_PUBLISHER, window: WINDOW, payload: PAYLOAD, timeoutMs: TIMEOUT_MS, filter: 'portier/hq/+/event', client: 'mqttjs' });

async function bareAedes(queue: 'default' | 'ring', qos: 0 | 1): Promise<LoadResult> {
  const aedes = await startBareAedes(queue);
  try {
    return await run(aedes.child.pid!, `mqtt://127.0.0.1:${aedes.port}`, { clientId: 'bench-sub' },
      Array.from({ length: PUBLISHERS }, (_, i) => ({ clientId: `sensor-${i}`, topic: `portier/hq/sensor-${i}/event` })), qos);
  } finally {
    await aedes.stop();
  }
}

async function portier(qos: 0 | 1): Promise<LoadResult> {
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
