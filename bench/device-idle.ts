// Idle connections: resident memory of the hub per connected device, with the
// device clients spread over several processes (this machine's open-file limit
// is 20 000). The hub runs in its own process, as in the gateway.
// Usage: node scripts/run.mjs node bench/device-idle.ts [--smoke]   (full: 10 000 devices)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { print, rssMiB, smoke } from './lib.ts';
import { startHubProcess } from './mqtt-lib.ts';

const DEVICES = smoke ? 200 : 10_000;
const PROCESSES = smoke ? 2 : 4;
const settle = () => new Promise((r) => setTimeout(r, smoke ? 200 : 2_000));

const t0 = performance.now();
const hub = await startHubProcess(DEVICES);
const registerSeconds = (performance.now() - t0) / 1000;
await settle();
const before = rssMiB(hub.child.pid);
const url = `mqtt://127.0.0.1:${hub.info.tcp}`;
const per = Math.ceil(DEVICES / PROCESSES);
const t1 = performance.now();
const workers = await Promise.all(Array.from({ length: PROCESSES }, async (_, i) => {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'mqtt-idle-clients.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.write(`${JSON.stringify({ url, devices: hub.info.sensors.slice(i * per, (i + 1) * per) })}\n`);
  const [line] = await once(createInterface({ input: child.stdout! }), 'line') as [string];
  return { child, connected: Number(line.split(' ')[1]) };
}));
const connectSeconds = (performance.now() - t1) / 1000;
await settle();
const after = rssMiB(hub.child.pid);
const connected = workers.reduce((n, w) => n + w.connected, 0);
for (const w of workers) {
  w.child.stdin!.end();
  await once(w.child, 'exit');
}
await hub.stop();
print({
  bench: 'device-idle', devices: DEVICES, client_processes: PROCESSES, connected,
  hub_rss_mib: { before_connections: before, connected: after },
  rss_per_device_kib: Number((((after - before) * 1024) / connected).toFixed(2)),
  register_seconds: Number(registerSeconds.toFixed(1)), connect_seconds: Number(connectSeconds.toFixed(1)),
});
