// Alerts wired in the real gateway: a door controller that drops off the embedded
// broker is a class-2 alert POSTed to the configured webhook (a local HTTP server)
// and retained on MQTT; when it is back, the recovery follows. The URL's secret
// never reaches the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.ts';
import { connect, device, closeClient, nextMessage } from '../support/mqtt.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { alertTopic, type AlertMessage } from '../../src/alerts/index.ts';

describe('gateway alerts', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    gw = await startGateway({ PORTIER_ALERTS__WEBHOOK_URL: receiver.url('/hook/s3cret-path?key=s3cret-query') });
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('a door controller offline reaches the webhook and MQTT as a class-2 alert, and its recovery when it is back', async () => {
    const { deviceHub, sites, credentials, roles, store, alerts } = gw.gateway.services;
    const system = { type: 'system' as const, id: null };
    await sites.create(system, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    const door = await sites.createDoor(system, 'hq', 'Main entrance');
    const { secret } = await deviceHub.registerDevice(system, { id: 'door-1', kind: 'door', siteId: 'hq', doorId: door.id, terminalId: null });
    const url = `mqtt://127.0.0.1:${deviceHub.mqttPorts.tcp}`;
    const issued = await credentials.issue(system, { kind: 'api-token', label: 'monitoring' });
    await store.transaction((tx) => roles.assign(tx, { type: 'credential', id: issued.credential.id }, 'admin', null));
    const monitor = await connect(url, device({ id: issued.credential.id, secret: issued.secret }));
    await monitor.subscribeAsync('portier/$alerts/#', { qos: 1 });

    const client = await connect(url, device({ id: 'door-1', secret }));
    const topic = alertTopic('hq', 'device:door-1');
    const open = nextMessage(monitor, topic);
    const delivered = new Promise<AlertMessage>((resolve) => alerts.once('delivered', resolve));
    await client.endAsync(true);
    expect((await open).payload).toMatchObject({ state: 'open', kind: 'device-offline', incidentClass: 2 });
    await delivered;
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({ path: '/hook/s3cret-path?key=s3cret-query', body: { id: 'device:door-1', state: 'open', incidentClass: 2, siteId: 'hq' } });
    expect(alerts.list()).toMatchObject([{ id: 'device:door-1' }]);

    const recovered = nextMessage(monitor, topic, 30_000, (p) => p !== '');
    const deliveredRecovery = new Promise<AlertMessage>((resolve) => alerts.once('delivered', resolve));
    const back = await connect(url, device({ id: 'door-1', secret }));
    expect((await recovered).payload).toMatchObject({ state: 'recovered' });
    expect(await deliveredRecovery).toMatchObject({ id: 'device:door-1', state: 'recovered' });
    expect(receiver.received.map((r) => r.body.state)).toEqual(['open', 'recovered']);
    await closeClient(back);
    await closeClient(monitor);
  });
});
