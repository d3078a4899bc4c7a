// Authentication: device credential as user name/password, client id = device id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, connect, device, closeClient, mosquitto, waitForEvent, type HubFixture } from '../support/mqtt.ts';

describe('device hub: authentication', () => {
  let fx: HubFixture;
  let reader: { id: string; secret: string; credentialId: string };
  let sensor: { id: string; secret: string; credentialId: string };
  beforeAll(async () => {
    fx = await startHub();
    reader = await fx.register('reader-1', 'card-reader');
    sensor = await fx.register('sensor-1', 'sensor');
  });
  afterAll(async () => fx?.close());

  it('accepts a registered device whose client id is its device id', async () => {
    const online = waitForEvent(fx.hub.observer, 'online', (d: { id: string }) => d.id === 'reader-1');
    const c = await connect(fx.url.tcp, device(reader));
    expect(c.connected).toBe(true);
    await online;
    expect((await fx.hub.listDevices()).find((d) => d.id === 'reader-1')?.online).toBe(true);
    await closeClient(c);
  });

  it('accepts the credential id as user name too', async () => {
    const c = await connect(fx.url.tcp, device(reader, { username: reader.credentialId }));
    await closeClient(c);
  });

  it('assigns the device id to an empty client id', async () => {
    const online = waitForEvent(fx.hub.observer, 'online', (d: { id: string }) => d.id === 'sensor-1');
    const c = await connect(fx.url.tcp, device(sensor, { clientId: '', clean: true }));
    await online;
    await closeClient(c);
  });

  it('refuses a wrong secret with CONNACK 4 and anonymous access with 4', async () => {
    await expect(connect(fx.url.tcp, device(reader, { password: `${reader.secret.slice(0, -2)}xx` }))).rejects.toMatchObject({ code: 4 });
    await expect(connect(fx.url.tcp, { clientId: 'reader-1' })).rejects.toMatchObject({ code: 4 });
    await expect(connect(fx.url.tcp, device(reader, { username: 'sensor-1' }))).rejects.toMatchObject({ code: 4 });
  });

  it('refuses another client id with CONNACK 2, so no device takes over another one\'s session', async () => {
    await expect(connect(fx.url.tcp, device(reader, { clientId: 'sensor-1' }))).rejects.toMatchObject({ code: 2 });
    const sensorClient = await connect(fx.url.tcp, device(sensor));
    await expect(connect(fx.url.tcp, device(reader, { clientId: 'sensor-1' }))).rejects.toMatchObject({ code: 2 });
    expect(sensorClient.connected).toBe(true);
    expect(fx.hub.status().refused).toMatchObject({ 'client-id': 2 });
    await closeClient(sensorClient);
  });

  it('mosquitto_pub is refused with a wrong password and a foreign client id, accepted with its own', async () => {
    const port = String(fx.hub.mqttPorts.tcp);
    const base = ['-h', '127.0.0.1', '-p', port, '-t', 'portier/hq/reader-1/card', '-m', '{"card":"04a1b2"}', '-q', '1'];
    const bad = await mosquitto('mosquitto_pub', [...base, '-i', 'reader-1', '-u', 'reader-1', '-P', 'nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not authori[sz]ed|bad user name|Connection Refused/i);
    const foreign = await mosquitto('mosquitto_pub', [...base, '-i', 'sensor-1', '-u', 'reader-1', '-P', reader.secret]);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/identifier rejected/i);
    const good = await mosquitto('mosquitto_pub', [...base, '-i', 'reader-1', '-u', 'reader-1', '-P', reader.secret]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
  });

  it('two registrations of one device id at once: one wins, the other is a conflict and leaves no credential', async () => {
    const admin = { type: 'system' as const, id: null };
    const before = (await fx.svc.credentials.list('device')).length;
    const results = await Promise.allSettled([
      fx.hub.registerDevice(admin, { id: 'twin', kind: 'sensor', siteId: 'hq' }),
      fx.hub.registerDevice(admin, { id: 'twin', kind: 'sensor', siteId: 'hq' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ name: 'ConflictError' });
    expect((await fx.svc.credentials.list('device')).length).toBe(before + 1);
  });
});
