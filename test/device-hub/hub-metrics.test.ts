// The device hub's broker on /metrics, scraped over HTTP from a started gateway with
// real mqtt.js clients: connected clients by kind, device messages received (and the
// invalid ones), messages delivered to subscribers and published by the gateway, and
// refusals by reason — exact counts, each read after the event that makes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';
import { connect, device, closeClient, closedEvent, waitForEvent } from '../support/mqtt.ts';
import { scrapeMetrics as scrape } from '../support/metrics.ts';

const EVENT = '{"type":"motion","value":true}';

/** Resolves once `client` has received `n` messages (counted from now). */
function received(client: MqttClient, n: number): Promise<string[]> {
  const topics: string[] = [];
  return new Promise((resolve) => {
    const on = (topic: string) => {
      topics.push(topic);
      if (topics.length === n) { client.off('message', on); resolve(topics); }
    };
    client.on('message', on);
  });
}

describe('device hub metrics on /metrics', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  let tcp: string;
  beforeAll(async () => {
    // No alerts on the broker: one raised while the test runs (a loaded machine past a grace period) would be a publish the counts below do not expect.
    gw = await startGateway({ PORTIER_ALERTS__MQTT: 'false' });
    admin = await signInFirstAdmin(gw);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
    tcp = `mqtt://127.0.0.1:${gw.gateway.services.deviceHub.mqttPorts.tcp}`;
  });
  afterAll(async () => { await gw?.close(); });

  it('counts clients by kind, messages received, invalid, delivered and published, and refusals by reason', async () => {
    const sensor = await admin.post('/api/devices', { id: 'sensor-1', kind: 'sensor', siteId: 'hq' });
    expect(sensor.status).toBe(201);
    const token = await admin.post('/api/tokens', { label: 'watcher', roleId: 'admin', siteId: null });
    expect(token.status).toBe(201);

    const idle = await scrape(gw.base);
    for (const kind of ['card-reader', 'door', 'panel', 'sensor', 'display', 'integration']) expect(idle.get(`portier_mqtt_clients{kind="${kind}"}`)).toBe(0);
    expect(idle.get('portier_mqtt_connections_pending')).toBe(0);
    for (const name of ['received', 'invalid', 'delivered']) expect(idle.get(`portier_mqtt_messages_${name}_total`)).toBe(0);
    const publishedBefore = idle.get('portier_mqtt_messages_published_total')!;
    expect(idle.get('portier_mqtt_refused_total{reason="bad-credentials"}')).toBe(0);

    // An integration watches the sensor and the dead letters (nothing retained there yet: every delivery is one counted below).
    const observer = gw.gateway.services.deviceHub.observer;
    const watcherOnline = waitForEvent(observer, 'online', (d) => d.kind === 'integration');
    const watcher = await connect(tcp, { username: token.body.credential.id, password: token.body.secret, clientId: token.body.credential.id });
    await watcherOnline; // the broker counts a client once aedes says it is ready, which may come after its CONNACK
    await watcher.subscribeAsync(['portier/hq/sensor-1/#', 'portier/$dead-letter/#'], { qos: 1 });
    // The watcher gets the sensor's presence (the hub publishes it retained), three valid events, and one the payload contract refuses, dead-lettered by the hub.
    const watched = received(watcher, 6);
    const sensorOnline = waitForEvent(observer, 'online', (d) => d.id === 'sensor-1');
    const s1 = await connect(tcp, device({ id: 'sensor-1', secret: sensor.body.secret }));
    await sensorOnline;
    const connected = await scrape(gw.base);
    expect(connected.get('portier_mqtt_clients{kind="sensor"}')).toBe(1);
    expect(connected.get('portier_mqtt_clients{kind="integration"}')).toBe(1);
    expect(connected.get('portier_mqtt_clients{kind="door"}')).toBe(0);

    for (let i = 0; i < 3; i++) await s1.publishAsync('portier/hq/sensor-1/event', EVENT, { qos: 1 });
    await s1.publishAsync('portier/hq/sensor-1/event', '{"type":42}', { qos: 1 });
    const topics = await watched;
    expect(topics.filter((t) => t === 'portier/hq/sensor-1/presence')).toHaveLength(1);
    expect(topics.filter((t) => t.startsWith('portier/$dead-letter/'))).toHaveLength(1);
    // A connect with a wrong secret is refused (CONNACK 4) and counted.
    await expect(connect(tcp, { username: 'sensor-1', password: 'not-the-secret', clientId: 'sensor-1-bad' })).rejects.toThrow();

    const busy = await scrape(gw.base);
    expect(busy.get('portier_mqtt_messages_received_total')).toBe(4);
    expect(busy.get('portier_mqtt_messages_invalid_total')).toBe(1);
    expect(busy.get('portier_mqtt_messages_published_total')! - publishedBefore).toBe(2); // the presence and the dead letter
    expect(busy.get('portier_mqtt_messages_delivered_total')).toBe(6);
    expect(busy.get('portier_mqtt_refused_total{reason="bad-credentials"}')).toBe(1);

    // Gone again: the gauge follows the broker's offline event.
    const offline = waitForEvent(gw.gateway.services.deviceHub.observer, 'offline', (d) => d.id === 'sensor-1');
    const closed = closedEvent(s1);
    await closeClient(s1);
    await closed;
    await offline;
    expect((await scrape(gw.base)).get('portier_mqtt_clients{kind="sensor"}')).toBe(0);
    await closeClient(watcher);
  });
});
