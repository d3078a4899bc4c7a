// Shared by the MQTT benchmarks: start the hub child process and a mosquitto on
// loopback ports, and stop them again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { cpuMs, writeCalls } from './lib.ts';
import { WireClient } from './mqtt-wire.ts';
import { DeliveryLedger, stampedPayload, writeSequence } from './mqtt-stamp.ts';
import { SERVER_NODE_FLAGS } from '../scripts/lib/build-server.mjs';
import { freePort } from '../test/support/ports.ts';

/** The hub runs with the gateway's Node flags (npm start's); PORTIER_BENCH_NODE_FLAGS
 *  overrides them to measure their cost (e.g. `PORTIER_BENCH_NODE_FLAGS=` for Node's defaults). */
const HUB_NODE_FLAGS = process.env.PORTIER_BENCH_NODE_FLAGS !== undefined
  ? process.env.PORTIER_BENCH_NODE_FLAGS.split(' ').filter(Boolean) : SERVER_NODE_FLAGS;

export interface HubInfo {
  tcp: number; doorId: string;
  sensors: Array<{ id: string; secret: string }>;
  reader: { id: string; secret: string }; door: { id: string; secret: string }; integration: { id: string; secret: string };
}

export async function startHubProcess(sensors: number, persistence: 'memory' | 'sqlite' = 'memory'): Promise<{ info: HubInfo; child: ChildProcess; stop: () => Promise<void>; ask: (command: 'reset' | 'stats') => Promise<Record<string, unknown>> }> {
  const child = spawn(process.execPath, [...HUB_NODE_FLAGS, join(import.meta.dirname, 'mqtt-hub-server.ts'), String(sensors), persistence], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const info = await readHubInfo(lines, child);
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.stdin!.end();
    await once(child, 'exit');
  };
  /** `reset` or `stats` (see bench/hub-stats.ts): the hub's one-line JSON answer. */
  const ask = async (command: 'reset' | 'stats'): Promise<Record<string, unknown>> => {
    const answer = namedLine<Record<string, unknown>>(lines, child, command);
    child.stdin!.write(`${command}\n`);
    return answer;
  };
  return { info, child, stop, ask };
}

/**
 * The hub's `info {…}` line (bench/mqtt-hub-server.ts), named as its other answers are:
 * its logger (pino, JSON lines) and node flags such as --trace-gc write to the same stdout.
 */
export function readHubInfo(lines: Interface, child: ChildProcess): Promise<HubInfo> {
  return namedLine<HubInfo>(lines, child, 'info');
}

/**
 * The JSON of the hub's next line `<name> {…}` (other lines are its log). Rejects when the
 * child exits before it printed one ('close': after its stdout's last line was read).
 */
function namedLine<T>(lines: Interface, child: ChildProcess, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => { lines.off('line', onLine); child.off('close', onExit); };
    const onLine = (l: string) => {
      if (!l.startsWith(`${name} `)) return;
      done();
      resolve(JSON.parse(l.slice(name.length + 1)) as T);
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`the hub process exited (${signal ?? `code ${code}`}) before its ${name} line`));
    };
    lines.on('line', onLine);
    child.on('close', onExit);
  });
}

const MOSQUITTO = '/usr/sbin/mosquitto';

/**
 * Starts Debian's mosquitto on a free loopback port (anonymous). `persistence`:
 * mosquitto's own, which writes its in-memory state to a file every
 * `autosave_interval` seconds and at exit (not per message).
 */
export async function startMosquitto(persistence = false): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} is missing: install Debian package mosquitto (npm run setup installs it)`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  // max_inflight_messages 0: no cap on QoS 1 deliveries awaiting their PUBACK (mosquitto's
  // default is 20 per client), as aedes and Portier have none — the subscriber's window is
  // then the same against every broker.
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\nmax_inflight_messages 0\n${persistence
    ? `persistence true\npersistence_location ${dir}/\nautosave_interval 1\n` : 'persistence false\n'}`);
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1_000 });
      c.once('connect', () => { c.end(true); resolve(true); });
      c.once('error', () => { c.end(true); resolve(false); });
      c.once('close', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { port, child, stop };
}

/**
 * Bare aedes 1.2 in a process of its own (bench/aedes-bare-server.ts: in-memory,
 * anonymous, noDelay like Portier), with aedes' default emitter or with the O(1)
 * overflow queue Portier passes it (src/device-hub/message-queue.ts).
 */
export async function startBareAedes(queue: 'default' | 'ring'): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'aedes-bare-server.ts'), queue], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout! }), 'line') as [string];
  const { port } = JSON.parse(line) as { port: number };
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.stdin!.end();
    await once(child, 'exit');
  };
  return { port, child, stop };
}

/** An mqtt.js 3.1.1 client that has its CONNACK. */
export async function openClient(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
  return c;
}

