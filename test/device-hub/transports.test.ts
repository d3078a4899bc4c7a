// The same broker over TLS (local-CA certificate) and WebSocket, with mqtt.js and mosquitto clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startHub, connect, device, closeClient, nextMessage, mosquitto, mosquittoSub, type HubFixture } from '../support/mqtt.ts';

describe('device hub: TLS and WebSocket listeners', () => {
  let fx: HubFixture;
  let http: Server;
  let wsUrl: string;
  let dir: string;
  let caFile: string;
  let sensor: { id: string; secret: string };
  let otherUpgrades: string[] = [];
  beforeAll(async () => {
    fx = await startHub({ tls: true });
    sensor = await fx.register('sensor-1', 'sensor');
    http = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    fx.hub.attachWebSocket(http);
    // Stands in for socket.io: whoever owns another path answers its upgrades.
    const other: string[] = [];
    http.on('upgrade', (req, socket) => { if (req.url !== '/mqtt') { other.push(req.url!); socket.destroy(); } });
    otherUpgrades = other;
    wsUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/mqtt`;
    dir = mkdtempSync(join(tmpdir(), 'portier-ca-'));
    caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, fx.ca!);
  });
  afterAll(async () => {
    await fx?.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the bound ports in status', () => {
    const s = fx.hub.status();
    expect(s).toMatchObject({ state: 'ready', ws: '/mqtt', persistence: 'memory' });
    expect(s.tcp).toBeGreaterThan(0);
    expect(s.tls).toBeGreaterThan(0);
  });

  it('mqtt.js over TLS verifies the local CA and round-trips a message', async () => {
    const c = await connect(fx.url.tls, device(sensor, { ca: fx.ca, servername: 'localhost' }));
    const got = nextMessage(c, 'portier/hq/sensor-1/event');
    await c.subscribeAsync('portier/hq/sensor-1/#', { qos: 1 });
    await c.publishAsync('portier/hq/sensor-1/event', '{"type":"button"}', { qos: 1 });
    expect((await got).payload).toEqual({ type: 'button' });
    await closeClient(c);
  });

  it('mqtt.js over WebSocket at /mqtt authenticates like TCP', async () => {
    const c = await connect(wsUrl, device(sensor));
    const got = nextMessage(c, 'portier/hq/sensor-1/event');
    await c.subscribeAsync('portier/hq/sensor-1/event', { qos: 1 });
    await c.publishAsync('portier/hq/sensor-1/event', '{"type":"motion","value":true}', { qos: 1 });
    expect((await got).payload).toEqual({ type: 'motion', value: true });
    await closeClient(c);
    await expect(connect(wsUrl, device(sensor, { password: 'wrong' }))).rejects.toMatchObject({ code: 4 });
  });

  it('leaves upgrades on other paths alone', async () => {
    await expect(connect(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/other`, { ...device(sensor), connectTimeout: 2_000 })).rejects.toThrow();
    expect(otherUpgrades).toEqual(['/other']);
  });

  it('mosquitto_pub and mosquitto_sub work over TLS with the CA file', async () => {
    const port = String(fx.hub.mqttPorts.tls);
    const common = ['-h', 'localhost', '-p', port, '--cafile', caFile, '-i', 'sensor-1', '-u', 'sensor-1', '-P', sensor.secret];
    const sub = mosquittoSub([...common, '-t', 'portier/hq/sensor-1/presence', '-v', '-W', '10']);
    try {
      await sub.waitFor(/presence \{"online":true/);
    } finally {
      sub.child.kill();
      await sub.exit;
    }
    const bad = await mosquitto('mosquitto_pub', ['-h', 'localhost', '-p', port, '-i', 'sensor-1', '-u', 'sensor-1', '-P', sensor.secret, '-t', 'portier/hq/sensor-1/event', '-m', '{}']);
    expect(bad.code).not.toBe(0); // plain MQTT on the TLS port fails
  });
});
