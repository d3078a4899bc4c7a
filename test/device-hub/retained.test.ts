// Door state: stored, republished retained (also after a restart), and a
// retained replay on reconnect is not news for the rules.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHub, connect, device, closeClient, nextMessage, waitForEvent, type HubFixture } from '../support/mqtt.ts';
import type { HubEvent } from '../../src/device-hub/index.ts';
import type { DeviceHubTables } from '../../src/device-hub/tables.ts';

describe('device hub: retained door state', () => {
  let fx: HubFixture;
  beforeEach(async () => { fx = await startHub(); });
  afterEach(async () => fx.close());

  it('stores a reported state, republishes it retained at start, and a replay is not a fresh event', async () => {
    const door = await fx.register('door-1', 'door');
    const display = await fx.register('display-1', 'display');
    const stateTopic = `portier/hq/doors/${fx.doorId}/state`;

    const d = await connect(fx.url.tcp, device(door));
    const first = waitForEvent(fx.hub.observer, 'event', (e: HubEvent) => e.message.leaf === 'state');
    await d.publishAsync('portier/hq/door-1/state', '{"state":"open"}', { qos: 1, retain: true });
    expect((await first)[0]).toMatchObject({ fresh: true });
    // Stored: the door's state row (republished retained at start, below).
    expect(await fx.svc.store.db.withTables<DeviceHubTables>().selectFrom('door_states').selectAll().where('door_id', '=', fx.doorId).executeTakeFirst())
      .toMatchObject({ state: 'open', device_id: 'door-1' });

    // The controller reconnects and republishes its retained state: stored already, so not fresh.
    const replay = waitForEvent(fx.hub.observer, 'event', (e: HubEvent) => e.message.leaf === 'state');
    const skipped = waitForEvent(fx.hub.observer, 'ruleSkipped');
    await d.publishAsync('portier/hq/door-1/state', '{"state":"open"}', { qos: 1, retain: true });
    expect((await replay)[0]).toMatchObject({ fresh: false });
    await skipped;
    await closeClient(d);

    await fx.restart();
    const v = await connect(fx.url.tcp, device(display));
    const retained = nextMessage(v, stateTopic);
    await v.subscribeAsync(stateTopic, { qos: 1 });
    const msg = await retained;
    expect(msg.retain).toBe(true);
    expect(msg.payload).toMatchObject({ state: 'open' });
    await closeClient(v);
  });

  it('keeps whether a door is locked: stored, in the door status, republished retained; a change of the lock alone is no fresh event for the rules', async () => {
    const door = await fx.register('door-1', 'door');
    const display = await fx.register('display-1', 'display');
    const stateTopic = `portier/hq/doors/${fx.doorId}/state`;
    const row = () => fx.svc.store.db.withTables<DeviceHubTables>().selectFrom('door_states').selectAll().where('door_id', '=', fx.doorId).executeTakeFirst();
    const locked = async () => (await fx.hub.doorStatus('hq')).get(fx.doorId)?.locked;
    const d = await connect(fx.url.tcp, device(door));
    const say = async (payload: object) => {
      const event = waitForEvent(fx.hub.observer, 'event', (e: HubEvent) => e.message.leaf === 'state');
      await d.publishAsync('portier/hq/door-1/state', JSON.stringify(payload), { qos: 1, retain: true });
      return (await event)[0];
    };

    expect(await say({ state: 'closed', locked: true })).toMatchObject({ fresh: true });
    expect(await row()).toMatchObject({ state: 'closed', locked: 1 });
    expect(await locked()).toBe(true);
    // Unlocked, still closed: stored and shown, but the state is no news (no alert, no rule).
    const unlocked = await say({ state: 'closed', locked: false });
    expect(unlocked).toMatchObject({ fresh: false, lockChanged: true });
    expect(await row()).toMatchObject({ state: 'closed', locked: 0 });
    expect(await locked()).toBe(false);
    const replays = (fx.hub.status() as unknown as { messages: { replays: number } }).messages.replays;
    const replay = await say({ state: 'closed', locked: false });
    expect(replay.fresh).toBe(false);
    expect(replay.lockChanged).toBeUndefined();
    expect((fx.hub.status() as unknown as { messages: { replays: number } }).messages.replays).toBe(replays + 1);
    await closeClient(d);

    await fx.restart();
    const v = await connect(fx.url.tcp, device(display));
    const retained = nextMessage(v, stateTopic);
    await v.subscribeAsync(stateTopic, { qos: 1 });
    expect((await retained).payload).toMatchObject({ state: 'closed', locked: false });
    expect(await locked()).toBe(false);
    await closeClient(v);
  });

  it('publishes the last will of a device that drops, marks it offline, and keeps presence retained', async () => {
    const sensor = await fx.register('sensor-1', 'sensor');
    const s = await connect(fx.url.tcp, device(sensor, {
      will: { topic: 'portier/hq/sensor-1/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    }));
    const watcher = await connect(fx.url.tcp, device(await fx.integration()));
    const will = nextMessage(watcher, 'portier/hq/sensor-1/status');
    await watcher.subscribeAsync('portier/hq/sensor-1/status', { qos: 1 });
    const offline = waitForEvent(fx.hub.observer, 'offline', (d: { id: string }) => d.id === 'sensor-1');
    (s as unknown as { stream: { destroy(): void } }).stream.destroy(); // ungraceful: the broker publishes the will
    expect((await will).payload).toEqual({ online: false });
    await closeClient(watcher);
    await offline;
    expect((await fx.hub.listDevices()).find((d) => d.id === 'sensor-1')).toMatchObject({ online: false });
    await closeClient(s);

    const again = await connect(fx.url.tcp, device(sensor));
    const status = nextMessage(again, 'portier/hq/sensor-1/status');
    const presence = nextMessage(again, 'portier/hq/sensor-1/presence', 30_000, (p: { online: boolean }) => p.online);
    await again.subscribeAsync('portier/hq/sensor-1/#', { qos: 1 });
    expect(await status).toMatchObject({ retain: true, payload: { online: false } });
    expect((await presence).payload).toMatchObject({ online: true });
    await closeClient(again);
  });
});
