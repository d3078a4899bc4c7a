// How the broker writes to its connections (issue 16 part 1): the packets of one
// event-loop turn reach a subscriber in order in one write on the real socket, over
// TCP, TLS and WebSocket; and a subscriber that stops reading still holds the
// publisher back (the broker stops reading it) instead of growing the broker's memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Socket, connect as netConnect, type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import pino from 'pino';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { Broker } from '../../src/device-hub/broker.ts';
import { Listeners } from '../../src/device-hub/listeners.ts';
import { Devices } from '../../src/device-hub/devices.ts';
import { systemClock } from '../../src/core/index.ts';
import { TEST_LIMITS, connect, closeClient } from '../support/mqtt.ts';
import { openServices, type Services } from '../support/services.ts';
import { TestCa } from '../support/test-ca.ts';

const TOPIC = 'portier/hq/sensor-1/event';
const WATCHER = { id: 'watcher', secret: 'watcher-secret' };

/** Counts the writes handed to the real sockets whose local port is `port` (the broker's side of them). */
function countWrites(port: number): { readonly count: number; stop(): void } {
  const proto = Socket.prototype as unknown as { _writeGeneric: (this: Socket, ...args: unknown[]) => unknown };
  const original = proto._writeGeneric;
  let count = 0;
  proto._writeGeneric = function counted(this: Socket, ...args: unknown[]) {
    if (this.localPort === port) count++;
    return original.apply(this, args);
  };
  return { get count() { return count; }, stop: () => { proto._writeGeneric = original; } };
}

