// Revocation and rotation through the credential service disconnect the device at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, connect, device, closeClient, closedEvent, mosquittoSub, type HubFixture } from '../support/mqtt.ts';

describe('device hub: revocation', () => {
  let fx: HubFixture;
  beforeAll(async () => { fx = await startHub(); });
  afterAll(async () => fx?.close());

  it('a revoked device is disconnected at once and cannot reconnect', { timeout: 10_000 }, async () => {
    const reader = await fx.register('reader-r', 'card-reader');
    const c = await connect(fx.url.tcp, device(reader));
    const closed = closedEvent(c);
    await fx.hub.revokeDevice({ type: 'system', id: null }, 'reader-r');
    await closed;
    await expect(connect(fx.url.tcp, device(reader))).rejects.toMatchObject({ code: 4 });
    expect((await fx.hub.device('reader-r')).revoked).toBe(true);
  });

  it('a mosquitto_sub session of a revoked device ends', async () => {
    const sensor = await fx.register('sensor-r', 'sensor');
    const sub = mosquittoSub(['-h', '127.0.0.1', '-p', String(fx.hub.mqttPorts.tcp), '-i', 'sensor-r', '-u', 'sensor-r', '-P', sensor.secret,
      '-t', 'portier/hq/sensor-r/presence', '-v', '-W', '20']);
    try {
      await sub.waitFor(/presence \{"online":true/);
      await fx.hub.revokeDevice({ type: 'system', id: null }, 'sensor-r');
      const code = await sub.exit;
      expect(code).not.toBe(0);
      // Ended by the revocation (its reconnect refused), not by mosquitto_sub's own 20 s timeout (-W 20), which
      // exits 27 ('Timed out') — also when the broker just went silent: mosquitto_sub reconnects until then.
      expect(code, sub.lines().join('\n')).not.toBe(27);
    } finally {
      sub.child.kill();
    }
  });

  it('rotation disconnects the device; the old secret stops working, the new one connects', { timeout: 10_000 }, async () => {
    const door = await fx.register('door-rot', 'door');
    const c = await connect(fx.url.tcp, device(door));
    const closed = closedEvent(c);
    const { secret } = await fx.hub.rotateDevice({ type: 'system', id: null }, 'door-rot');
    await closed;
    await expect(connect(fx.url.tcp, device(door))).rejects.toMatchObject({ code: 4 });
    const again = await connect(fx.url.tcp, device({ id: 'door-rot', secret }));
    await closeClient(again);
  });
});
