// ACLs per device kind: publish and subscribe only inside the own namespace
// (plus a door's command topic); refused SUBSCRIBE gets 0x80, refused PUBLISH is dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, connect, device, closeClient, nextMessage, mosquitto, waitForEvent, granted, type HubFixture } from '../support/mqtt.ts';

describe('device hub: ACL', () => {
  let fx: HubFixture;
  let reader: { id: string; secret: string };
  let sensor: { id: string; secret: string };
  let door: { id: string; secret: string };
  beforeAll(async () => {
    fx = await startHub();
    reader = await fx.register('reader-1', 'card-reader');
    sensor = await fx.register('sensor-1', 'sensor');
    door = await fx.register('door-1', 'door');
  });
  afterAll(async () => fx?.close());

  it('grants the own namespace and refuses others with SUBACK 0x80', async () => {
    const c = await connect(fx.url.tcp, device(reader));
    expect(await granted(c, ['portier/hq/reader-1/#', 'portier/hq/sensor-1/#', '#', 'portier/+/+/card', `portier/hq/doors/${fx.doorId}/cmd`]))
      .toEqual([1, 128, 128, 128, 128]);
    await closeClient(c);
  });

  it('lets a door subscribe to the command topic of its own door only', async () => {
    const c = await connect(fx.url.tcp, device(door));
    expect(await granted(c, [`portier/hq/doors/${fx.doorId}/cmd`, 'portier/hq/doors/other-door/cmd'])).toEqual([1, 128]);
    await closeClient(c);
  });

  it('drops a publish outside the namespace (or to a leaf the kind does not have), keeps the connection and forwards nothing', async () => {
    const victim = await connect(fx.url.tcp, device(sensor));
    await victim.subscribeAsync('portier/hq/sensor-1/#', { qos: 1 });
    const attacker = await connect(fx.url.tcp, device(reader));
    const refused = waitForEvent(fx.hub.observer, 'refused', (r: { reason: string; topic?: string }) => r.reason === 'publish-acl' && r.topic === 'portier/hq/sensor-1/display');
    await attacker.publishAsync('portier/hq/sensor-1/display', '{"content":"x"}', { qos: 1 });
    await refused;
    await attacker.publishAsync('portier/hq/reader-1/state', '{"state":"open"}', { qos: 1 });
    // The sensor's own publish arrives; nothing of the attacker's came before it.
    const own = nextMessage(victim, /^portier\/hq\/sensor-1\/event$/);
    await victim.publishAsync('portier/hq/sensor-1/event', '{"type":"motion"}', { qos: 1 });
    expect((await own).payload).toEqual({ type: 'motion' });
    expect(attacker.connected).toBe(true);
    expect(fx.hub.status().refused).toMatchObject({ 'publish-acl': 2 });
    await closeClient(victim);
    await closeClient(attacker);
  });

  it('mosquitto_sub gets 0x80 for a foreign namespace', async () => {
    const r = await mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(fx.hub.mqttPorts.tcp), '-i', 'reader-1', '-u', 'reader-1', '-P', reader.secret,
      '-t', 'portier/hq/sensor-1/#', '-W', '2', '-E']);
    expect(r.stdout + r.stderr).toMatch(/denied|failed|128/i);
  });

  it('lets an integration token with device.admin everywhere read portier/# and publish nothing', async () => {
    const issued = await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'api-token', label: 'access-control bridge' });
    await fx.svc.store.transaction((tx) => fx.svc.roles.assign(tx, { type: 'credential', id: issued.credential.id }, 'admin', null));
    const token = { id: issued.credential.id, secret: issued.secret };
    const monitor = await connect(fx.url.tcp, device(token));
    expect(await granted(monitor, ['portier/#'])).toEqual([1]);
    const seen = nextMessage(monitor, 'portier/hq/sensor-1/event');
    const s = await connect(fx.url.tcp, device(sensor));
    await s.publishAsync('portier/hq/sensor-1/event', '{"type":"presence","value":true}', { qos: 1 });
    expect((await seen).payload).toEqual({ type: 'presence', value: true });
    const doorClient = await connect(fx.url.tcp, device(door));
    await doorClient.subscribeAsync(`portier/hq/doors/${fx.doorId}/cmd`, { qos: 1 });
    const firstCommand = nextMessage(doorClient, `portier/hq/doors/${fx.doorId}/cmd`);
    const refused = waitForEvent(fx.hub.observer, 'refused', (r) => r.reason === 'publish-acl' && r.deviceId === token.id);
    await monitor.publishAsync(`portier/hq/doors/${fx.doorId}/cmd`, '{"id":"x","action":"unlock","seconds":600,"expires_at":9999999999999}', { qos: 1 });
    await refused;
    // The door's first command is the outbox's real one, not the forged one.
    void fx.hub.openDoor({ doorId: fx.doorId, seconds: 3, issuedBy: { type: 'system', id: null } }).catch(() => undefined);
    expect((await firstCommand).payload.id).not.toBe('x');
    await closeClient(doorClient);
    // A token without the permission is refused.
    const plain = await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'api-token', label: 'no role' });
    await expect(connect(fx.url.tcp, device({ id: plain.credential.id, secret: plain.secret }))).rejects.toMatchObject({ code: 4 });
    await closeClient(s);
    await closeClient(monitor);
  });
});
