// The card path's start-up warm-up (BuiltinFlows.warm, run by DeviceHub.start
// before the listeners open) leaves nothing behind: no audit entry, no door
// command, nothing sent to a door; the next real read is the door's only command.
// The warm-up runs on built-in flows of its own over the hub's store (a part test),
// the real read through the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startHub, connect, device, closeClient, TEST_CARD_KEY, type HubFixture } from '../support/mqtt.ts';
import { flowsOn } from '../support/hub-parts.ts';

describe('device hub: card path warm-up', () => {
  let fx: HubFixture;
  let reader: MqttClient;
  let door: MqttClient;
  beforeAll(async () => {
    fx = await startHub();
    reader = await connect(fx.url.tcp, device(await fx.register('reader-1', 'card-reader')));
    door = await connect(fx.url.tcp, device(await fx.register('door-1', 'door')));
    await door.subscribeAsync(`portier/hq/doors/${fx.doorId}/cmd`, { qos: 1 });
    await fx.hub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: 'GOOD-1', holderRef: 'user-7', kind: 'employee' });
  });
  afterAll(async () => {
    for (const c of [reader, door]) await closeClient(c);
    await fx?.close();
  });

  it('runs the card path with every write rolled back and nothing sent', async () => {
    const entries = async () => (await fx.svc.store.db.selectFrom('audit_log').select(['seq', 'action']).orderBy('seq').execute());
    const before = await entries();
    const commands: string[] = [];
    door.on('message', (_topic, payload) => commands.push((JSON.parse(payload.toString()) as { id: string }).id));

    const part = flowsOn(fx.svc, fx.clock, TEST_CARD_KEY);
    try {
      expect(await part.flows.warm()).toBe(200);
      expect(part.published).toEqual([]);
    } finally {
      part.close();
    }
    expect(await entries()).toEqual(before);
    expect(await fx.svc.store.db.withTables<{ door_commands: { id: string } }>().selectFrom('door_commands').select('id').execute()).toEqual([]);

    const settled = new Promise<void>((resolve) => fx.hub.observer.once('commandSettled', () => resolve()));
    door.on('message', (_topic, payload) => door.publish('portier/hq/door-1/ack', JSON.stringify({ id: (JSON.parse(payload.toString()) as { id: string }).id, result: 'ok' }), { qos: 1 }));
    await reader.publishAsync('portier/hq/reader-1/card', JSON.stringify({ card: 'GOOD-1' }), { qos: 1 });
    await settled;
    await fx.hub.idle();
    const rows = await fx.svc.store.db.withTables<{ door_commands: { id: string; state: string } }>().selectFrom('door_commands').select(['id', 'state']).execute();
    expect(rows).toEqual([{ id: commands[0], state: 'acknowledged' }]);
    expect(commands).toHaveLength(1);
    const after = (await entries()).slice(before.length);
    expect(after.map((e) => e.action)).toEqual(['card.read', 'door.unlock', 'door.unlock']);
    expect(after[0]!.seq).toBe(before.at(-1)!.seq + 1);
  });
});
