// Flood limits: packet size, message rate, failed connects per address (never
// per device id), a bounded back-off per id, successful connects per device,
// pending and authenticated connections. Excess is refused and counted; the
// broker keeps serving everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { startHub, connect, connectFrom, device, closeClient, closedEvent, nextMessage, waitForEvent, ManualClock, TEST_LIMITS, type HubFixture } from '../support/mqtt.ts';

describe('device hub: limits', () => {
  let fx: HubFixture;
  const clock = new ManualClock(); // frozen: token buckets do not refill during a test
  beforeAll(async () => {
    fx = await startHub({ clock, settings: { limits: {
      ...TEST_LIMITS, maxPacketBytes: 4096, maxConnections: 3, maxPendingConnections: 6, maxPendingPerAddress: 4,
      connectAttemptsPerMinute: 3, connectFailuresPerMinute: 3, connectBackoffMaxMs: 1000, messagesPerSecond: 1, messageBurst: 5,
    } } });
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
    const refused = waitForEvent(fx.hub.observer, 'refused', (r: { reason: string }) => r.reason === 'packet-size');
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
    fx.hub.observer.on('refused', onRefused);
    for (let i = 0; i < 8; i++) await c.publishAsync('portier/hq/sensor-fast/event', '{"type":"button"}', { qos: 1 });
    fx.hub.observer.off('refused', onRefused);
    expect(refusals).toEqual(['message-rate', 'message-rate', 'message-rate']);
    expect(c.connected).toBe(true);
    await closeClient(c);
  });

  /** A CONNECT with a wrong secret from `from`; its refusal code (the back-off is let pass on the manual clock). */
  const wrongConnect = async (from: string, who: { id: string; secret: string }): Promise<number> => {
    const refused = waitForEvent(fx.hub.observer, 'refused', (r: { reason: string; deviceId?: string }) =>
      r.deviceId === who.id && (r.reason === 'bad-credentials' || r.reason === 'connect-failures'));
    const attempt = connectFrom(from, fx.url.tcp, device(who, { password: 'wrong' })).then(() => 0, (e: { code?: number }) => e.code ?? -1);
    const [r] = await refused;
    if (r.reason === 'bad-credentials') await clock.advance(1000);
    return attempt;
  };

  it('counts failed connects per source address: that address gets CONNACK 3 unchecked, the device connects from its own', async () => {
    const s = await fx.register('sensor-retry', 'sensor');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push(await wrongConnect('127.0.0.2', s));
    expect(codes).toEqual([4, 4, 4, 3, 3]);
    // The right secret from the guessing address is not even checked; from the device's own it is.
    await expect(connectFrom('127.0.0.2', fx.url.tcp, device(s))).rejects.toMatchObject({ code: 3 });
    await closeClient(await connect(fx.url.tcp, device(s)));
    await clock.advance(61_000);
    await closeClient(await connectFrom('127.0.0.2', fx.url.tcp, device(s)));
  });

  it('delays the refusal of a wrong secret per id, never the right secret', async () => {
    const s = await fx.register('sensor-guessed', 'sensor');
    let settled = false;
    const refused = waitForEvent(fx.hub.observer, 'refused', (r: { reason: string; deviceId?: string }) => r.reason === 'bad-credentials' && r.deviceId === s.id);
    const wrong = connectFrom('127.0.0.3', fx.url.tcp, device(s, { password: 'wrong' })).then(() => 0, (e: { code?: number }) => e.code ?? -1)
      .finally(() => { settled = true; });
    await refused;
    // The wrong one waits for the manual clock; the right one is answered meanwhile.
    await closeClient(await connect(fx.url.tcp, device(s)));
    expect(settled).toBe(false);
    await clock.advance(1000);
    expect(await wrong).toBe(4);
    await clock.advance(61_000);
  });

  it('counts successful connects per device (a flapping device waits a minute), not failed ones', async () => {
    const s = await fx.register('sensor-flaps', 'sensor');
    expect(await wrongConnect('127.0.0.4', s)).toBe(4);
    for (let i = 0; i < 3; i++) await closeClient(await connect(fx.url.tcp, device(s)));
    await expect(connect(fx.url.tcp, device(s))).rejects.toMatchObject({ code: 3 });
    await clock.advance(61_000);
    await closeClient(await connect(fx.url.tcp, device(s)));
  });

  it('holds unauthenticated connections apart: per address and in all, never taking an authenticated slot', async () => {
    const idle = (from: string) => new Promise<ReturnType<typeof tcpConnect>>((resolve) => {
      const sock = tcpConnect({ port: fx.hub.mqttPorts.tcp, host: '127.0.0.1', localAddress: from });
      sock.on('error', () => {});
      sock.once('connect', () => resolve(sock));
    });
    const sockets = [];
    for (let i = 0; i < 4; i++) sockets.push(await idle('127.0.0.5'));
    // The fifth from the same address is cut at once; a device elsewhere still connects.
    const refused = waitForEvent(fx.hub.observer, 'refused', (r: { reason: string }) => r.reason === 'pending-connections');
    const extra = await idle('127.0.0.5');
    await refused;
    if (!extra.closed) await once(extra, 'close');
    const a = await connect(fx.url.tcp, device(await fx.register('sensor-a', 'sensor')));
    const b = await connect(fx.url.tcp, device(await fx.register('sensor-b', 'sensor')));
    // Two more idle ones from elsewhere fill the pending slots in all (6): the next device is cut.
    for (let i = 0; i < 2; i++) sockets.push(await idle('127.0.0.6'));
    const c = await fx.register('sensor-c', 'sensor');
    await expect(connect(fx.url.tcp, device(c))).rejects.toThrow();
    for (const sock of sockets) sock.destroy();
    await Promise.all(sockets.map((sock) => (sock.closed ? undefined : once(sock, 'close'))));
    for (let i = 0; i < 50 && (fx.hub.status().pendingConnections as number) > 0; i++) await new Promise((r) => setImmediate(r));
    expect((fx.hub.status().pendingConnections as number)).toBe(0);
    // Authenticated: at most maxConnections (3); the fourth is answered CONNACK 3.
    const third = await connect(fx.url.tcp, device(c));
    await expect(connect(fx.url.tcp, device(await fx.register('sensor-d', 'sensor')))).rejects.toMatchObject({ code: 3 });
    for (const client of [a, b, third]) await closeClient(client);
    for (let i = 0; i < 50 && (fx.hub.status().connections as number) > 0; i++) await new Promise((r) => setImmediate(r));
    await stillServes(await fx.register('sensor-ok2', 'sensor'));
    expect(fx.hub.status().refused).toMatchObject({
      'pending-connections': 2, connections: 1, 'packet-size': 1, 'message-rate': 3, 'connect-rate': 1, 'connect-failures': 3,
    });
  });
});
