// Benchmark helper, run as a child process: a device hub on a temp store with
// N sensors, a card reader, a door and an integration token; prints one JSON
// line with its port and the credentials, and closes on SIGTERM or stdin end.
// On stdin, `reset` starts its counters (bench/hub-stats.ts) over and `stats`
// prints them as one line `stats <JSON>`.
// Usage (by the mqtt-* / device-* benchmarks): node bench/mqtt-hub-server.ts <sensors> [memory|sqlite]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Store } from '../src/store/index.ts';
import { randomBytes } from 'node:crypto';
import { AuditLog, AuditPseudonyms, SubjectKeys, AddressKeys } from '../src/audit/index.ts';
import { SecretBox } from '../src/secrets/index.ts';
import { Roles } from '../src/access/index.ts';
import { Credentials } from '../src/credentials/index.ts';
import { Sites } from '../src/sites/index.ts';
import { systemClock } from '../src/core/index.ts';
import { DeviceHub } from '../src/device-hub/index.ts';
import { collectStartupGarbage, scheduleStartupRelease } from '../src/core/startup-memory.ts';
import { createInterface } from 'node:readline';
import { watchHub } from './hub-stats.ts';

const sensors = Number(process.argv[2] ?? 4);
const persistence = process.argv[3] === 'sqlite' ? 'sqlite' : 'memory';
const dir = mkdtempSync(join(tmpdir(), 'portier-bench-hub-'));
const store = await Store.open(join(dir, 'portier.db'));
const stats = watchHub(store);
const clock = systemClock;
// As the gateway builds it (src/gateway.ts): person ids pseudonymised, the chain's head kept in memory.
const box = new SecretBox({ key: randomBytes(32), source: 'bench' });
const audit = new AuditLog(store.db, clock, new AuditPseudonyms({ keys: new SubjectKeys({ db: store.db, box, clock, history: store }), addresses: new AddressKeys({ db: store.db, box }) }), store);
const roles = new Roles(store.db);
await roles.seed();
const credentials = new Credentials({ store, audit, clock });
const sites = new Sites({ store, audit, clock });
const system = { type: 'system' as const, id: null };
await sites.create(system, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
const door = await sites.createDoor(system, 'hq', 'Main entrance');

const hub = new DeviceHub({
  store, audit, credentials, roles, clock, logger: pino({ level: 'warn' }), cardKey: 'bench-card-hash-key-0123456789',
  collectGarbage: collectStartupGarbage, // as main.ts does (src/core/startup-memory.ts)
  settings: {
    host: '127.0.0.1', tcpPort: 0, tlsPort: null, commandAckMs: 10_000, cardUnlockSeconds: 5, relockGraceMs: 10_000,
    sessions: persistence === 'sqlite' ? { kind: 'sqlite', path: join(dir, 'mqtt-sessions.db'), maxQueuedPerDevice: 1_000_000 } : { kind: 'memory' },
    // Raised for the benchmark: one device publishes far above the production rate limit.
    limits: {
      maxPacketBytes: 65_536, maxConnections: 20_000, maxPendingConnections: 20_000, maxPendingPerAddress: 20_000,
      connectAttemptsPerMinute: 10_000, connectFailuresPerMinute: 10_000, connectBackoffMaxMs: 0,
      maxFiltersPerSubscribe: 50, maxSubscriptionsPerDevice: 200, messagesPerSecond: 1_000_000, messageBurst: 1_000_000,
    },
  },
});
await hub.start();
const out: Record<string, unknown> = { tcp: hub.mqttPorts.tcp, doorId: door.id, sensors: [] as unknown[] };
for (let i = 0; i < sensors; i++) {
  const r = await hub.registerDevice(system, { id: `sensor-${i}`, kind: 'sensor', siteId: 'hq' });
  (out.sensors as unknown[]).push({ id: r.device.id, secret: r.secret });
}
out.reader = { id: 'reader-1', secret: (await hub.registerDevice(system, { id: 'reader-1', kind: 'card-reader', siteId: 'hq', doorId: door.id })).secret };
out.door = { id: 'door-1', secret: (await hub.registerDevice(system, { id: 'door-1', kind: 'door', siteId: 'hq', doorId: door.id })).secret };
await hub.addCard(system, { siteId: 'hq', card: 'BENCH-CARD', holderRef: 'user-1', kind: 'employee' });
const token = await credentials.issue(system, { kind: 'api-token', label: 'bench monitor' });
await store.transaction((tx) => roles.assign(tx, { type: 'credential', id: token.credential.id }, 'admin', null));
out.integration = { id: token.credential.id, secret: token.secret };
process.stdout.write(`info ${JSON.stringify(out)}\n`); // named: the hub's logger writes JSON lines to stdout too
// Ready: the start-up heap is released as main releases it (5 s after ready at the earliest, once the hub is quiet).
const release = scheduleStartupRelease((r) => process.stdout.write(`release ${JSON.stringify(r)}\n`), { activity: () => hub.messagesRouted });

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  release.cancel();
  await hub.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void close());
process.stdin.on('end', () => void close());
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') stats.reset();
  // Named answers: the hub's logger writes to stdout too.
  if (line === 'reset' || line === 'stats') process.stdout.write(`${line} ${JSON.stringify(line === 'stats' ? stats.read() : { reset: true })}\n`);
});