describe('broker writes', () => {
  let svc: Services;
  let broker: Broker;
  let listeners: Listeners;
  let http: Server;
  let ca: TestCa;
  let sensor: { id: string; secret: string };
  beforeAll(async () => {
    svc = await openServices();
    const admin = { type: 'system' as const, id: null };
    await svc.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    const devices = new Devices({ store: svc.store, credentials: svc.credentials, clock: systemClock, sites: svc.sites, audit: svc.audit });
    const limits = { ...TEST_LIMITS, messagesPerSecond: 1_000_000, messageBurst: 1_000_000 };
    broker = new Broker({ devices, logger: pino({ level: 'silent' }), clock: systemClock, limits });
    // A read-only watcher of portier/#, as an integration's API token connects.
    broker.integrations = async (username, password) => (username === WATCHER.id && password === WATCHER.secret
      ? { id: WATCHER.id, kind: 'integration', siteId: 'hq', doorId: null, terminalId: null, credentialId: WATCHER.id } : undefined);
    await broker.start();
    listeners = new Listeners(broker, limits.maxPacketBytes);
    ca = await TestCa.create('broker-writes');
    const files = await ca.server('localhost', { ip: ['127.0.0.1'] });
    const material = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
    await listeners.listenTcp('127.0.0.1', 0);
    await listeners.listenTls('127.0.0.1', 0, { material, on: () => undefined, off: () => undefined });
    http = createServer((_req, res) => res.end());
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    listeners.attachWebSocket(http);
    sensor = { id: 'sensor-1', secret: (await devices.register(admin, { id: 'sensor-1', kind: 'sensor', siteId: 'hq' })).secret };
  });
  afterAll(async () => {
    await listeners?.close();
    await broker?.close();
    http?.closeAllConnections();
    await new Promise((r) => http?.close(r));
    ca?.close();
    await svc?.close();
  });

  const watcher = { clientId: WATCHER.id, username: WATCHER.id, password: WATCHER.secret };
  const transports = () => [
    { name: 'TCP', url: `mqtt://127.0.0.1:${listeners.ports.tcp}`, port: listeners.ports.tcp, opts: {} },
    { name: 'TLS', url: `mqtts://127.0.0.1:${listeners.ports.tls}`, port: listeners.ports.tls, opts: { rejectUnauthorized: false } },
    { name: 'WebSocket', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/mqtt`, port: (http.address() as AddressInfo).port, opts: {} },
  ];

  for (const index of [0, 1, 2]) {
    it(`the packets published in one turn reach a subscriber in order in one write (${['TCP', 'TLS', 'WebSocket'][index]})`, async () => {
      const t = transports()[index]!;
      const N = 50; // below the emitter's concurrency (100): every delivery runs in the same turn
      const sub: MqttClient = await connect(t.url, { ...watcher, ...t.opts });
      try {
        await sub.subscribeAsync(TOPIC, { qos: 0 });
        const seen: number[] = [];
        const all = new Promise<void>((resolve) => sub.on('message', (_topic, payload) => {
          seen.push((JSON.parse(payload.toString()) as { value: number }).value);
          if (seen.length === N) resolve();
        }));
        const writes = countWrites(t.port);
        try {
          for (let i = 0; i < N; i++) void broker.publish(TOPIC, JSON.stringify({ type: 'motion', value: i }));
          await all;
        } finally {
          writes.stop();
        }
        expect(seen).toEqual([...Array(N).keys()]);
        // One write for the turn's 50 packets (~250 chunks). Without the batching: 50 over TCP (one
        // per packet), ~250 over WebSocket (a frame per chunk); over TLS Node's stream queues behind
        // its first, asynchronous write, so there the count stays low either way.
        expect(writes.count).toBeLessThanOrEqual(2);
      } finally {
        await closeClient(sub);
      }
    });
  }

  it('a subscriber that stops reading makes the broker stop reading its publisher: the backlog stays bounded and arrives in order', async () => {
    const port = listeners.ports.tcp;
    const PACKETS = 10_000;
    // ~4 KB per message: 40 MB in all, far beyond what loopback's socket buffers hold.
    const padding = Buffer.from(`${' '.repeat(4_000)}}`);
    const sub = await rawClient(port, { clientId: WATCHER.id, username: WATCHER.id, password: WATCHER.secret });
    const pub = await rawClient(port, { clientId: sensor.id, username: sensor.id, password: sensor.secret });
    try {
      sub.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: TOPIC, qos: 0 }] }));
      await sub.next('suback');
      sub.socket.pause(); // stops reading: the kernel's buffers fill, then the broker's writes stall
      for (let i = 0; i < PACKETS; i++) {
        const head = Buffer.from(`{"type":"motion","value":${i}`);
        pub.socket.write(mqttPacket.generate({ cmd: 'publish', topic: TOPIC, payload: Buffer.concat([head, padding]), qos: 0, retain: false, dup: false }));
      }
      const total = pub.socket.writableLength + pub.socket.bytesWritten;

      const aedes = broker.aedes as unknown as { clients: Record<string, { conn: Socket }>; mq: { _messageQueue: { length: number } } };
      const toSubscriber = aedes.clients[WATCHER.id]!.conn;
      const fromPublisher = aedes.clients[sensor.id]!.conn;
      // The state a stalled subscriber settles in: the broker waits for its socket to drain
      // and no longer reads the publisher's (Node stops at the readable high-water mark).
      await expect.poll(() => toSubscriber.writableNeedDrain && fromPublisher.readableLength >= fromPublisher.readableHighWaterMark,
        { timeout: 60_000, interval: 20 }).toBe(true);
      // What the broker holds for the subscriber: the emitter's ≤ 100 deliveries in flight, and queued messages.
      const held = toSubscriber.writableLength + aedes.mq._messageQueue.length * padding.length;
      expect(held).toBeLessThan(1_000_000);
      expect(fromPublisher.bytesRead).toBeLessThan(total / 2);

      // Reading again, the subscriber gets every message, in order.
      const values: number[] = [];
      const all = new Promise<void>((resolve, reject) => {
        sub.parser.on('packet', (p) => {
          if (p.cmd !== 'publish') return;
          const value = Number(/"value":(\d+)/.exec((p.payload as Buffer).subarray(0, 40).toString())![1]);
          if (value !== values.length) reject(new Error(`message ${value} arrived as number ${values.length}`));
          values.push(value);
          if (values.length === PACKETS) resolve();
        });
      });
      sub.socket.resume();
      await all;
      expect(values.length).toBe(PACKETS);
    } finally {
      sub.socket.destroy();
      pub.socket.destroy();
    }
  }, 120_000);
});

/** A raw MQTT 3.1.1 connection (no client library's own flow control) that has its CONNACK. */
async function rawClient(port: number, c: { clientId: string; username: string; password: string }) {
  const socket = netConnect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  socket.on('data', (d: Buffer) => parser.parse(d));
  const next = (cmd: string) => new Promise<void>((resolve) => {
    const on = (p: { cmd: string }) => { if (p.cmd === cmd) { parser.off('packet', on); resolve(); } };
    parser.on('packet', on);
  });
  const connack = next('connack');
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, ...c, password: Buffer.from(c.password) }));
  await connack;
  return { socket, parser, next };
}
