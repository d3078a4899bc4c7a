// Flood limits: packet size, message rate, connect attempts, total connections.
// Excess is refused and counted; the broker keeps serving everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { startHub, connect, device, closeClient, closedEvent, nextMessage, waitForEvent, ManualClock, type HubFixture } from '../support/mqtt.ts';

describe('device hub: limits', () => {
  let fx: HubFixture;
  const clock = new ManualClock(); // frozen: token buckets do not refill during a test
  beforeAll(async () => {
    fx = await startHub({ clock, settings: { limits: { maxPacketBytes: 4096, maxConnections: 4, connectAttemptsPerMinute: 3, messagesPerSecond: 1, messageBurst: 5 } } });
  });
  afterAll(async () => fx?.close());

  const stillServes = async (who: { id: string; secret: string }) => {
    const c = await connect(fx.url.tcp, device(who));
    const got = nextMessage(c, `portier/hq/${who.id}/event`);
    await c.subscribeAsync(`portier/hq/${who.id}/event`, { qos: 1 });
    await c.publishAsync(`portier/hq/${who.id}/event`, '{"type":"button"}', { qos: 1 });
    await got;
    await closeClient(c);
  };

  it('cuts a connection that sends a packet over the maximum size', async () => {
    const s = await fx.register('sensor-big', 'sensor');
    const c = await connect(fx.url.tcp, device(s));
    const closed = closedEvent(c);
    const refused = waitForEvent(fx.hub.broker, 'refused', (r: { reason: string }) => r.reason === 'packet-size');
    c.publish('portier/hq/sensor-big/event', Buffer.alloc(10_000, 0x61), { qos: 0 });
    await refused;
    await closed;
    await closeClient(c);
    await stillServes(await fx.register('sensor-ok1', 'sensor'));
  });

  it('drops messages over the rate of a device and keeps it connected', async () => {
    const s = await fx.register('sensor-fast', 'sensor');
    const c = await connect(fx.url.tcp, device(s));
    const refusals: string[] = [];
    const onRefused = (r: { reason: string; deviceId?: string }) => { if (r.deviceId === 'sensor-fast') refusals.push(r.reason); };
    fx.hub.broker.on('refused', onRefused);
    for (let i = 0; i < 8; i++) await c.publishAsync('portier/hq/sensor-fast/event', '{"type":"button"}', { qos: 1 });
    fx.hub.broker.off('refused', onRefused);
    expect(refusals).toEqual(['message-rate', 'message-rate', 'message-rate']);
    expect(c.connected).toBe(true);
    await closeClient(c);
  });

  it('refuses connect attempts over the per-minute limit with CONNACK 3', async () => {
    const s = await fx.register('sensor-retry', 'sensor');
    for (let i = 0; i < 3; i++) await expect(connect(fx.url.tcp, device(s, { password: 'wrong' }))).rejects.toMatchObject({ code: 4 });
    await expect(connect(fx.url.tcp, device(s))).rejects.toMatchObject({ code: 3 });
    await clock.advance(61_000);
    await closeClient(await connect(fx.url.tcp, device(s)));
  });

  it('refuses connections over the total and recovers when they close', async () => {
    const sockets = await Promise.all(Array.from({ length: 4 }, async () => {
      const sock = tcpConnect(fx.hub.listeners.ports.tcp, '127.0.0.1');
      await once(sock, 'connect');
      return sock;
    }));
    const refused = waitForEvent(fx.hub.broker, 'refused', (r: { reason: string }) => r.reason === 'connections');
    const extra = tcpConnect(fx.hub.listeners.ports.tcp, '127.0.0.1');
    extra.on('error', () => {});
    await refused;
    await once(extra, 'close');
    for (const sock of sockets) sock.destroy();
    await Promise.all(sockets.map((sock) => (sock.closed ? undefined : once(sock, 'close'))));
    for (let i = 0; i < 50 && fx.hub.broker.connections > 0; i++) await new Promise((r) => setImmediate(r));
    await stillServes(await fx.register('sensor-ok2', 'sensor'));
    expect(fx.hub.status().refused).toMatchObject({ connections: 1, 'packet-size': 1, 'message-rate': 3, 'connect-rate': 1 });
  });
});
