// The hostile SUBSCRIBE of issue 11: a sensor with a persistent session (clean:
// false) sends one SUBSCRIBE with N filters inside its own namespace to a
// device hub with the default configuration (SQLite session persistence). Prints
// one JSON line: the longest event-loop block while the packet is handled, the
// time to its SUBACK, granted/refused filters and the RSS growth.
// Usage: node scripts/run.mjs node bench/subscribe-block.ts [filters=1000] [packets=3]
// (PORTIER_DEVICE_HUB__* variables change the limits, e.g. MAX_FILTERS_PER_SUBSCRIBE=1000.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import mqtt from 'mqtt';
import { loadConfig } from '../src/config/index.ts';
import { Store } from '../src/store/index.ts';
import { AuditLog } from '../src/audit/index.ts';
import { Roles } from '../src/access/index.ts';
import { Credentials } from '../src/credentials/index.ts';
import { Sites } from '../src/sites/index.ts';
import { systemClock } from '../src/core/index.ts';
import { DeviceHub, settingsFromConfig } from '../src/device-hub/index.ts';

const filters = Number(process.argv[2] ?? 1000);
const packets = Number(process.argv[3] ?? 3);
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'portier-bench-subscribe-'));
const config = loadConfig({ configDir: join(root, 'config'), cwd: root, env: { ...process.env, PORTIER_DATA_DIR: dir } });
const store = await Store.open(join(dir, 'portier.db'));
const audit = new AuditLog(store.db, systemClock, undefined, store);
const roles = new Roles(store.db);
await roles.seed();
const credentials = new Credentials({ store, audit, clock: systemClock });
const sites = new Sites({ store, audit, clock: systemClock });
const system = { type: 'system' as const, id: null };
await sites.create(system, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
const hub = new DeviceHub({
  store, audit, credentials, roles, clock: systemClock, logger: pino({ level: 'silent' }), cardKey: 'bench-card-hash-key-0123456789',
  settings: { ...settingsFromConfig(config), host: '127.0.0.1', tcpPort: 0, tlsPort: null, rulesDir: undefined },
});
await hub.start();
const { secret } = await hub.registerDevice(system, { id: 'sensor-1', kind: 'sensor', siteId: 'hq' });

const leaf = (n: number): string => {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
};

const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPorts.tcp}`, {
  protocolVersion: 4, reconnectPeriod: 0, clean: false, clientId: 'sensor-1', username: 'sensor-1', password: secret,
});
const runs = [];
for (let p = 0; p < packets; p++) {
  const topics = Array.from({ length: filters }, (_, i) => `portier/hq/sensor-1/${leaf(p * filters + i)}`);
  const rss0 = process.memoryUsage().rss;
  let rssMax = rss0;
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss); }, 5);
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const t0 = performance.now();
  const granted: number[] = await client.subscribeAsync(topics, { qos: 1 }).then(
    (g) => g.map((x) => x.qos),
    (error: { packet?: { granted?: number[] } }) => error.packet?.granted ?? [],
  );
  const subackMs = performance.now() - t0;
  // Let the session write (flushed right after the turn) land inside the measurement.
  await new Promise((r) => setTimeout(r, 50));
  lag.disable();
  clearInterval(sampler);
  runs.push({
    packet: p + 1, filters, subackMs: Math.round(subackMs), maxBlockMs: Math.round(lag.max / 1e6),
    granted: granted.filter((g) => g !== 128).length, refused: granted.filter((g) => g === 128).length,
    rssGrowthMB: Math.round((rssMax - rss0) / 1e6),
  });
}
await client.endAsync();
await hub.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'subscribe-block', persistence: config.device_hub.persistence, runs }));
