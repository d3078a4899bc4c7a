// Device-hub fixtures: a hub on domain services with ephemeral ports, a manual
// clock whose timers fire on advance(), mqtt.js connections that settle on
// CONNACK, and the Debian mosquitto clients run as real child processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import pino from 'pino';
import { connect as netConnect } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import { DeviceHub, type DeviceHubSettings, type HubPorts, type DeviceKind } from '../../src/device-hub/index.ts';
import { TlsProvider } from '../../src/tls/index.ts';
import type { AuditLog } from '../../src/audit/index.ts';
import type { TlsMaterialSource } from '../../src/device-hub/listeners.ts';
import { systemClock, type Clock } from '../../src/core/index.ts';
import type { HubObserver, HubObserverEvents } from '../../src/device-hub/observer.ts';
import type { DeviceHubEvents } from '../../src/device-hub/hub.ts';
import type { DoorOutbox, OutboxEvents } from '../../src/device-hub/outbox.ts';
import type { DeviceMessages, MessageEvents } from '../../src/device-hub/messages.ts';

/** What tests wait on: the hub, its observer, or a part a test built on its own. */
type HubEmitter = HubObserver | DeviceHub | DoorOutbox | DeviceMessages;
type EventsOf<T> = T extends DeviceHub ? DeviceHubEvents : T extends DoorOutbox ? OutboxEvents : T extends DeviceMessages ? MessageEvents
  : T extends HubObserver ? HubObserverEvents : never;
import type { DeviceHubTables } from '../../src/device-hub/tables.ts';
import { openServices, type Services } from './services.ts';
import { requireOnPath } from './tools.ts';