/**
 * Publishes `count` copies of `payload` with at most `window` unacknowledged at once: a
 * counter and mqtt.js's callback, O(1) per message however a broker groups its PUBACKs
 * (a `Promise.race` over the window's promises, as before, added a reaction to every
 * pending publish at each wait). The window is refilled once per batch of answers, in a
 * microtask: mqtt.js handles each packet of a read in a tick of its own and mqtt-packet
 * uncorks the socket in the next tick, so a publish per answer would cost a write syscall
 * per message (the broker then reads one packet at a time); after the ticks, one refill
 * leaves in one write, as the race did. `seqAt`: the payload is stamped (bench/mqtt-stamp.ts):
 * each copy is a fresh buffer with its sequence number (0, 1, …) written there.
 */
export function publishAll(c: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1, count: number, window: number, seqAt?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let failed = false;
    let refillQueued = false;
    const refill = () => {
      refillQueued = false;
      while (!failed && sent < count && sent - answered < window) {
        let message = payload;
        if (seqAt !== undefined) { message = Buffer.from(payload as Buffer); writeSequence(message, seqAt, sent); }
        sent++;
        c.publish(topic, message, { qos }, onAnswer);
      }
    };
    // QoS 0's answer comes as soon as the packet is written: synchronously, unless the socket is full.
    const onAnswer = (error?: Error) => {
      if (failed) return;
      if (error) { failed = true; reject(error); return; }
      if (++answered === count) resolve();
      else if (!refillQueued) { refillQueued = true; queueMicrotask(refill); }
    };
    if (count === 0) resolve();
    else refill();
  });
}

/** One broker as a load sees it: its process (for /proc), its URL and the clients' options. */
export interface LoadTarget {
  pid: number;
  url: string;
  subscriber: IClientOptions;
  publishers: Array<IClientOptions & { topic: string }>;
}

/**
 * `client`: which client code drives the load — 'wire' (bench/mqtt-wire.ts: pre-encoded packets,
 * a window per write; the default, so msg/s measures the broker) or 'mqttjs' (mqtt.js, as the
 * bench measured up to session 29: its client process bound QoS 1 at ~10 µs per message).
 */
/** `payload`: a JSON object's text; each message carries its publisher and sequence number in it (bench/mqtt-stamp.ts). */
export interface LoadSettings { qos: 0 | 1; perPublisher: number; window: number; payload: string; timeoutMs: number; filter: string; client: LoadClient }
export type LoadClient = 'wire' | 'mqttjs';

export interface LoadResult {
  msgs_per_s: number;
  /** The broker process's user + system CPU time per delivered message (µs), from /proc. */
  cpu_us_per_msg: number;
  /** Its write syscalls per delivered message. */
  writes_per_msg: number;
  /**
   * The bench's own process's CPU time per delivered message (µs): the publishers
   * and subscriber. On a 2-core machine a broker cannot deliver faster than this process
   * can publish and read, whatever its own cost (see docs/devices.md, broker throughput).
   */
  client_cpu_us_per_msg: number;
  /**
   * The bench process's event-loop utilisation meanwhile (0–1): near 1, its clients bound
   * msg/s; well below, they were waiting — for the broker, or on a loaded machine for a core
   * (time runnable but not running counts as idle too): compare on a quiet machine.
   */
  client_busy: number;
  /** Messages delivered (each publisher's every sequence number, once). */
  received: number;
  expected: number;
  /** Copies a broker delivered again with DUP set (QoS 1; allowed): not counted in `received`. */
  redelivered: number;
}

/** The load's connected clients, whichever code drives them. */
interface LoadClients {
  /** Every publisher's messages, stamped; resolves when all are sent (QoS 0) or acknowledged (QoS 1). */
  publish: () => Promise<void>;
  /** `onPublish` with each of the subscriber's deliveries (its payload `buf[start, end)` and DUP flag); `onTurn` after a batch of them. */
  delivered: (onPublish: (buf: Buffer, start: number, end: number, dup: boolean) => void, onTurn: () => void) => void;
  /** Rejects when any client's connection fails before end(). */
  failed: Promise<never>;
  end: () => Promise<void>;
}

async function mqttJsClients(target: LoadTarget, load: LoadSettings): Promise<LoadClients> {
  const sub = await openClient(target.url, target.subscriber);
  await sub.subscribeAsync(load.filter, { qos: load.qos });
  const pubs = await Promise.all(target.publishers.map((p) => openClient(target.url, p)));
  let ending = false;
  const failed = new Promise<never>((_, reject) => {
    for (const c of [sub, ...pubs]) {
      c.on('error', reject);
      c.on('close', () => { if (!ending) reject(new Error(`mqtt.js client ${c.options.clientId} lost its connection`)); });
    }
  });
  return {
    publish: async () => {
      await Promise.all(pubs.map((c, i) => {
        const { payload, seqAt } = stampedPayload(load.payload, i);
        return publishAll(c, target.publishers[i]!.topic, payload, load.qos, load.perPublisher, load.window, seqAt);
      }));
    },
    delivered: (onPublish, onTurn) => { sub.on('message', (_topic, payload, packet) => { onPublish(payload, 0, payload.length, packet.dup); onTurn(); }); },
    failed,
    end: async () => { ending = true; await Promise.all([sub, ...pubs].map((c) => c.endAsync(true))); },
  };
}

