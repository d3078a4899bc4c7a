// No patching after start (issue 10, slice 4): the device hub gets its ports to
// terminals, desks and calls at construction, bound to signaling before it starts.
// A rule that fires the moment the hub has started — before the gateway goes on
// to anything else — reaches signaling instead of being audited as "signaling not
// running". Real gateway (restarted on the same data directory), real MQTT device.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { DeviceHub } from '../../src/device-hub/index.ts';

describe('device hub wiring', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portier-wiring-'));
  let gw: Gw | undefined;
  let site: SiteFixture;
  let sensorSecret: string;
  const clients: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_DATA_DIR: dataDir });
    site = await seedSite(gw);
    const registered = await site.admin.post('/api/devices', { id: 'hall-sensor', kind: 'sensor', siteId: 'hq' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    sensorSecret = registered.body.secret;
    const rule = await site.admin.call('PUT', '/api/rules', {
      id: 'someone-there', site: 'hq', trigger: { topic: 'portier/hq/hall-sensor/event' },
      actions: [{ type: 'desk.notify', role: 'reception', text: { de: 'Jemand wartet', en: 'Someone is waiting' } }],
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(200);
    const first = gw;
    gw = undefined;
    await first.close();
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await gw?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a rule firing right after the hub starts notifies the desks (never "signaling not running")', async () => {
    const start = DeviceHub.prototype.start;
    // The sensor publishes the moment the broker listens, and the rule runs to its end before the gateway continues.
    vi.spyOn(DeviceHub.prototype, 'start').mockImplementationOnce(async function (this: DeviceHub) {
      await start.call(this);
      const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${this.mqttPorts.tcp}`, {
        username: 'hall-sensor', password: sensorSecret, clientId: 'hall-sensor', reconnectPeriod: 0,
      });
      clients.push(sensor);
      await sensor.publishAsync('portier/hq/hall-sensor/event', JSON.stringify({ type: 'motion' }), { qos: 1 });
      await this.idle();
    });
    gw = await startGateway({ PORTIER_DATA_DIR: dataDir });
    const notices = await gw.gateway.services.audit.list({ action: 'rule.action.desk.notify' });
    expect(notices.map((e) => [e.outcome, e.details])).toEqual([['ok', JSON.stringify({ detail: 'reception' })]]);
  });
});