/** Fake time: now() moves only on advance(), which fires the timers that fall due, in order. */
export class ManualClock implements Clock {
  t = Date.UTC(2026, 10, 2, 9, 0, 0); // Monday 10:00 in Europe/Berlin
  #seq = 0;
  readonly #timers = new Map<number, { due: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number): NodeJS.Timeout => {
    const id = ++this.#seq;
    this.#timers.set(id, { due: this.t + Math.max(0, ms), fn });
    return { id, unref() { return this; }, ref() { return this; }, hasRef: () => false } as unknown as NodeJS.Timeout;
  };
  clearTimeout = (h: NodeJS.Timeout): void => { this.#timers.delete((h as unknown as { id: number }).id); };
  get pending(): number { return this.#timers.size; }

  /** Moves time forward by `ms`, firing due timers (and letting their async work start) in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const next = [...this.#timers.entries()].filter(([, x]) => x.due <= target).sort((a, b) => a[1].due - b[1].due)[0];
      if (!next) break;
      this.#timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = target;
  }
}

export const TEST_LIMITS: DeviceHubSettings['limits'] = {
  maxPacketBytes: 16_384, maxConnections: 200, maxPendingConnections: 200, maxPendingPerAddress: 200,
  connectAttemptsPerMinute: 1000, connectFailuresPerMinute: 1000, connectBackoffMaxMs: 0,
  maxFiltersPerSubscribe: 1000, maxSubscriptionsPerDevice: 1000, messagesPerSecond: 1000, messageBurst: 1000,
};

/** The card-hash key of every test hub (parts built on their own use it too). */
export const TEST_CARD_KEY = 'test-card-hash-key-0123456789';

export interface HubFixture {
  hub: DeviceHub;
  svc: Services;
  clock: Clock;
  siteId: string;
  doorId: string;
  tls?: TlsProvider;
  url: { tcp: string; tls: string };
  ca?: string;
  register(id: string, kind: DeviceKind, extra?: { doorId?: string; terminalId?: string }): Promise<{ id: string; secret: string; credentialId: string }>;
  /** An API token holding admin everywhere: it connects as an integration that reads portier/# (a real watcher). */
  integration(): Promise<{ id: string; secret: string }>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `tlsSource`: the TLS listener serves this material source instead of a fresh TlsProvider's. */
export async function startHub(opts: { clock?: Clock; tls?: boolean; tlsSource?: TlsMaterialSource; settings?: Partial<DeviceHubSettings>; ports?: HubPorts } = {}): Promise<HubFixture> {
  const svc = await openServices();
  const clock = opts.clock ?? systemClock;
  const admin = { type: 'system' as const, id: null };
  await svc.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
  const door = await svc.sites.createDoor(admin, 'hq', 'Main entrance');
  let tls: TlsProvider | undefined;
  let tlsDir: string | undefined;
  if (opts.tls) {
    tlsDir = mkdtempSync(join(tmpdir(), 'portier-mqtt-tls-'));
    tls = new TlsProvider({ dataDir: tlsDir, certFile: '', keyFile: '', hostNames: ['localhost', '127.0.0.1'], renewBeforeDays: 30 }, systemClock);
    await tls.start();
  }
  const settings: DeviceHubSettings = {
    host: '127.0.0.1', tcpPort: 0, tlsPort: opts.tls || opts.tlsSource ? 0 : null, limits: TEST_LIMITS,
    commandAckMs: 10_000, cardUnlockSeconds: 5, relockGraceMs: 10_000, ...opts.settings,
  };
  const build = () => new DeviceHub({
    store: svc.store, audit: svc.audit, credentials: svc.credentials, roles: svc.roles, clock, tls: opts.tlsSource ?? tls,
    logger: pino({ level: 'silent' }), settings, ports: opts.ports, cardKey: TEST_CARD_KEY,
  });
  const fx: HubFixture = {
    hub: build(), svc, clock, siteId: 'hq', doorId: door.id, tls, url: { tcp: '', tls: '' },
    ca: tls ? (await import('node:fs')).readFileSync(join(tlsDir!, 'tls', 'ca.crt'), 'utf8') : undefined,
    async register(id, kind, extra = {}) {
      const r = await fx.hub.registerDevice(admin, { id, kind, siteId: 'hq', doorId: extra.doorId ?? (kind === 'door' || kind === 'panel' || kind === 'card-reader' ? door.id : null), terminalId: extra.terminalId ?? null });
      return { id, secret: r.secret, credentialId: r.device.credentialId };
    },
    async integration() {
      const issued = await svc.credentials.issue(admin, { kind: 'api-token', label: 'watcher' });
      await svc.store.transaction((tx) => svc.roles.assign(tx, { type: 'credential', id: issued.credential.id }, 'admin', null));
      return { id: issued.credential.id, secret: issued.secret };
    },
    async restart() {
      await fx.hub.close();
      fx.hub = build();
      await fx.hub.start();
      fx.url = urls(fx.hub);
    },
    async close() {
      await fx.hub.close();
      await tls?.close();
      await svc.close();
      if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
    },
  };
  await fx.hub.start();
  fx.url = urls(fx.hub);
  return fx;
}

const urls = (hub: DeviceHub) => ({ tcp: `mqtt://127.0.0.1:${hub.mqttPorts.tcp}`, tls: `mqtts://127.0.0.1:${hub.mqttPorts.tls}` });

/** The hub's persisted timers (rule delays, cooldowns, relock checks) by kind, soonest first: what a restart finds. */
export async function storedTimers(fx: HubFixture): Promise<string[]> {
  const rows = await fx.svc.store.db.withTables<DeviceHubTables>().selectFrom('hub_timers').select('kind').orderBy('due_at').execute();
  return rows.map((r) => r.kind);
}

/**
 * A card's decision as the real card path makes it: `reader` (a connected card
 * reader) reads `card`, and its audited card.read says what was decided.
 */
export async function cardDecision(hub: DeviceHub, audit: AuditLog, reader: { client: MqttClient; id: string; siteId: string }, card: string) {
  const before = (await audit.list({ action: 'card.read' })).length;
  await reader.client.publishAsync(`portier/${reader.siteId}/${reader.id}/card`, JSON.stringify({ card }), { qos: 1 });
  await hub.idle();
  const reads = await audit.list({ action: 'card.read' });
  if (reads.length !== before + 1) throw new Error(`card ${card}: expected one new card.read, got ${reads.length - before}`);
  const details = JSON.parse(reads[0]!.details!) as { holder?: string; kind?: string; reason?: string };
  return reads[0]!.outcome === 'ok' ? { allowed: true, holderRef: details.holder, kind: details.kind } : { allowed: false, reason: details.reason };
}

/** Connects with mqtt.js; resolves on CONNACK 0, rejects with the refusal (error.code = return code). */
export async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return settle(mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options }));
}

/**
 * connect() from another loopback source address (127.0.0.2, …): over TCP
 * through a socket bound to it, over WebSocket through ws's localAddress.
 */
export async function connectFrom(localAddress: string, url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const opts: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options };
  const u = new URL(url);
  if (u.protocol === 'mqtt:') {
    return settle(new MqttClient(() => netConnect({ host: u.hostname, port: Number(u.port), localAddress }), opts));
  }
  return settle(mqtt.connect(url, { ...opts, wsOptions: { ...(opts.wsOptions as object), localAddress } }));
}