async function wireClients(target: LoadTarget, load: LoadSettings): Promise<LoadClients> {
  const { hostname, port } = new URL(target.url);
  const open = (o: IClientOptions) => WireClient.connect(hostname, Number(port),
    { clientId: o.clientId!, username: o.username, password: o.password as string | undefined, clean: o.clean });
  const sub = await open(target.subscriber);
  await sub.subscribe(load.filter, load.qos);
  const pubs = await Promise.all(target.publishers.map(open));
  const failed = new Promise<never>((_, reject) => { for (const c of [sub, ...pubs]) c.onFailure(reject); });
  return {
    publish: async () => {
      await Promise.all(pubs.map((c, i) => {
        const { payload, seqAt } = stampedPayload(load.payload, i);
        return c.publishAll(target.publishers[i]!.topic, payload, load.qos, load.perPublisher, load.window, seqAt);
      }));
    },
    delivered: (onPublish, onTurn) => { sub.onPublishes(onPublish); sub.onDeliveries(onTurn); },
    failed,
    end: async () => { await Promise.all([sub, ...pubs].map((c) => c.end())); },
  };
}

/** A load that did not deliver every message it published exactly once (lost, doubled, or still missing at the deadline). */
export class LoadShort extends Error {
  readonly received: number;
  readonly expected: number;
  constructor(received: number, expected: number, why: string) {
    super(`mqtt load: ${received} of ${expected} messages delivered (${why})`);
    this.name = 'LoadShort';
    this.received = received;
    this.expected = expected;
  }
}

/**
 * N publishers → one subscriber of `filter`: every publisher sends `perPublisher`
 * messages with at most `window` unacknowledged; msg/s from the first publish
 * to the last delivery, and what the broker's process spent meanwhile. One deadline
 * (`timeoutMs`) covers publishing and delivery; a client that fails, a deadline that
 * passes (naming the first message missing) or a message delivered twice (at QoS 1
 * without DUP), unsent or unstamped rejects the run (LoadShort): a rate over a partial,
 * hung or wrong run is no figure. Every publisher's message carries its index and
 * sequence number (bench/mqtt-stamp.ts), so the subscriber checks each one came once.
 */
export async function runLoad(target: LoadTarget, load: LoadSettings): Promise<LoadResult> {
  const clients = await (load.client === 'wire' ? wireClients : mqttJsClients)(target, load);
  clients.failed.catch(() => undefined); // raced below; after end() nobody listens
  let timer: NodeJS.Timeout | undefined;
  let wrong!: (error: LoadShort) => void;
  const violated = new Promise<never>((_, reject) => { wrong = reject; });
  violated.catch(() => undefined); // raced below; a violation after the race is read off the ledger
  const ledger = new DeliveryLedger(target.publishers.map((p) => p.clientId ?? p.topic), load.perPublisher, load.qos,
    (why) => wrong(new LoadShort(ledger.distinct, ledger.expected, why)));
  const expected = ledger.expected;
  const done = new Promise<void>((resolve) => {
    clients.delivered((buf, start, end, dup) => ledger.record(buf, start, end, dup), () => { if (ledger.distinct >= expected && ledger.violation === undefined) resolve(); });
  });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadShort(ledger.distinct, expected, `deadline of ${load.timeoutMs} ms passed; first missing: ${ledger.firstMissing() ?? 'none'}`)), load.timeoutMs);
  });
  const writes0 = writeCalls(target.pid);
  const cpu0 = cpuMs(target.pid);
  const client0 = process.cpuUsage();
  const loop0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  try {
    await Promise.race([Promise.all([clients.publish(), done]), clients.failed, deadline, violated]);
  } catch (error) {
    await clients.end();
    throw error instanceof LoadShort ? error : new LoadShort(ledger.distinct, expected, `a client failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs(target.pid) - cpu0;
  const client = process.cpuUsage(client0);
  const loop = performance.eventLoopUtilization(loop0);
  const writes = writeCalls(target.pid) - writes0;
  await clients.end();
  // Deliveries read while the clients ended: a late copy is as wrong as an early one.
  if (ledger.violation !== undefined) throw new LoadShort(ledger.distinct, expected, ledger.violation);
  const received = ledger.distinct;
  return {
    msgs_per_s: Math.round(received / seconds),
    cpu_us_per_msg: Number(((cpu * 1000) / received).toFixed(1)),
    writes_per_msg: Number((writes / received).toFixed(3)),
    client_cpu_us_per_msg: Number(((client.user + client.system) / received).toFixed(1)),
    client_busy: Number(loop.utilization.toFixed(3)),
    received, expected, redelivered: ledger.redelivered,
  };
}