async function settle(client: MqttClient): Promise<MqttClient> {
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  client.on('error', () => {});
  return client;
}

export const device = (d: { id: string; secret: string }, extra: IClientOptions = {}): IClientOptions => ({ username: d.id, password: d.secret, clientId: d.id, ...extra });

/** Waits for the next message on `client` whose topic matches `topic`. */
export function nextMessage(client: MqttClient, topic: string | RegExp, timeoutMs = 30_000, accept: (payload: any) => boolean = () => true): Promise<{ topic: string; payload: any; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.off('message', on); reject(new Error(`no message on ${String(topic)} in ${timeoutMs} ms`)); }, timeoutMs);
    const on = (t: string, payload: Buffer, packet: { retain: boolean }) => {
      if (typeof topic === 'string' ? t !== topic : !topic.test(t)) return;
      let body: unknown = payload.toString();
      try { body = JSON.parse(payload.toString()); } catch { /* not JSON */ }
      if (!accept(body)) return;
      clearTimeout(timer);
      client.off('message', on);
      resolve({ topic: t, payload: body, retain: packet.retain });
    };
    client.on('message', on);
  });
}

export const closeClient = (c: MqttClient | undefined) => (c ? c.endAsync(true).catch(() => {}) : Promise.resolve());

/** Runs mosquitto_pub or mosquitto_sub to completion (bounded by -W / a timeout); returns exit code and output. */
export async function mosquitto(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireOnPath(tool, 'install Debian package mosquitto-clients');
  const child: ChildProcess = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'close', not 'exit': Node may report the exit before it has read the last of stdout and stderr.
  const [code] = await once(child, 'close') as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Starts mosquitto_sub in the background; `lines()` returns what it printed so far. */
export function mosquittoSub(args: string[]): { child: ChildProcess; lines: () => string[]; waitFor: (re: RegExp, timeoutMs?: number) => Promise<string>; exit: Promise<number | null> } {
  requireOnPath('mosquitto_sub', 'install Debian package mosquitto-clients');
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<() => void> = [];
  const wake = () => { for (const w of waiters.splice(0)) w(); };
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); wake(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); wake(); });
  // Ended once exited and its output read ('close': Node may report the exit before the last of stdout).
  let ended = false;
  const exit = once(child, 'close').then(([code]) => { ended = true; wake(); return code as number | null; });
  const lines = () => out.split('\n').filter(Boolean);
  const waitFor = async (re: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines().find((l) => re.test(l));
      if (hit) return hit;
      if (Date.now() > deadline || ended) throw new Error(`mosquitto_sub: no line matching ${re} (got ${JSON.stringify(out)})`);
      await new Promise<void>((r) => { const t = setTimeout(r, deadline - Date.now()); waiters.push(() => { clearTimeout(t); r(); }); });
    }
  };
  return { child, lines, waitFor, exit };
}

type Args<T, K extends keyof EventsOf<T>> = Extract<EventsOf<T>[K], unknown[]>;
type Listener = (...a: unknown[]) => void;

/** Resolves when `emitter` emits `event` with arguments that satisfy `test`. */
export function waitForEvent<T extends HubEmitter, K extends keyof EventsOf<T> & string>(emitter: T, event: K, test: (...a: Args<T, K>) => boolean = () => true, timeoutMs = 30_000): Promise<Args<T, K>> {
  const em = emitter as unknown as { on(e: string, l: Listener): unknown; off(e: string, l: Listener): unknown };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { em.off(event, on); reject(new Error(`no ${event} in ${timeoutMs} ms`)); }, timeoutMs);
    const on = (...a: unknown[]) => {
      if (!test(...(a as Args<T, K>))) return;
      clearTimeout(timer);
      em.off(event, on);
      resolve(a as Args<T, K>);
    };
    em.on(event, on);
  });
}

/** SUBSCRIBEs and returns the granted codes (128 = refused), which mqtt.js reports as an error. */
export async function granted(client: MqttClient, topics: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    return (await client.subscribeAsync(topics, { qos })).map((g) => g.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted;
  }
}

/** Resolves when an mqtt.js client's connection closes. */
export const closedEvent = (client: MqttClient): Promise<void> => new Promise((resolve) => client.once('close', () => resolve()));
